import { Webhook, WebhookDelivery } from '@framesmith/core/ops-schemas';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { apiError, FakeApi, json } from '../../../testing/fake-api.ts';
import { renderWithClient } from '../../../testing/render.tsx';
import WebhooksPage from './webhooks-page.tsx';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=';

const webhook = (over: Partial<Webhook> = {}): Webhook =>
  Webhook.parse({
    id: '11111111-1111-4111-8111-111111111111',
    url: 'https://hooks.example.com/framesmith',
    events: ['render.completed', 'render.failed'],
    format: 'standard',
    enabled: true,
    description: '',
    secret: 'whsec_…aSw=',
    createdAt: '2026-06-01T00:00:00.000Z',
    updatedAt: '2026-06-01T00:00:00.000Z',
    ...over,
  });

describe('webhooks page', () => {
  it('adds a webhook, shows its secret once, and lists it', async () => {
    let list: Webhook[] = [];
    const api = new FakeApi()
      .on('GET', '/api/webhooks', () => json(list))
      .on('POST', '/api/webhooks', (req) => {
        const body = req.body as { url: string; events: string[]; format: string };
        list = [webhook({ url: body.url, events: body.events, format: body.format })];
        return json(webhook({ ...list[0], secret: SECRET }), 201);
      })
      .install();
    const { user } = renderWithClient(<WebhooksPage />);
    expect(await screen.findByText('No webhooks yet.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Add webhook' }));
    const form = screen.getByRole('form', { name: 'Add webhook' });
    // Nothing typed: the browser says what the API would.
    await user.click(within(form).getByRole('button', { name: 'Add webhook' }));
    expect(within(form).getByText('must be an http(s) URL')).toBeInTheDocument();
    expect(api.calls('POST', '/api/webhooks')).toHaveLength(0);

    await user.type(within(form).getByLabelText('Receiver URL'), 'https://hooks.example.com/ops');
    await user.click(within(form).getByRole('checkbox', { name: /Segment failed/ }));
    await user.click(within(form).getByRole('radio', { name: 'Slack message' }));
    await user.click(within(form).getByRole('button', { name: 'Add webhook' }));

    const status = await screen.findByRole('status');
    expect(status).toHaveTextContent(SECRET);
    expect(status).toHaveTextContent('it will not be shown again');
    expect(api.calls('POST', '/api/webhooks')[0]?.body).toEqual({
      url: 'https://hooks.example.com/ops',
      events: ['segment.failed', 'render.completed', 'render.failed'],
      format: 'slack',
    });
    const card = await screen.findByRole('listitem', { name: 'https://hooks.example.com/ops' });
    expect(card).toHaveTextContent('Slack message');
    expect(card).not.toHaveTextContent(SECRET);
    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('shows deliveries with their status and sends a failed one again', async () => {
    const failed = WebhookDelivery.parse({
      id: '22222222-2222-4222-8222-222222222222',
      webhookId: webhook().id,
      event: 'render.completed',
      status: 'failed',
      attempts: 7,
      lastStatusCode: 500,
      lastError: 'HTTP 500',
      payload: {},
      createdAt: new Date().toISOString(),
      deliveredAt: null,
    });
    const api = new FakeApi()
      .on('GET', '/api/webhooks', json([webhook()]))
      .on('GET', '/api/webhooks/:id/deliveries', json([failed]))
      .on(
        'POST',
        '/api/webhooks/:id/deliveries/:deliveryId/redeliver',
        json({ ...failed, status: 'pending' }),
      )
      .install();
    const { user } = renderWithClient(<WebhooksPage />);
    await user.click(await screen.findByRole('button', { name: 'Deliveries' }));
    const row = (await screen.findAllByRole('row'))[1]!;
    expect(row).toHaveTextContent('render.completed');
    expect(row).toHaveTextContent('failed');
    expect(row).toHaveTextContent('7');
    expect(row).toHaveTextContent('HTTP 500');
    await user.click(within(row).getByRole('button', { name: 'Send again' }));
    await waitFor(() =>
      expect(
        api.calls('POST', `/api/webhooks/${webhook().id}/deliveries/${failed.id}/redeliver`),
      ).toHaveLength(1),
    );
  });

  it('turns a webhook off and deletes one after confirmation', async () => {
    let list = [webhook()];
    const api = new FakeApi()
      .on('GET', '/api/webhooks', () => json(list))
      .on('PATCH', '/api/webhooks/:id', (req) => {
        list = [webhook({ ...(req.body as object) })];
        return json(list[0]);
      })
      .on('DELETE', '/api/webhooks/:id', () => {
        list = [];
        return { status: 204 };
      })
      .install();
    const { user } = renderWithClient(<WebhooksPage />);
    await user.click(await screen.findByRole('button', { name: 'Turn off' }));
    expect(await screen.findByRole('button', { name: 'Turn on' })).toBeInTheDocument();
    expect(api.calls('PATCH', `/api/webhooks/${webhook().id}`)[0]?.body).toEqual({ enabled: false });

    await user.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete this webhook?' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete webhook' }));
    expect(await screen.findByText('No webhooks yet.')).toBeInTheDocument();
  });

  it('shows a refusal from the server beside the field it names', async () => {
    new FakeApi()
      .on('GET', '/api/webhooks', json([]))
      .on(
        'POST',
        '/api/webhooks',
        apiError(400, 'VALIDATION_ERROR', 'url: must be an http(s) URL', {
          fields: [{ field: 'url', message: 'this host is not allowed' }],
        }),
      )
      .install();
    const { user } = renderWithClient(<WebhooksPage />);
    await user.click(await screen.findByRole('button', { name: 'Add webhook' }));
    await user.type(screen.getByLabelText('Receiver URL'), 'https://example.com/x');
    await user.click(within(screen.getByRole('form')).getByRole('button', { name: 'Add webhook' }));
    expect(await screen.findByText('this host is not allowed')).toBeInTheDocument();
  });
});
