import { formatSeconds } from '../../../lib/format.ts';
import type { ErrorAnalytics } from '../api/get-error-analytics.ts';

const percent = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);
const ms = (v: number | null) => (v === null ? '—' : formatSeconds(v / 1000));

/** The window's headline numbers. */
export function SummaryTiles({ data }: { data: ErrorAnalytics }) {
  const finished = data.totals.succeeded + data.totals.failed;
  const tiles = [
    { label: 'Attempts', value: String(data.totals.attempts), hint: `${data.totals.running} running now` },
    {
      label: 'Failed attempts',
      value: String(data.totals.failed),
      hint: finished > 0 ? `${percent(data.totals.failed / finished)} of finished attempts` : 'none finished',
    },
    {
      label: 'Retry success rate',
      value: percent(data.retry.successRate),
      hint: `${data.retry.succeeded} of ${data.retry.attempts} retries succeeded`,
    },
    {
      label: 'Recovered by retry',
      value: `${data.retry.segmentsRecovered} of ${data.retry.segmentsRetried}`,
      hint: 'segments that needed more than one attempt',
    },
    { label: 'Mean time to failure', value: ms(data.meanTimeToFailureMs), hint: 'from an attempt’s start' },
    { label: 'Mean time to success', value: ms(data.meanTimeToSuccessMs), hint: 'per successful attempt' },
  ];
  return (
    <dl className="analytics-tiles">
      {tiles.map((t) => (
        <div key={t.label} className="analytics-tile">
          <dt>{t.label}</dt>
          <dd>
            <span className="analytics-tile__value">{t.value}</span>
            <span className="analytics-tile__hint">{t.hint}</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}
