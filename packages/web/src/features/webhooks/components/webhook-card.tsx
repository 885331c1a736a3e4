import { useId, useState } from 'react';
import { ConfirmDialog } from '../../../components/confirm-dialog.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { useDeleteWebhook } from '../api/delete-webhook.ts';
import type { Webhook } from '../api/get-webhooks.ts';
import { useUpdateWebhook } from '../api/update-webhook.ts';
import { DeliveriesList } from './deliveries-list.tsx';
import { EVENT_LABELS, FORMAT_LABELS } from './event-labels.ts';
import { SecretNotice } from './secret-notice.tsx';

/** One webhook: where it sends, what, whether it is on; its deliveries on request. */
export function WebhookCard({ webhook }: { webhook: Webhook }) {
  const update = useUpdateWebhook(webhook.id);
  const remove = useDeleteWebhook();
  const [showDeliveries, setShowDeliveries] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [newSecret, setNewSecret] = useState<string | null>(null);
  const deliveriesId = useId();
  const headingId = useId();

  return (
    <li className={`webhook-card ${webhook.enabled ? '' : 'webhook-card--off'}`} aria-labelledby={headingId}>
      <div className="webhook-card__head">
        <h3 id={headingId} className="webhook-card__url">
          {webhook.url}
        </h3>
        <span className="badge">{webhook.enabled ? 'On' : 'Off'}</span>
      </div>
      {webhook.description ? <p className="muted">{webhook.description}</p> : null}
      <ul className="chips" aria-label="Events">
        {webhook.events.map((e) => (
          <li key={e} className="chip" title={e}>
            {EVENT_LABELS[e as keyof typeof EVENT_LABELS]?.label ?? e}
          </li>
        ))}
      </ul>
      <p className="muted">
        {FORMAT_LABELS[webhook.format] ?? webhook.format} · secret <code>{webhook.secret}</code>
      </p>
      {newSecret ? <SecretNotice secret={newSecret} onDone={() => setNewSecret(null)} /> : null}
      {update.isError ? (
        <p className="form-error" role="alert">
          {isApiError(update.error) ? update.error.message : 'Could not change the webhook.'}
        </p>
      ) : null}
      <div className="form-actions">
        <button
          type="button"
          className="button button--small"
          disabled={update.isPending}
          onClick={() => update.mutate({ enabled: !webhook.enabled })}
        >
          {webhook.enabled ? 'Turn off' : 'Turn on'}
        </button>
        <button
          type="button"
          className="button button--small"
          disabled={update.isPending}
          onClick={() => update.mutate({ rotateSecret: true }, { onSuccess: (w) => setNewSecret(w.secret) })}
        >
          New secret
        </button>
        <button
          type="button"
          className="button button--small"
          aria-expanded={showDeliveries}
          aria-controls={deliveriesId}
          onClick={() => setShowDeliveries((v) => !v)}
        >
          {showDeliveries ? 'Hide deliveries' : 'Deliveries'}
        </button>
        <button
          type="button"
          className="button button--small button--danger-outline"
          onClick={() => setConfirming(true)}
        >
          Delete
        </button>
      </div>
      {showDeliveries ? (
        <div id={deliveriesId} className="webhook-card__deliveries">
          <DeliveriesList webhookId={webhook.id} />
        </div>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title="Delete this webhook?"
          confirmLabel="Delete webhook"
          busy={remove.isPending}
          error={remove.isError ? 'Could not delete the webhook. Try again.' : null}
          onConfirm={() => remove.mutate(webhook.id, { onSuccess: () => setConfirming(false) })}
          onCancel={() => setConfirming(false)}
        >
          <p>
            Nothing more will be sent to <strong>{webhook.url}</strong>, and its delivery history is removed.
          </p>
        </ConfirmDialog>
      ) : null}
    </li>
  );
}
