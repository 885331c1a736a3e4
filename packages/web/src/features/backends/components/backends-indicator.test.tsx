import type { ComfyHealth } from '@framesmith/core/ops-schemas';
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { FakeApi, json } from '../../../testing/fake-api.ts';
import { FakeEventSource } from '../../../testing/fake-event-source.ts';
import { renderWithClient } from '../../../testing/render.tsx';
import { useLiveEvents } from '../../events/api/use-live-events.ts';
import { BackendsIndicator } from './backends-indicator.tsx';

function LiveHeader() {
  useLiveEvents(null);
  return <BackendsIndicator />;
}

const backend = (over: Partial<ComfyHealth['backends'][number]>): ComfyHealth['backends'][number] => ({
  name: 'gpu-1',
  status: 'healthy',
  enabled: true,
  draining: false,
  latencyMs: 12.4,
  version: '0.3.40',
  queueRemaining: 2,
  devices: [{ name: 'NVIDIA RTX 4090', vramTotal: 24 * 1024 ** 3, vramFree: 8 * 1024 ** 3 }],
  circuit: 'closed',
  inFlight: 1,
  lastCheckedAt: new Date().toISOString(),
  lastError: null,
  ...over,
});

describe('backends indicator', () => {
  it('summarises the backends and shows each one on request', async () => {
    new FakeApi()
      .on('GET', '/api/meta', json({ version: '0.1.0', backendMode: 'comfyui', database: 'postgres' }))
      .on(
        'GET',
        '/api/health/comfyui',
        json({
          status: 'degraded',
          backends: [
            backend({}),
            backend({
              name: 'gpu-2',
              status: 'unreachable',
              circuit: 'open',
              latencyMs: null,
              devices: [],
              lastError: 'Connection refused',
            }),
          ],
        }),
      )
      .install();
    const { user } = renderWithClient(<BackendsIndicator />);
    const button = await screen.findByRole('button', { name: /1 of 2 GPU backends healthy/ });
    expect(screen.queryByText('Simulated')).not.toBeInTheDocument();
    await user.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    const panel = screen.getByRole('region', { name: 'GPU backends' });
    const [first, second] = within(panel).getAllByRole('listitem');
    expect(first).toHaveTextContent('gpu-1');
    expect(first).toHaveTextContent('12 ms');
    expect(first).toHaveTextContent('2 · 1 ours running');
    expect(first).toHaveTextContent('NVIDIA RTX 4090 · 16 GB of 24 GB VRAM used');
    expect(first).toHaveTextContent('closed (accepting work)');
    expect(second).toHaveTextContent('unreachable');
    expect(second).toHaveTextContent('open (not sent work for now)');
    expect(second).toHaveTextContent('Connection refused');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('region', { name: 'GPU backends' })).not.toBeInTheDocument();
    expect(button).toHaveFocus();
  });

  it('a backend whose breaker is still open does not count as healthy (it turns work away)', async () => {
    new FakeApi()
      .on('GET', '/api/meta', json({ version: '0.1.0', backendMode: 'comfyui', database: 'pglite' }))
      .on('GET', '/api/health/comfyui', json({ status: 'healthy', backends: [backend({ circuit: 'open' })] }))
      .install();
    renderWithClient(<BackendsIndicator />);
    expect(await screen.findByRole('button', { name: /0 of 1 GPU backends healthy/ })).toBeInTheDocument();
  });

  it('a clear "Simulated" badge when the simulator stands in for a GPU; a 503 report still shows', async () => {
    new FakeApi()
      .on('GET', '/api/meta', json({ version: '0.1.0', backendMode: 'simulated', database: 'pglite' }))
      .on(
        'GET',
        '/api/health/comfyui',
        json({ status: 'unhealthy', backends: [backend({ name: 'simulator', status: 'unreachable' })] }, 503),
      )
      .install();
    const { user } = renderWithClient(<BackendsIndicator />);
    expect(await screen.findByText('Simulated')).toBeInTheDocument();
    const button = await screen.findByRole('button', { name: /0 of 1 GPU backends healthy/ });
    await user.click(button);
    await waitFor(() =>
      expect(screen.getByRole('region', { name: 'GPU backends' })).toHaveTextContent(/Simulated mode/),
    );
  });

  it('a `backend` event on the stream updates the indicator without a refetch', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    const api = new FakeApi()
      .on('GET', '/api/meta', json({ version: '0.1.0', backendMode: 'comfyui', database: 'pglite' }))
      .on(
        'GET',
        '/api/health/comfyui',
        json({ status: 'healthy', backends: [backend({}), backend({ name: 'gpu-2' })] }),
      )
      .install();
    renderWithClient(<LiveHeader />);
    await screen.findByRole('button', { name: /2 of 2 GPU backends healthy/ });
    const stream = FakeEventSource.last!;
    act(() => stream.open());
    const fetched = api.calls('GET', '/api/health/comfyui').length;

    act(() =>
      stream.send(
        'backend',
        backend({ name: 'gpu-2', status: 'unreachable', lastError: 'Connection refused' }),
      ),
    );
    expect(await screen.findByRole('button', { name: /1 of 2 GPU backends healthy/ })).toBeInTheDocument();
    act(() => stream.send('backend', backend({ name: 'gpu-2' })));
    expect(await screen.findByRole('button', { name: /2 of 2 GPU backends healthy/ })).toBeInTheDocument();
    expect(api.calls('GET', '/api/health/comfyui')).toHaveLength(fetched);
  });
});
