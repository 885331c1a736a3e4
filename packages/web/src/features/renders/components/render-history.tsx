import type { RenderJob } from '@framesmith/core/api-schemas';
import { formatDateTime, formatSeconds } from '../../../lib/format.ts';

const STATUS_TEXT: Record<RenderJob['status'], string> = {
  queued: 'Queued',
  generating: 'Generating',
  compositing: 'Joining clips',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

function durationOf(job: RenderJob): string {
  if (!job.startedAt || !job.finishedAt) return '';
  const s = (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;
  return Number.isFinite(s) && s >= 0 ? `took ${formatSeconds(s)}` : '';
}

/** Past renders, newest first: when, how it ended, the clip counts, and each final video. */
export function RenderHistory({ jobs }: { jobs: readonly RenderJob[] }) {
  if (jobs.length === 0) return null;
  return (
    <details className="render-history">
      <summary>Render history ({jobs.length})</summary>
      <ol className="render-history__list">
        {jobs.map((job) => (
          <li key={job.id} className={`render-history__item is-${job.status}`}>
            <span
              className={`status-badge status-badge--${job.status === 'compositing' ? 'generating' : job.status}`}
            >
              {STATUS_TEXT[job.status]}
            </span>
            <span>{formatDateTime(job.createdAt)}</span>
            <span>
              {job.counts.completed} of {job.counts.total} clips
              {job.counts.failed > 0 ? `, ${job.counts.failed} failed` : ''}
            </span>
            {durationOf(job) ? <span>{durationOf(job)}</span> : null}
            {job.error ? (
              <span>
                <code>{job.error.code}</code>
              </span>
            ) : null}
            {job.output ? (
              <a href={job.output.url} target="_blank" rel="noreferrer">
                Watch
              </a>
            ) : null}
          </li>
        ))}
      </ol>
    </details>
  );
}
