import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeApi, apiError, as } from '../../../testing/fake-api.ts';
import { at, makePublicError, makeRenderJob, makeSegment } from '../../../testing/factories.ts';
import { renderWithClient } from '../../../testing/render.tsx';
import { RenderBar } from './render-bar.tsx';
import { renderReadiness } from './render-readiness.ts';

const done = (position: number, updatedAt = at(20)) =>
  makeSegment({
    position,
    status: 'completed',
    attempt: 1,
    progress: 1,
    updatedAt,
    output: {
      assetId: `a${position}`,
      url: `/api/assets/a${position}`,
      durationSeconds: 2,
      width: 512,
      height: 512,
    },
  });

describe('render readiness', () => {
  it('nothing to render without segments', () => {
    expect(renderReadiness([], [])).toEqual({ canRender: false, reason: 'Add a segment to render.' });
  });

  it('not while a render is running', () => {
    expect(renderReadiness([makeSegment()], [makeRenderJob({ status: 'generating' })]).canRender).toBe(false);
  });

  it('up to date when the last render has every clip, in this order, and nothing changed since', () => {
    const segs = [done(0), done(1)];
    const job = makeRenderJob({
      status: 'completed',
      segmentIds: segs.map((s) => s.id),
      finishedAt: at(30),
      output: { assetId: 'f', url: '/api/assets/f', durationSeconds: 4, width: 512, height: 512 },
    });
    expect(renderReadiness(segs, [job])).toMatchObject({
      canRender: false,
      reason: expect.stringMatching(/^Up to date/),
    });
    // Reordered: the final video no longer matches.
    expect(renderReadiness([segs[1]!, segs[0]!], [job]).canRender).toBe(true);
    // Edited after the render.
    expect(renderReadiness([segs[0]!, done(1, at(40))], [job]).canRender).toBe(true);
  });

  it('failed or pending segments can be rendered', () => {
    const failed = makeSegment({ status: 'failed', attempt: 1, error: makePublicError('COMFYUI_TIMEOUT') });
    expect(
      renderReadiness([failed], [makeRenderJob({ status: 'failed', finishedAt: at(30) })]).canRender,
    ).toBe(true);
  });
});

describe('render bar', () => {
  it('the Render button is disabled, with the reason, when there is nothing to do', () => {
    new FakeApi().install();
    renderWithClient(<RenderBar projectId="p" projectName="Fox" segments={[]} jobs={[]} />);
    const button = screen.getByRole('button', { name: 'Render' });
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription('Add a segment to render.');
  });

  it('starts a render and says what it will do', async () => {
    const segs = [makeSegment(), done(1)];
    const api = new FakeApi()
      .on(
        'POST',
        '/api/projects/:id/render',
        as('RenderJob', makeRenderJob({ projectId: 'p', status: 'queued' }), 202),
      )
      .install();
    const { user } = renderWithClient(
      <RenderBar projectId="p" projectName="Fox" segments={segs} jobs={[]} />,
    );
    const button = screen.getByRole('button', { name: 'Render' });
    expect(button).toHaveAccessibleDescription('Generates 1 clip (1 ready), then joins them.');
    await user.click(button);
    await waitFor(() => expect(api.calls('POST', '/api/projects/p/render')).toHaveLength(1));
  });

  it('while rendering: overall progress, the phase, and Cancel', async () => {
    const job = makeRenderJob({ projectId: 'p', status: 'generating', progress: 0.4 });
    const api = new FakeApi()
      .on('POST', '/api/render-jobs/:id/cancel', as('RenderJob', { ...job, status: 'cancelled' }))
      .install();
    const { user } = renderWithClient(
      <RenderBar
        projectId="p"
        projectName="Fox"
        segments={[makeSegment({ status: 'generating', attempt: 1 })]}
        jobs={[job]}
      />,
    );
    const bar = screen.getByRole('progressbar', { name: 'Render progress' }) as HTMLProgressElement;
    expect(bar.value).toBeCloseTo(0.4);
    expect(screen.getByText(/Generating clips · 40% · 1 of 3 clips done/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Render' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Cancel render' }));
    await waitFor(() => expect(api.calls('POST', `/api/render-jobs/${job.id}/cancel`)).toHaveLength(1));
  });

  it('when done: the final video plays, can be downloaded, and the history lists the renders', async () => {
    const segs = [done(0)];
    const old = makeRenderJob({
      projectId: 'p',
      status: 'failed',
      createdAt: at(1),
      finishedAt: at(2),
      error: makePublicError('COMPOSITION_ERROR'),
    });
    const job = makeRenderJob({
      projectId: 'p',
      status: 'completed',
      progress: 1,
      segmentIds: segs.map((s) => s.id),
      finishedAt: at(30),
      createdAt: at(20),
      output: { assetId: 'final', url: '/api/assets/final', durationSeconds: 2, width: 512, height: 512 },
    });
    const { user } = renderWithClient(
      <RenderBar projectId="p" projectName="Winter fox" segments={segs} jobs={[job, old]} />,
    );
    const video = screen.getByLabelText('Final video of Winter fox') as HTMLVideoElement;
    expect(video.getAttribute('src')).toBe('/api/assets/final');
    expect(screen.getByRole('link', { name: 'Download MP4' })).toHaveAttribute('download', 'Winter-fox.mp4');
    await user.click(screen.getByText('Render history (2)'));
    const items = within(screen.getByText('Render history (2)').closest('details')!).getAllByRole('listitem');
    expect(items[0]).toHaveTextContent('Completed');
    expect(items[1]).toHaveTextContent('Failed');
    expect(items[1]).toHaveTextContent('COMPOSITION_ERROR');
  });

  it('a failed render shows its error and offers to retry the failed segments', async () => {
    const failedSeg = makeSegment({
      status: 'failed',
      attempt: 3,
      error: makePublicError('COMFYUI_CONNECTION_ERROR'),
    });
    const job = makeRenderJob({
      projectId: 'p',
      status: 'failed',
      summary: '1 of 1 segments failed: COMFYUI_CONNECTION_ERROR',
      finishedAt: at(30),
    });
    const api = new FakeApi()
      .on('POST', '/api/render-jobs/:id/retry-failed', { status: 202, body: { retried: 1 } })
      .install();
    const { user } = renderWithClient(
      <RenderBar projectId="p" projectName="Fox" segments={[failedSeg]} jobs={[job]} />,
    );
    expect(screen.getByText('1 of 1 segments failed: COMFYUI_CONNECTION_ERROR')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retry 1 failed segment' }));
    await waitFor(() => expect(api.calls('POST', `/api/render-jobs/${job.id}/retry-failed`)).toHaveLength(1));
  });

  it("a joining failure shows the job's error card; segment failures stay on their cards", () => {
    new FakeApi().install();
    const segs = [done(0)];
    const composing = makeRenderJob({
      projectId: 'p',
      status: 'failed',
      error: makePublicError('COMPOSITION_ERROR'),
      finishedAt: at(30),
    });
    const { unmount } = renderWithClient(
      <RenderBar projectId="p" projectName="Fox" segments={segs} jobs={[composing]} />,
    );
    expect(screen.getByRole('article', { name: 'The clips could not be joined' })).toBeInTheDocument();
    unmount();
    const failedSeg = makeSegment({
      status: 'failed',
      attempt: 1,
      error: makePublicError('COMFYUI_MISSING_MODEL'),
    });
    const fromSegments = makeRenderJob({
      projectId: 'p',
      status: 'failed',
      error: makePublicError('COMFYUI_MISSING_MODEL'),
      finishedAt: at(30),
    });
    renderWithClient(
      <RenderBar projectId="p" projectName="Fox" segments={[failedSeg]} jobs={[fromSegments]} />,
    );
    expect(screen.queryByRole('article')).not.toBeInTheDocument();
    // Rendering again is allowed, with a warning that it will fail the same way.
    expect(screen.getByRole('button', { name: 'Render' })).toHaveAccessibleDescription(
      /1 segment has an error that needs a change first/,
    );
    expect(screen.queryByRole('button', { name: /Retry \d failed/ })).not.toBeInTheDocument();
  });

  it('says why a render did not start', async () => {
    new FakeApi()
      .on('POST', '/api/projects/:id/render', apiError(503, 'UNAVAILABLE', 'The queue is not running.'))
      .install();
    const { user } = renderWithClient(
      <RenderBar projectId="p" projectName="Fox" segments={[makeSegment()]} jobs={[]} />,
    );
    await user.click(screen.getByRole('button', { name: 'Render' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The queue is not running.');
  });
});
