import type { Project } from '@framesmith/core/api-schemas';
import { formatAgo, plural } from '../../../lib/format.ts';

const RENDER_STATUS_TEXT: Record<string, string> = {
  queued: 'queued',
  generating: 'generating',
  compositing: 'joining clips',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** "3 of 5 clips done · 1 failed · last render completed 2 min ago". */
export function ProjectSummary({ project }: { project: Project }) {
  const { counts, lastRender } = project;
  const active = counts.queued + counts.generating;
  return (
    <p className="project-summary">
      <span>
        {counts.total === 0
          ? 'No segments yet'
          : `${counts.completed} of ${plural(counts.total, 'clip')} done`}
      </span>
      {counts.failed > 0 ? <span className="text-danger">{counts.failed} failed</span> : null}
      {active > 0 ? <span>{active} in progress</span> : null}
      <span className={lastRender?.status === 'failed' ? 'text-danger' : undefined}>
        {lastRender
          ? `Last render ${RENDER_STATUS_TEXT[lastRender.status] ?? lastRender.status}${
              lastRender.finishedAt ? ` ${formatAgo(lastRender.finishedAt)}` : ''
            }`
          : 'Never rendered'}
      </span>
    </p>
  );
}
