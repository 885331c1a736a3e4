import { act, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeApi, json } from '../testing/fake-api.ts';
import { FakeEventSource } from '../testing/fake-event-source.ts';
import { renderWithClient } from '../testing/render.tsx';
import { AppLayout } from './layout.tsx';

const gpu = {
  name: 'gpu-1',
  status: 'healthy',
  enabled: true,
  draining: false,
  latencyMs: 10,
  version: '0.3.64',
  queueRemaining: 0,
  devices: [],
  circuit: 'closed',
  inFlight: 0,
  lastCheckedAt: new Date().toISOString(),
  lastError: null,
};

function api() {
  new FakeApi()
    .on('GET', '/api/meta', json({ version: '0.1.0', backendMode: 'comfyui', database: 'pglite' }))
    .on('GET', '/api/health/comfyui', json({ status: 'healthy', backends: [gpu] }))
    .install();
}

describe('app layout live stream', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    FakeEventSource.last = null;
    window.history.pushState({}, '', '/');
  });

  it('a page without a stream of its own gets one, so the backends indicator stays live', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    api();
    window.history.pushState({}, '', '/workflows');
    renderWithClient(
      <AppLayout>
        <p>page</p>
      </AppLayout>,
    );
    await waitFor(() => expect(FakeEventSource.last?.url).toBe('/api/events?scope=backends'));
    await screen.findByRole('button', { name: /1 of 1 GPU backends healthy/ });
    const stream = FakeEventSource.last!;
    act(() => stream.open());
    act(() => stream.send('backend', { ...gpu, status: 'unreachable', lastError: 'Connection refused' }));
    expect(await screen.findByRole('button', { name: /0 of 1 GPU backends healthy/ })).toBeInTheDocument();
  });

  it('on a project page the layout leaves the stream to the page', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    api();
    window.history.pushState({}, '', '/projects/00000000-0000-4000-8000-000000000009');
    renderWithClient(
      <AppLayout>
        <p>page</p>
      </AppLayout>,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(FakeEventSource.last).toBeNull();
  });
});
