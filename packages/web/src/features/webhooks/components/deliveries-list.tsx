import { formatAgo } from '../../../lib/format.ts';
import { useDeliveries } from '../api/get-deliveries.ts';
import { useRedeliver } from '../api/redeliver.ts';
import { QueryError } from '../../../components/query-error.tsx';

const STATUS_TEXT: Record<string, string> = {
  pending: 'sending',
  delivered: 'delivered',
  failed: 'failed',
};

/** The latest deliveries of one webhook: what was sent, how many tries, and the last answer. */
export function DeliveriesList({ webhookId }: { webhookId: string }) {
  const deliveries = useDeliveries(webhookId);
  const redeliver = useRedeliver(webhookId);
  if (deliveries.isPending) return <p className="loading">Loading deliveries…</p>;
  if (deliveries.isError) {
    return <QueryError error={deliveries.error} what="deliveries" onRetry={() => deliveries.refetch()} />;
  }
  if (deliveries.data.length === 0) return <p className="muted">Nothing sent yet.</p>;
  return (
    <table className="webhook-deliveries">
      <caption className="sr-only">Latest deliveries</caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Status</th>
          <th scope="col">Tries</th>
          <th scope="col">Last answer</th>
          <th scope="col">When</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {deliveries.data.map((d) => (
          <tr key={d.id}>
            <td>
              <code>{d.event}</code>
            </td>
            <td>
              <span className={`delivery-status delivery-status--${d.status}`}>
                {STATUS_TEXT[d.status] ?? d.status}
              </span>
            </td>
            <td>{d.attempts}</td>
            <td>{d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '—')}</td>
            <td>{formatAgo(d.deliveredAt ?? d.createdAt)}</td>
            <td>
              {d.status !== 'pending' ? (
                <button
                  type="button"
                  className="button button--small"
                  disabled={redeliver.isPending && redeliver.variables === d.id}
                  onClick={() => redeliver.mutate(d.id)}
                >
                  Send again
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
