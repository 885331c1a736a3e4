import { useState } from 'react';

/** The signing secret, shown once (after creating or rotating), with how a receiver checks it. */
export function SecretNotice({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="webhook-secret" role="status">
      <p>
        <strong>Signing secret.</strong> Copy it now: it will not be shown again.
      </p>
      <p>
        <code className="webhook-secret__value">{secret}</code>
      </p>
      <p className="hint">
        Each delivery carries <code>webhook-id</code>, <code>webhook-timestamp</code> and{' '}
        <code>webhook-signature</code> headers (Standard Webhooks). Verify them with any Standard Webhooks
        library and this secret.
      </p>
      <div className="form-actions">
        <button type="button" className="button" onClick={copy}>
          {copied ? 'Copied' : 'Copy secret'}
        </button>
        <button type="button" className="button button--primary" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
