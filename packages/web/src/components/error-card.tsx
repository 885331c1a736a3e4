import type { PublicError } from '@framesmith/core/app-error';
import { type ReactNode, useId } from 'react';
import { formatClock } from '../lib/format.ts';
import { Link } from '../lib/router.tsx';
import { ErrorIcon, RetryIcon, SpinnerIcon } from './icons.tsx';

export interface ErrorCardProps {
  error: PublicError;
  /** Shown only when the error is retryable. */
  onRetry?: (() => void) | undefined;
  /** True from the click until the thing is queued again. */
  retrying?: boolean | undefined;
  /** Why the last retry click did not work (e.g. the server said no). */
  retryError?: string | null | undefined;
  /** Where the workflow's settings are, for errors fixed there (missing model, bad graph). */
  workflowHref?: string | null | undefined;
  /** Opens the segment's own settings, for errors fixed there (a refused setting, a missing input). */
  onEditSettings?: (() => void) | undefined;
  headingLevel?: 3 | 4;
}

/**
 * The error card (seed §7): red-themed, icon, title and message for people, what to change or
 * the tips, the code in monospace, the technical detail on request, and Retry only when it can help.
 */
export function ErrorCard({
  error,
  onRetry,
  retrying = false,
  retryError,
  workflowHref,
  onEditSettings,
  headingLevel = 4,
}: ErrorCardProps) {
  const titleId = useId();
  const Heading = headingLevel === 3 ? 'h3' : 'h4';
  const canRetry = error.retryable && onRetry !== undefined;
  return (
    <article className="error-card" aria-labelledby={titleId} data-code={error.code}>
      <div className="error-card__head">
        <ErrorIcon className="error-card__icon" width={20} height={20} />
        <Heading id={titleId} className="error-card__title">
          {error.title}
        </Heading>
        <span className={`error-card__kind ${error.retryable ? 'is-temporary' : 'is-permanent'}`}>
          {error.retryable ? 'Temporary' : 'Needs a change'}
        </span>
      </div>
      <p className="error-card__message">{error.message}</p>
      {!error.retryable ? (
        <PermanentFix error={error} workflowHref={workflowHref} onEditSettings={onEditSettings} />
      ) : null}
      {error.tips.length > 0 ? (
        <div className="error-card__tips">
          <p className="error-card__tips-title">What you can do</p>
          <ul>
            {error.tips.map((tip) => (
              <li key={tip}>{tip}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <p className="error-card__code">
        Error code <code>{error.code}</code>
        {error.at ? <span className="error-card__at"> · {formatClock(error.at)}</span> : null}
      </p>
      <TechnicalDetails technical={error.technical} />
      {canRetry ? (
        <div className="error-card__actions">
          <button
            type="button"
            className="button button--danger"
            onClick={onRetry}
            disabled={retrying}
            aria-busy={retrying || undefined}
          >
            {retrying ? <SpinnerIcon /> : <RetryIcon />}
            {retrying ? 'Retrying…' : 'Retry'}
          </button>
          {retryError ? (
            <p className="form-error" role="alert">
              {retryError}
            </p>
          ) : null}
        </div>
      ) : null}
    </article>
  );
}

function str(v: unknown): string | null {
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0) : [];
}

/** A permanent error says what to change, and where: the workflow, or this segment's settings. */
function PermanentFix({
  error,
  workflowHref,
  onEditSettings,
}: Pick<ErrorCardProps, 'error' | 'workflowHref' | 'onEditSettings'>) {
  const t = error.technical;
  const missing = strings(t.missing);
  const received = str(t.receivedValue);
  const input = str(t.inputName);
  const nodeType = str(t.nodeType);
  const suggestions = strings(t.suggestions);
  let specific: ReactNode = null;
  let place: 'workflow' | 'segment' | null = null;

  switch (error.code) {
    case 'COMFYUI_MISSING_MODEL': {
      const models = missing.length > 0 ? missing : received ? [received] : [];
      specific =
        models.length > 0 ? (
          <>
            Missing model{models.length > 1 ? 's' : ''}: <Names names={models} />
            {input ? (
              <>
                {' '}
                (input <code>{input}</code>
                {nodeType ? (
                  <>
                    {' '}
                    of <code>{nodeType}</code>
                  </>
                ) : null}
                )
              </>
            ) : null}
            .
          </>
        ) : null;
      place = 'workflow';
      break;
    }
    case 'COMFYUI_MISSING_NODE': {
      const nodes = missing.length > 0 ? missing : nodeType ? [nodeType] : [];
      specific =
        nodes.length > 0 ? (
          <>
            Not installed: <Names names={nodes} />.
          </>
        ) : null;
      place = 'workflow';
      break;
    }
    case 'COMFYUI_WORKFLOW_ERROR':
    case 'COMFYUI_OUTPUT_ERROR':
      place = 'workflow';
      break;
    case 'COMFYUI_INVALID_PARAMETERS':
      specific = input ? (
        <>
          Refused setting: <code>{input}</code>
          {received ? (
            <>
              {' '}
              = <code>{received}</code>
            </>
          ) : null}
          .
        </>
      ) : null;
      place = 'segment';
      break;
    case 'COMFYUI_INPUT_MISSING':
      specific =
        missing.length > 0 || received ? (
          <>
            Missing file: <Names names={missing.length > 0 ? missing : [received!]} />.
          </>
        ) : null;
      place = 'segment';
      break;
    default:
      break;
  }

  if (!error.fix && !specific) return null;
  return (
    <div className="error-card__fix">
      <p>
        <strong>What to change: </strong>
        {error.fix}
        {specific ? <> {specific}</> : null}
      </p>
      {suggestions.length > 0 ? (
        <p className="error-card__suggestions">
          Available: <Names names={suggestions.slice(0, 8)} />
          {suggestions.length > 8 ? ` and ${suggestions.length - 8} more` : ''}
        </p>
      ) : null}
      {place === 'workflow' && workflowHref ? (
        <Link to={workflowHref} className="button button--small">
          Open workflow settings
        </Link>
      ) : null}
      {place === 'segment' && onEditSettings ? (
        <button type="button" className="button button--small" onClick={onEditSettings}>
          Edit segment settings
        </button>
      ) : null}
    </div>
  );
}

function Names({ names }: { names: readonly string[] }) {
  return (
    <>
      {names.map((n, i) => (
        <span key={n}>
          {i > 0 ? ', ' : ''}
          <code>{n}</code>
        </span>
      ))}
    </>
  );
}

const TECHNICAL_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['backend', 'Backend'],
  ['nodeId', 'Node'],
  ['nodeType', 'Node class'],
  ['inputName', 'Input'],
  ['receivedValue', 'Value'],
  ['exceptionType', 'Exception'],
  ['exceptionMessage', 'Exception message'],
  ['errorType', 'Error type'],
  ['httpStatus', 'HTTP status'],
  ['missing', 'Missing'],
  ['suggestions', 'Available'],
  ['reason', 'Reason'],
  ['attempts', 'Attempts'],
  ['promptId', 'Prompt id'],
];

/** The backend's own detail (node, class, exception), for whoever has to fix it. */
function TechnicalDetails({ technical }: { technical: PublicError['technical'] }) {
  const rows = TECHNICAL_LABELS.flatMap(([key, label]) => {
    const v = technical[key];
    if (v === undefined || v === null || v === '') return [];
    const text = Array.isArray(v)
      ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ')
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);
    return [[label, text] as const];
  });
  return (
    <details className="error-card__technical">
      <summary>Technical details</summary>
      {rows.length === 0 ? (
        <p>No further detail was recorded for this error.</p>
      ) : (
        <dl>
          {rows.map(([label, text]) => (
            <div key={label} className="error-card__technical-row">
              <dt>{label}</dt>
              <dd>
                <code>{text}</code>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </details>
  );
}
