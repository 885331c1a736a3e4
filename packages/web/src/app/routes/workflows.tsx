import { useState } from 'react';
import { QueryError } from '../../components/query-error.tsx';
import { useWorkflows } from '../../features/workflows/api/get-workflows.ts';
import { ImportWorkflowForm } from '../../features/workflows/components/import-workflow-form.tsx';
import { WorkflowLibrary } from '../../features/workflows/components/workflow-library.tsx';
import { navigate } from '../../lib/router.tsx';
import { PageHeading } from '../../components/page-heading.tsx';

/** Lazy route: the workflow library. */
export default function WorkflowsPage() {
  const workflows = useWorkflows();
  const [importing, setImporting] = useState(false);
  return (
    <div className="page">
      <div className="page-head">
        <PageHeading>Workflows</PageHeading>
        {!importing ? (
          <button type="button" className="button button--primary" onClick={() => setImporting(true)}>
            Import workflow
          </button>
        ) : null}
      </div>
      {importing ? (
        <ImportWorkflowForm
          onImported={(id) => navigate(`/workflows/${id}`)}
          onCancel={() => setImporting(false)}
        />
      ) : null}
      {workflows.isPending ? (
        <p className="loading">Loading workflows…</p>
      ) : workflows.isError ? (
        <QueryError error={workflows.error} what="workflows" onRetry={() => workflows.refetch()} />
      ) : (
        <WorkflowLibrary workflows={workflows.data} />
      )}
    </div>
  );
}
