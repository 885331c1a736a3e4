import type { RenderJob, Segment } from '@framesmith/core/api-schemas';
import { isActiveRenderJob } from '@framesmith/core/status';
import { useId } from 'react';
import { ErrorCard } from '../../../components/error-card.tsx';
import { SpinnerIcon } from '../../../components/icons.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { formatAgo, formatClock, formatPercent, formatSeconds, toFraction } from '../../../lib/format.ts';
import { useCancelRender } from '../api/cancel-render.ts';
import { useRetryFailed } from '../api/retry-failed.ts';
import { useStartRender } from '../api/start-render.ts';
import { RenderHistory } from './render-history.tsx';
import { renderPlan, renderReadiness } from './render-readiness.ts';

interface RenderBarProps {
  projectId: string;
  projectName: string;
  segments: readonly Segment[];
  /** Newest first. */
  jobs: readonly RenderJob[];
}

const PHASE: Record<RenderJob['status'], string> = {
  queued: 'Waiting to start',
  generating: 'Generating clips',
  compositing: 'Joining clips into the final video',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** Render, watch it, cancel it, and get the final video; the history underneath. */
export function RenderBar({ projectId, projectName, segments, jobs }: RenderBarProps) {
  const start = useStartRender(projectId);
  const cancel = useCancelRender();
  const retryFailed = useRetryFailed(projectId);
  const reasonId = useId();
  const latest = jobs[0];
  const active = latest && isActiveRenderJob(latest.status) ? latest : null;
  const readiness = renderReadiness(segments, jobs);
  const finished = jobs.find((j) => j.status === 'completed' && j.output);
  const failedJob = latest?.status === 'failed' ? latest : null;
  const retryableFailures = segments.filter((s) => s.status === 'failed' && s.error?.retryable).length;
  const done = segments.filter((s) => s.status === 'completed').length;
  const failed = segments.filter((s) => s.status === 'failed').length;
  const startError =
    start.error && !(isApiError(start.error) && start.error.status === 409) ? start.error : null;

  return (
    <section className="render-bar" aria-labelledby="render-title">
      <div className="render-bar__head">
        <h2 id="render-title" className="render-bar__title">
          Render
        </h2>
        <div className="render-bar__controls">
          {active ? (
            <button
              type="button"
              className="button"
              onClick={() => cancel.mutate(active.id)}
              disabled={cancel.isPending}
            >
              {cancel.isPending ? 'Cancelling…' : 'Cancel render'}
            </button>
          ) : (
            <button
              type="button"
              className="button button--primary"
              onClick={() => start.mutate()}
              disabled={!readiness.canRender || start.isPending}
              aria-describedby={reasonId}
            >
              {start.isPending ? <SpinnerIcon /> : null}
              {start.isPending ? 'Starting…' : 'Render'}
            </button>
          )}
        </div>
      </div>
      <p className="render-bar__counts">
        {done} of {segments.length} clips done
        {failed > 0 ? <span className="text-danger"> · {failed} failed</span> : null}
      </p>
      <p id={reasonId} className="render-bar__reason">
        {active
          ? `Started ${formatClock(active.startedAt ?? active.createdAt)}.`
          : readiness.canRender
            ? renderPlan(segments)
            : readiness.reason}
      </p>
      <div className="render-bar__progress-slot">
        {active ? (
          <div className="render-bar__progress">
            <progress
              className="progress progress--large"
              max={1}
              value={toFraction(active.progress)}
              aria-label="Render progress"
              aria-valuetext={formatPercent(active.progress)}
            />
            <p className="render-bar__phase" aria-live="polite">
              {PHASE[active.status]} · {formatPercent(active.progress)}
              {active.status === 'generating'
                ? ` · ${active.counts.completed} of ${active.counts.total} clips done`
                : ''}
              {active.counts.failed > 0 ? ` · ${active.counts.failed} failed` : ''}
            </p>
          </div>
        ) : null}
      </div>
      {startError || cancel.error ? (
        <p className="form-error" role="alert">
          {isApiError(startError ?? cancel.error)
            ? (startError ?? cancel.error)?.message
            : 'That did not work. Try again.'}
        </p>
      ) : null}
      {failedJob ? (
        <div className="render-bar__failure">
          {/* Segment failures are on their cards; the job's own card is for what failed after them (joining). */}
          {failedJob.error && failed === 0 ? <ErrorCard error={failedJob.error} headingLevel={3} /> : null}
          {failedJob.summary ? <p className="render-bar__summary">{failedJob.summary}</p> : null}
          {retryableFailures > 0 ? (
            <button
              type="button"
              className="button button--danger"
              onClick={() => retryFailed.mutate(failedJob.id)}
              disabled={retryFailed.isPending}
            >
              {retryFailed.isPending
                ? 'Retrying…'
                : `Retry ${retryableFailures} failed segment${retryableFailures === 1 ? '' : 's'}`}
            </button>
          ) : null}
        </div>
      ) : null}
      {finished?.output ? (
        <div className="final-video">
          <h3 className="final-video__title">Final video</h3>
          {/* biome-ignore lint/a11y/useMediaCaption: generated video has no speech to caption */}
          <video
            className="final-video__player"
            src={finished.output.url}
            controls
            playsInline
            preload="metadata"
            aria-label={`Final video of ${projectName}`}
          />
          <p className="final-video__meta">
            Rendered {formatAgo(finished.finishedAt)}
            {finished.output.durationSeconds ? ` · ${formatSeconds(finished.output.durationSeconds)}` : ''}
            {finished !== latest ? ' · a newer render did not finish' : ''}
            {' · '}
            <a href={finished.output.url} download={`${safeFileName(projectName)}.mp4`}>
              Download MP4
            </a>
          </p>
        </div>
      ) : null}
      <RenderHistory jobs={jobs} />
    </section>
  );
}

function safeFileName(name: string): string {
  return name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'framesmith';
}
