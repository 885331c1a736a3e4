import type { Workflow } from '@framesmith/core/api-schemas';
import { BUILTIN_TEXT_TO_VIDEO_ID } from '@framesmith/core/builtin-workflows';
import { ErrorBoundary } from '../../components/error-boundary.tsx';
import { QueryError } from '../../components/query-error.tsx';
import { useLiveEvents } from '../../features/events/api/use-live-events.ts';
import { useProject } from '../../features/projects/api/get-project.ts';
import { useRenderJobs } from '../../features/renders/api/get-render-jobs.ts';
import { RenderBar } from '../../features/renders/components/render-bar.tsx';
import { AddSegment } from '../../features/segments/components/add-segment.tsx';
import { Timeline } from '../../features/segments/components/timeline.tsx';
import { useWorkflows } from '../../features/workflows/api/get-workflows.ts';
import { Link } from '../../lib/router.tsx';
import { PageHeading } from '../../components/page-heading.tsx';

const NO_WORKFLOWS: readonly Workflow[] = [];
const STREAM_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' } as const;

/** The timeline editor: render bar, the segments with live status, and the form to add one. */
export default function ProjectPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const project = useProject(id);
  const jobs = useRenderJobs(id);
  const workflows = useWorkflows();
  const stream = useLiveEvents(id);

  if (project.isPending) return <p className="loading">Loading the timeline…</p>;
  if (project.isError) {
    return (
      <div className="page">
        <PageHeading>Project</PageHeading>
        <QueryError error={project.error} what="project" onRetry={() => project.refetch()} />
        <Link to="/">← All projects</Link>
      </div>
    );
  }
  const p = project.data;
  const workflowList = workflows.data ?? NO_WORKFLOWS;
  const defaultWorkflowId =
    workflowList.find((w) => w.id === BUILTIN_TEXT_TO_VIDEO_ID)?.id ?? workflowList[0]?.id ?? '';

  return (
    <div className="page project-page">
      <div className="page-head">
        <p className="breadcrumb">
          <Link to="/">Projects</Link> /
        </p>
        <PageHeading>{p.name}</PageHeading>
        <span className={`stream-state stream-state--${stream}`} role="status">
          <span className="dot" aria-hidden="true" />
          {STREAM_TEXT[stream]}
        </span>
      </div>
      <div className="project-layout">
        <div className="project-layout__timeline">
          <ErrorBoundary label="the timeline">
            <Timeline projectId={p.id} segments={p.segments} workflows={workflowList} />
          </ErrorBoundary>
          <ErrorBoundary label="the new segment form">
            <AddSegment
              projectId={p.id}
              last={p.segments[p.segments.length - 1]}
              workflows={workflowList}
              defaultWorkflowId={defaultWorkflowId}
            />
          </ErrorBoundary>
        </div>
        <aside className="project-layout__side" aria-label="Render">
          <ErrorBoundary label="the render bar">
            <RenderBar projectId={p.id} projectName={p.name} segments={p.segments} jobs={jobs.data ?? []} />
          </ErrorBoundary>
        </aside>
      </div>
    </div>
  );
}
