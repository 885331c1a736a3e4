import type { ErrorAnalytics } from '../api/get-error-analytics.ts';
import { colorOf } from './code-colors.ts';

const percent = (v: number) => `${Math.round(v * 100)}%`;

/** Failures by code, and the workflows and backends that fail most. */
export function BreakdownTables({ data }: { data: ErrorAnalytics }) {
  return (
    <div className="analytics-tables">
      <section aria-labelledby="analytics-codes">
        <h2 id="analytics-codes">Failures by error code</h2>
        {data.failuresByCode.length === 0 ? (
          <p className="muted">No failures in this window.</p>
        ) : (
          <table className="analytics-table">
            <thead>
              <tr>
                <th scope="col">Error</th>
                <th scope="col">Retried automatically</th>
                <th scope="col" className="num">
                  Failures
                </th>
              </tr>
            </thead>
            <tbody>
              {data.failuresByCode.map((f) => (
                <tr key={f.code}>
                  <td>
                    <span
                      className="analytics-swatch"
                      style={{ background: colorOf(f.code) }}
                      aria-hidden="true"
                    />
                    {f.title} <code>{f.code}</code>
                  </td>
                  <td>{f.retryable === null ? '—' : f.retryable ? 'yes' : 'no'}</td>
                  <td className="num">{f.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="analytics-workflows">
        <h2 id="analytics-workflows">Workflows that fail most</h2>
        <RateTable
          rows={data.topWorkflows.map((w) => ({ ...w, key: w.workflowId ?? w.name }))}
          what="workflow"
        />
      </section>
      <section aria-labelledby="analytics-backends">
        <h2 id="analytics-backends">Backends that fail most</h2>
        <RateTable
          rows={data.topBackends.map((b) => ({ key: b.backend, name: b.backend, ...b }))}
          what="backend"
        />
      </section>
    </div>
  );
}

function RateTable({
  rows,
  what,
}: {
  rows: { key: string; name: string; failures: number; attempts: number; failureRate: number }[];
  what: string;
}) {
  if (rows.length === 0) return <p className="muted">No {what} had a failure in this window.</p>;
  return (
    <table className="analytics-table">
      <thead>
        <tr>
          <th scope="col">{what === 'workflow' ? 'Workflow' : 'Backend'}</th>
          <th scope="col" className="num">
            Failures
          </th>
          <th scope="col" className="num">
            Finished attempts
          </th>
          <th scope="col" className="num">
            Failure rate
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <td>{r.name}</td>
            <td className="num">{r.failures}</td>
            <td className="num">{r.attempts}</td>
            <td className="num">{percent(r.failureRate)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
