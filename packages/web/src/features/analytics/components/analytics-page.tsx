import { lazy, Suspense, useId, useState } from 'react';
import { PageHeading } from '../../../components/page-heading.tsx';
import { QueryError } from '../../../components/query-error.tsx';
import { RANGES, type RangeKey, useErrorAnalytics } from '../api/get-error-analytics.ts';
import { useProjectOptions } from '../api/get-project-options.ts';
import { BreakdownTables } from './breakdown-tables.tsx';
import { SummaryTiles } from './summary-tiles.tsx';
import './analytics.css';

const FailuresChart = lazy(() => import('./failures-chart.tsx'));

/** Lazy route `/analytics`: error patterns over time (seed, future enhancement 2). */
export default function AnalyticsPage() {
  const [range, setRange] = useState<RangeKey>('24h');
  const [projectId, setProjectId] = useState<string | null>(null);
  const analytics = useErrorAnalytics({ range, projectId });
  const projects = useProjectOptions();
  const rangeId = useId();
  const projectSelectId = useId();

  return (
    <div className="page analytics">
      <div className="page-head">
        <PageHeading>Error analytics</PageHeading>
        <div className="analytics-controls">
          <label htmlFor={rangeId}>Window</label>
          <select
            id={rangeId}
            className="input"
            value={range}
            onChange={(e) => setRange(e.target.value as RangeKey)}
          >
            {Object.entries(RANGES).map(([key, r]) => (
              <option key={key} value={key}>
                {r.label}
              </option>
            ))}
          </select>
          <label htmlFor={projectSelectId}>Project</label>
          <select
            id={projectSelectId}
            className="input"
            value={projectId ?? ''}
            onChange={(e) => setProjectId(e.target.value || null)}
          >
            <option value="">All projects</option>
            {(projects.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {analytics.isPending ? (
        <p className="loading">Loading error analytics…</p>
      ) : analytics.isError ? (
        <QueryError error={analytics.error} what="error analytics" onRetry={() => analytics.refetch()} />
      ) : (
        <div aria-busy={analytics.isFetching} className="analytics-body">
          <SummaryTiles data={analytics.data} />
          <section aria-labelledby="analytics-over-time" className="analytics-section">
            <h2 id="analytics-over-time">Failures over time</h2>
            {analytics.data.totals.failed === 0 ? (
              <p className="muted">No failures in this window.</p>
            ) : (
              <Suspense fallback={<p className="loading">Drawing the chart…</p>}>
                <FailuresChart data={analytics.data} />
              </Suspense>
            )}
          </section>
          <BreakdownTables data={analytics.data} />
        </div>
      )}
    </div>
  );
}
