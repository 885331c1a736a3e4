import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ErrorAnalytics } from '../api/get-error-analytics.ts';
import { colorOf } from './code-colors.ts';

/** Bucket start as a short label: the time for windows of a day or less, the date beyond. */
function tickLabel(iso: string, bucketSeconds: number): string {
  const d = new Date(iso);
  return bucketSeconds < 86400
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/**
 * Failures over time, stacked by error code. Loaded on its own (recharts is large), after the
 * numbers above it are on screen. The data is also in the table that follows it.
 */
export default function FailuresChart({ data }: { data: ErrorAnalytics }) {
  const codes = data.failuresByCode.map((f) => f.code);
  const rows = data.buckets.map((b) => ({ label: tickLabel(b.start, data.bucketSeconds), ...b.byCode }));
  return (
    <div className="analytics-chart" role="img" aria-label={describe(data)}>
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} minTickGap={16} />
          <YAxis allowDecimals={false} tick={{ fontSize: 12 }} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {codes.map((code) => (
            <Bar
              key={code}
              dataKey={code}
              stackId="failures"
              fill={colorOf(code)}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function describe(data: ErrorAnalytics): string {
  if (data.totals.failed === 0) return 'Failures over time: none in this window.';
  const top = data.failuresByCode
    .slice(0, 3)
    .map((f) => `${f.count} ${f.code}`)
    .join(', ');
  return `Failures over time, stacked by error code: ${data.totals.failed} in all (${top}).`;
}
