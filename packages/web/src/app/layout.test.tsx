import { waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeApi, json } from '../testing/fake-api.ts';
import { FakeEventSource } from '../testing/fake-event-source.ts';
import { renderWithClient } from '../testing/render.tsx';
import { AppLayout } from './layout.tsx';

function api() {
  new FakeApi()
    .on('GET', '/api/meta', json({ version: '0.1.0', backendMode: 'simulated', database: 'pglite' }))
    .on('GET', '/api/health/comfyui', json({ status: 'healthy', simulated: true, backends: [] }))
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
    await waitFor(() => expect(FakeEventSource.last?.url).toBe('/api/events'));
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
