import { QueryError } from '../../components/query-error.tsx';
import { useWorkflow } from '../../features/workflows/api/get-workflow.ts';
import { WorkflowDetail } from '../../features/workflows/components/workflow-detail.tsx';
import { Link, useLocation } from '../../lib/router.tsx';
import { PageHeading } from '../../components/page-heading.tsx';

/** Lazy route: one workflow, optionally opened at a node (`#node-8`, from an error card). */
export default function WorkflowPage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const workflow = useWorkflow(id);
  const { hash } = useLocation();
  const highlight = hash.startsWith('#node-') ? decodeURIComponent(hash.slice(6)) : null;
  if (workflow.isPending) return <p className="loading">Loading the workflow…</p>;
  if (workflow.isError) {
    return (
      <div className="page">
        <PageHeading>Workflow</PageHeading>
        <QueryError error={workflow.error} what="workflow" onRetry={() => workflow.refetch()} />
        <Link to="/workflows">← All workflows</Link>
      </div>
    );
  }
  return (
    <div className="page">
      <p className="breadcrumb">
        <Link to="/workflows">Workflows</Link> /
      </p>
      <PageHeading>{workflow.data.name}</PageHeading>
      <WorkflowDetail workflow={workflow.data} highlightNodeId={highlight} />
    </div>
  );
}
