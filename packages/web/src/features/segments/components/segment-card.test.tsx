import type { Segment } from '@framesmith/core/api-schemas';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { upsertSegment } from '../../../lib/project-cache.ts';
import { queryKeys } from '../../../lib/query-keys.ts';
import { FakeApi, apiError, as, json } from '../../../testing/fake-api.ts';
import { PROJECT_ID, makeProject, makePublicError, makeSegment } from '../../../testing/factories.ts';
import { renderWithClient, testQueryClient } from '../../../testing/render.tsx';
import { TimelineHarness } from '../../../testing/timeline-harness.tsx';

function setup(segments: Segment[], api = new FakeApi()) {
  api.install();
  const client = testQueryClient();
  client.setQueryData(queryKeys.project(PROJECT_ID), makeProject(segments));
  const view = renderWithClient(<TimelineHarness projectId={PROJECT_ID} />, { client });
  return { ...view, api };
}

const card = (n: number) => screen.getByRole('listitem', { name: new RegExp(`^Segment ${n} of`) });

describe('segment card states', () => {
  it('pending: says it generates on the next render', () => {
    setup([makeSegment()]);
    expect(within(card(1)).getByText('Pending')).toBeInTheDocument();
    expect(within(card(1)).getByText(/Not generated yet/)).toBeInTheDocument();
  });

  it('queued for the first time: waiting for a GPU, with the place in line', () => {
    setup([makeSegment({ status: 'queued', attempt: 1, queuePosition: 2 })]);
    expect(within(card(1)).getByText('Queued')).toBeInTheDocument();
    expect(within(card(1)).getByText('Waiting for a GPU · position 2 in line')).toBeInTheDocument();
  });

  it('queued for an automatic retry: attempt n of N, the next try time and the last error', () => {
    const next = new Date(Date.now() + 8000).toISOString();
    setup([
      makeSegment({
        status: 'queued',
        attempt: 2,
        maxAttempts: 3,
        nextAttemptAt: next,
        error: makePublicError('COMFYUI_CONNECTION_ERROR'),
      }),
    ]);
    const c = card(1);
    expect(within(c).getByText(/Attempt 2 of 3 · next try at .+ \(in \d s\)/)).toBeInTheDocument();
    expect(within(c).getByText(/Last try: Cannot reach the video generation service/)).toHaveTextContent(
      'COMFYUI_CONNECTION_ERROR',
    );
    // The last error is a note, not the full error card: it is being retried already.
    expect(within(c).queryByRole('article')).not.toBeInTheDocument();
  });

  it('generating: a progress bar, the step and the backend', () => {
    const seg = makeSegment({ status: 'generating', attempt: 1, progress: 0.45, backend: 'sim-1' });
    setup([{ ...seg, step: 12, steps: 30 } as Segment]);
    const bar = within(card(1)).getByRole('progressbar', { name: 'Generating segment 1' });
    expect((bar as HTMLProgressElement).value).toBeCloseTo(0.45);
    expect(within(card(1)).getByText('45% · step 12 of 30 · on sim-1')).toBeInTheDocument();
  });

  it('completed: the clip, with its first frame, plays inline', () => {
    setup([
      makeSegment({
        status: 'completed',
        progress: 1,
        attempt: 1,
        output: { assetId: 'a1', url: '/api/assets/a1', durationSeconds: 2, width: 512, height: 512 },
      }),
    ]);
    const video = within(card(1)).getByLabelText('Clip of segment 1') as HTMLVideoElement;
    expect(video.tagName).toBe('VIDEO');
    expect(video.getAttribute('src')).toMatch(/^\/api\/assets\/a1/);
    expect(video).toHaveAttribute('playsinline');
    expect(video).toHaveAttribute('controls');
    expect(within(card(1)).getByText(/Clip ready · 2\.0 s/)).toBeInTheDocument();
  });

  it('failed (permanent): the error card, without Retry', () => {
    setup([makeSegment({ status: 'failed', attempt: 1, error: makePublicError('COMFYUI_MISSING_MODEL') })]);
    const c = card(1);
    expect(within(c).getByText('Failed')).toBeInTheDocument();
    expect(within(c).getByRole('article', { name: 'A model file is missing' })).toBeInTheDocument();
    expect(within(c).queryByRole('button', { name: /^retry/i })).not.toBeInTheDocument();
    expect(within(c).getByRole('link', { name: 'Open workflow settings' })).toHaveAttribute(
      'href',
      expect.stringMatching(/^\/workflows\//),
    );
  });

  it('cancelled: says how to get it generated', () => {
    setup([makeSegment({ status: 'cancelled', attempt: 1 })]);
    expect(within(card(1)).getByText('Cancelled: render again to generate it.')).toBeInTheDocument();
  });
});

describe('one-click retry', () => {
  it('shows a loading state until the segment is queued again, then the queued state', async () => {
    const failed = makeSegment({
      status: 'failed',
      attempt: 3,
      error: makePublicError('COMFYUI_CONNECTION_ERROR'),
    });
    let answer!: () => void;
    const api = new FakeApi().on(
      'POST',
      '/api/segments/:id/retry',
      () =>
        new Promise((resolve) => {
          answer = () =>
            resolve(
              as('Segment', {
                ...failed,
                status: 'queued',
                attempt: 4,
                maxAttempts: 6,
                error: null,
                updatedAt: new Date().toISOString(),
              }),
            );
        }),
    );
    const { user } = setup([failed], api);
    await user.click(within(card(1)).getByRole('button', { name: 'Retry' }));
    expect(within(card(1)).getByRole('button', { name: /Retrying/ })).toBeDisabled();
    expect(api.calls('POST', `/api/segments/${failed.id}/retry`)).toHaveLength(1);
    answer();
    await waitFor(() => expect(within(card(1)).getByText('Queued')).toBeInTheDocument());
    expect(within(card(1)).queryByRole('article')).not.toBeInTheDocument();
  });

  it('keeps the loading state until the event stream says queued, when the answer carries no segment', async () => {
    const failed = makeSegment({ status: 'failed', attempt: 3, error: makePublicError('COMFYUI_TIMEOUT') });
    const api = new FakeApi().on('POST', '/api/segments/:id/retry', json({ ok: true }, 202));
    const { user, client } = setup([failed], api);
    await user.click(within(card(1)).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(api.requests).toHaveLength(1));
    expect(within(card(1)).getByRole('button', { name: /Retrying/ })).toBeDisabled();
    upsertSegment(client, { ...failed, status: 'queued', error: null, updatedAt: new Date().toISOString() });
    await waitFor(() => expect(within(card(1)).getByText('Queued')).toBeInTheDocument());
  });

  it('says why when the server refuses the retry, and lets the user try again', async () => {
    const failed = makeSegment({
      status: 'failed',
      attempt: 3,
      error: makePublicError('COMFYUI_OUT_OF_MEMORY'),
    });
    const api = new FakeApi().on(
      'POST',
      '/api/segments/:id/retry',
      apiError(409, 'CONFLICT', 'This segment has not failed.'),
    );
    const { user } = setup([failed], api);
    await user.click(within(card(1)).getByRole('button', { name: 'Retry' }));
    expect(await within(card(1)).findByRole('alert')).toHaveTextContent('This segment has not failed.');
    expect(within(card(1)).getByRole('button', { name: 'Retry' })).toBeEnabled();
  });
});

describe('card actions', () => {
  it('moves a segment down with the keyboard-reachable button, and the order is sent', async () => {
    const a = makeSegment({ position: 0, prompt: 'first shot' });
    const b = makeSegment({ position: 1, prompt: 'second shot' });
    const api = new FakeApi().on('POST', '/api/projects/:id/segments/reorder', json({ ok: true }));
    const { user } = setup([a, b], api);
    await user.click(screen.getByRole('button', { name: 'Move segment 1 down' }));
    await waitFor(() => expect(api.requests).toHaveLength(1));
    expect(api.requests[0]!.body).toEqual({ segmentIds: [b.id, a.id] });
    expect(within(card(1)).getByText('second shot')).toBeInTheDocument();
  });

  it('puts the order back when the server refuses it', async () => {
    const a = makeSegment({ position: 0, prompt: 'first shot' });
    const b = makeSegment({ position: 1, prompt: 'second shot' });
    const api = new FakeApi().on(
      'POST',
      '/api/projects/:id/segments/reorder',
      apiError(409, 'CONFLICT', 'The timeline changed meanwhile'),
    );
    const { user } = setup([a, b], api);
    await user.click(screen.getByRole('button', { name: 'Move segment 1 down' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The timeline changed meanwhile');
    expect(within(card(1)).getByText('first shot')).toBeInTheDocument();
  });

  it('duplicates right after itself', async () => {
    const a = makeSegment({
      position: 0,
      prompt: 'first shot',
      params: { width: 832, height: 480, seed: 7 },
    });
    const api = new FakeApi().on('POST', '/api/projects/:id/segments', (req) =>
      as('Segment', makeSegment({ ...(req.body as object), position: 1 })),
    );
    const { user } = setup([a], api);
    await user.click(screen.getByRole('button', { name: 'Duplicate segment 1' }));
    await waitFor(() =>
      expect(screen.getAllByRole('listitem', { name: /^Segment \d of 2/ })).toHaveLength(2),
    );
    expect(api.requests[0]!.body).toMatchObject({
      prompt: 'first shot',
      params: { width: 832, height: 480, seed: 7 },
      position: 1,
    });
  });

  it('deletes after confirming; Cancel keeps it', async () => {
    const a = makeSegment({ position: 0 });
    const api = new FakeApi().on('DELETE', '/api/segments/:id', { status: 204 });
    const { user } = setup([a], api);
    await user.click(screen.getByRole('button', { name: 'Delete segment 1' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete segment 1?' });
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(api.requests).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Delete segment 1' }));
    await user.click(screen.getByRole('button', { name: 'Delete segment' }));
    await waitFor(() => expect(screen.queryByRole('listitem')).not.toBeInTheDocument());
    expect(api.calls('DELETE', `/api/segments/${a.id}`)).toHaveLength(1);
  });

  it('cancels a generating segment', async () => {
    const a = makeSegment({ status: 'generating', attempt: 1, progress: 0.2 });
    const api = new FakeApi().on('POST', '/api/segments/:id/cancel', () =>
      as('Segment', { ...a, status: 'cancelled', updatedAt: new Date().toISOString() }),
    );
    const { user } = setup([a], api);
    await user.click(within(card(1)).getByRole('button', { name: 'Cancel segment 1' }));
    await waitFor(() => expect(within(card(1)).getByText(/^Cancelled:/)).toBeInTheDocument());
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: `/api/segments/${a.id}/cancel` });
  });
});
