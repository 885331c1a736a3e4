import { WEBHOOK_EVENTS, type WebhookEventName } from '@framesmith/core/ops-schemas';
import { type FormEvent, useId, useState } from 'react';
import { Field } from '../../../components/field.tsx';
import { apiFieldErrors, type FieldErrors, validate } from '../../../lib/validation.ts';
import { createWebhookInput, useCreateWebhook } from '../api/create-webhook.ts';
import { EVENT_LABELS, FORMAT_LABELS } from './event-labels.ts';

/** Add a webhook: where to send, which events, and in which format. */
export function WebhookForm({
  onCreated,
  onCancel,
}: {
  onCreated: (secret: string) => void;
  onCancel: () => void;
}) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventName[]>(['render.completed', 'render.failed']);
  const [format, setFormat] = useState<'standard' | 'slack'>('standard');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = useCreateWebhook();
  const eventsId = useId();
  const formatId = useId();

  const toggle = (e: WebhookEventName) =>
    setEvents((list) => (list.includes(e) ? list.filter((x) => x !== e) : [...list, e]));

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const result = validate(createWebhookInput, {
      url,
      events: WEBHOOK_EVENTS.filter((e) => events.includes(e)),
      format,
      ...(description ? { description } : {}),
    });
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    create.mutate(result.data, {
      onSuccess: (w) => onCreated(w.secret),
      onError: (err) =>
        setErrors(
          apiFieldErrors(err, ['url', 'events', 'format', 'description'], 'Could not add the webhook.'),
        ),
    });
  };

  return (
    <form className="webhook-form" onSubmit={submit} noValidate aria-label="Add webhook">
      <h2>Add a webhook</h2>
      <Field label="Receiver URL" error={errors.url} hint="Deliveries are POSTed here as JSON.">
        {(p) => (
          <input
            {...p}
            className="input"
            type="url"
            inputMode="url"
            placeholder="https://example.com/framesmith-hook"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
        )}
      </Field>
      <fieldset className="webhook-form__events" aria-describedby={errors.events ? eventsId : undefined}>
        <legend>Events</legend>
        {WEBHOOK_EVENTS.map((e) => (
          <label key={e} className="webhook-form__event">
            <input type="checkbox" checked={events.includes(e)} onChange={() => toggle(e)} />
            <span>
              <strong>{EVENT_LABELS[e].label}</strong> <code>{e}</code>
              <span className="hint"> — {EVENT_LABELS[e].hint}</span>
            </span>
          </label>
        ))}
        {errors.events ? (
          <p id={eventsId} className="field__error">
            {errors.events}
          </p>
        ) : null}
      </fieldset>
      <fieldset className="webhook-form__format" aria-describedby={formatId}>
        <legend>Format</legend>
        {(['standard', 'slack'] as const).map((f) => (
          <label key={f} className="radio">
            <input
              type="radio"
              name="format"
              value={f}
              checked={format === f}
              onChange={() => setFormat(f)}
            />{' '}
            {FORMAT_LABELS[f]}
          </label>
        ))}
        <p id={formatId} className="hint">
          Slack: paste a Slack incoming-webhook URL; each event is sent as one readable line.
        </p>
      </fieldset>
      <Field label="Description (optional)" error={errors.description}>
        {(p) => (
          <input
            {...p}
            className="input"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        )}
      </Field>
      {errors._form ? (
        <p className="form-error" role="alert">
          {errors._form}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? 'Adding…' : 'Add webhook'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
