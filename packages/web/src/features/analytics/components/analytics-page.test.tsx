import type { ErrorAnalytics } from '@framesmith/core/ops-schemas';
import { ErrorAnalytics as ErrorAnalyticsSchema } from '@framesmith/core/ops-schemas';
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeApi, json } from '../../../testing/fake-api.ts';
import { renderWithClient } from '../../../testing/render.tsx';
import AnalyticsPage from './analytics-page.tsx';

const analytics = (over: Partial<ErrorAnalytics> = {}): ErrorAnalytics =>
  ErrorAnalyticsSchema.parse({
    since: '2026-06-01T00:00:00.000Z',
    until: '2026-06-02T00:00:00.000Z',
    bucketSeconds: 3600,
    totals: { attempts: 20, succeeded: 12, failed: 6, cancelled: 1, running: 1 },
    failuresByCode: [
      { code: 'COMFYUI_TIMEOUT', title: 'Generation took too long', retryable: true, count: 4 },
      { code: 'COMFYUI_MISSING_NODE', title: 'A node is not installed', retryable: false, count: 2 },
    ],
    buckets: [
      { start: '2026-06-01T00:00:00.000Z', failures: 4, byCode: { COMFYUI_TIMEOUT: 4 } },
      { start: '2026-06-01T01:00:00.000Z', failures: 2, byCode: { COMFYUI_MISSING_NODE: 2 } },
    ],
    retry: { attempts: 4, succeeded: 3, successRate: 0.75, segmentsRetried: 3, segmentsRecovered: 2 },
    meanTimeToFailureMs: 12_500,
    meanTimeToSuccessMs: 4_000,
    topWorkflows: [
      { workflowId: 'w1', name: 'Wan 2.1 text to video', failures: 5, attempts: 10, failureRate: 0.5 },
    ],
    topBackends: [{ backend: 'gpu-b', failures: 4, attempts: 8, failureRate: 0.5 }],
    ...over,
  });

describe('error analytics page', () => {
  it('shows the headline numbers and the breakdowns, and asks again for another window and project', async () => {
    const api = new FakeApi()
      .on('GET', '/api/projects', json([{ id: 'p1', name: 'Trailer' }]))
      .on('GET', '/api/analytics/errors', json(analytics()))
      .install();
    const { user } = renderWithClient(<AnalyticsPage />);

    const tiles = await screen.findByText('Retry success rate');
    expect(tiles.parentElement).toHaveTextContent('75%');
    expect(screen.getByText('Failed attempts').parentElement).toHaveTextContent('6');
    expect(screen.getByText('Recovered by retry').parentElement).toHaveTextContent('2 of 3');
    expect(screen.getByText('Mean time to failure').parentElement).toHaveTextContent('13 s');

    const byCode = screen.getByRole('heading', { name: 'Failures by error code' }).parentElement!;
    const rows = within(byCode).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('Generation took too long COMFYUI_TIMEOUT');
    expect(rows[1]).toHaveTextContent('yes');
    expect(rows[2]).toHaveTextContent('no');
    const backends = screen.getByRole('heading', { name: 'Backends that fail most' }).parentElement!;
    expect(backends).toHaveTextContent('gpu-b');
    expect(backends).toHaveTextContent('50%');

    const first = api.requests.find((r) => r.path === '/api/analytics/errors');
    expect(first).toBeTruthy();
    await user.selectOptions(screen.getByLabelText('Window'), '7d');
    await screen.findByText('Retry success rate');
    await user.selectOptions(await screen.findByLabelText('Project'), 'p1');
    await screen.findByText('Retry success rate');
    expect(api.calls('GET', '/api/analytics/errors').length).toBeGreaterThanOrEqual(3);
  });

  it('says so when nothing failed', async () => {
    new FakeApi()
      .on('GET', '/api/projects', json([]))
      .on(
        'GET',
        '/api/analytics/errors',
        json(
          analytics({
            totals: { attempts: 3, succeeded: 3, failed: 0, cancelled: 0, running: 0 },
            failuresByCode: [],
            buckets: [],
            topWorkflows: [],
            topBackends: [],
            retry: { attempts: 0, succeeded: 0, successRate: null, segmentsRetried: 0, segmentsRecovered: 0 },
            meanTimeToFailureMs: null,
          }),
        ),
      )
      .install();
    renderWithClient(<AnalyticsPage />);
    expect(await screen.findAllByText('No failures in this window.')).toHaveLength(2);
    expect(screen.getByText('Retry success rate').parentElement).toHaveTextContent('—');
  });

  it('reports a failed load with a way to try again', async () => {
    new FakeApi()
      .on('GET', '/api/projects', json([]))
      .on(
        'GET',
        '/api/analytics/errors',
        json({ error: { code: 'INTERNAL_ERROR', message: 'Something broke on our side.' } }, 500),
      )
      .install();
    renderWithClient(<AnalyticsPage />);
    expect(await screen.findByRole('alert')).toHaveTextContent('Something broke on our side.');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
