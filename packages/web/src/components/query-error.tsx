import { isApiError } from '../lib/api-client.ts';

/** A failed load, said for people, with a way to try again. */
export function QueryError({ error, what, onRetry }: { error: unknown; what: string; onRetry?: () => void }) {
  const notFound = isApiError(error) && error.status === 404;
  const message = notFound
    ? `This ${what} does not exist, or it was deleted.`
    : isApiError(error)
      ? error.message
      : `Could not load the ${what}.`;
  return (
    <div className="panel-error" role="alert">
      <p>{message}</p>
      {onRetry && !notFound ? (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
