import { useState } from 'react';
import { PageHeading } from '../../../components/page-heading.tsx';
import { QueryError } from '../../../components/query-error.tsx';
import { useWebhooks } from '../api/get-webhooks.ts';
import { SecretNotice } from './secret-notice.tsx';
import { WebhookCard } from './webhook-card.tsx';
import { WebhookForm } from './webhook-form.tsx';
import './webhooks.css';

/** Lazy route `/webhooks`: notifications to other systems (seed, future enhancement 4). */
export default function WebhooksPage() {
  const webhooks = useWebhooks();
  const [adding, setAdding] = useState(false);
  const [createdSecret, setCreatedSecret] = useState<string | null>(null);

  return (
    <div className="page webhooks">
      <div className="page-head">
        <PageHeading>Webhooks</PageHeading>
        {!adding ? (
          <button type="button" className="button button--primary" onClick={() => setAdding(true)}>
            Add webhook
          </button>
        ) : null}
      </div>
      <p className="hint">
        Tell another system when renders finish, segments fail, GPU backends go down or come back, or one
        error keeps happening. A receiver that fails is retried with backoff and never holds up a render.
      </p>
      {adding ? (
        <WebhookForm
          onCreated={(secret) => {
            setAdding(false);
            setCreatedSecret(secret);
          }}
          onCancel={() => setAdding(false)}
        />
      ) : null}
      {createdSecret ? <SecretNotice secret={createdSecret} onDone={() => setCreatedSecret(null)} /> : null}
      {webhooks.isPending ? (
        <p className="loading">Loading webhooks…</p>
      ) : webhooks.isError ? (
        <QueryError error={webhooks.error} what="webhooks" onRetry={() => webhooks.refetch()} />
      ) : webhooks.data.length === 0 ? (
        <p className="empty">No webhooks yet.</p>
      ) : (
        <ul className="webhook-list" aria-label="Webhooks">
          {webhooks.data.map((w) => (
            <WebhookCard key={w.id} webhook={w} />
          ))}
        </ul>
      )}
    </div>
  );
}
