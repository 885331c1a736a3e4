import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ApiErrorBody, ERROR_TAXONOMY, LIMITS, RequestError, isAppError } from '@framesmith/core';

/**
 * The single exit for errors: every failure becomes `{"error": {"code", "message", "details"}}`
 * with the right status. Services throw core errors (RequestError, AppError); only this module
 * knows HTTP. Anything unexpected is logged and answered with generic text.
 */

export interface HttpError {
  status: number;
  body: ApiErrorBody;
}

const STATUS_OF_KIND = {
  VALIDATION_ERROR: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
} as const;

interface FieldProblem {
  field: string;
  message: string;
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

const CONTEXT_PREFIX: Record<string, string> = {
  body: '',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** Field names as a client wrote them: `params.width`, `segmentIds.2`; unknown keys are named one by one. */
export function validationProblems(
  issues: readonly ValidationIssue[],
  context: string | undefined,
): FieldProblem[] {
  const prefix = CONTEXT_PREFIX[context ?? 'body'] ?? context ?? '';
  const join = (parts: string[]) => [prefix, ...parts].filter(Boolean).join('.') || 'body';
  const problems: FieldProblem[] = [];
  for (const issue of issues) {
    const path = (issue.instancePath ?? '').split('/').filter(Boolean);
    const keys = issue.params?.keys;
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
      for (const key of keys)
        problems.push({ field: join([...path, String(key)]), message: 'is not a known field' });
      continue;
    }
    problems.push({ field: join(path), message: issue.message ?? 'is invalid' });
  }
  return problems;
}

function fail(status: number, code: string, message: string, details?: unknown): HttpError {
  return { status, body: { error: details === undefined ? { code, message } : { code, message, details } } };
}

function fromFields(fields: FieldProblem[]): HttpError {
  const message = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return fail(400, 'VALIDATION_ERROR', message, { fields });
}

const MB = (LIMITS.bodyLimitBytes / (1024 * 1024)).toFixed(0);

/** Fastify's own request errors, reworded. */
const FRAMEWORK_ERRORS: Record<string, () => HttpError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    fail(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${MB} MB.`, {
      limitBytes: LIMITS.bodyLimitBytes,
    }),
  FST_ERR_CTP_INVALID_JSON_BODY: () => fromFields([{ field: 'body', message: 'is not valid JSON' }]),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    fromFields([{ field: 'body', message: 'must not be empty when Content-Type is application/json' }]),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    fail(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON (Content-Type: application/json).'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    fail(400, 'VALIDATION_ERROR', 'The Content-Length header does not match the body.'),
};

/** PostgreSQL errors that bad input can still reach (a race past a check): a conflict, not a crash. */
const DATABASE_CONFLICTS = new Set(['23505', '23503', '23001', '40001', '40P01']);

/** The SQLSTATE of a PostgreSQL error, also when drizzle wraps it (DrizzleQueryError keeps it as the cause). */
function databaseErrorCode(error: unknown): string | undefined {
  for (
    let e = error, depth = 0;
    e && typeof e === 'object' && depth < 3;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && /\d/.test(code)) return code;
  }
  return undefined;
}

export function toHttpError(
  error: unknown,
  validationContext?: string,
): { http: HttpError; unexpected: boolean } {
  if (hasZodFastifySchemaValidationErrors(error)) {
    return { http: fromFields(validationProblems(error.validation, validationContext)), unexpected: false };
  }
  if (error instanceof RequestError) {
    const status = STATUS_OF_KIND[error.kind];
    return { http: fail(status, error.kind, error.message, error.details), unexpected: false };
  }
  if (isAppError(error) && error.code !== 'INTERNAL_ERROR') {
    // A classified failure of a downstream service (a ComfyUI backend): the backend failed, not us.
    return {
      http: fail(502, error.code, error.userMessage, {
        title: ERROR_TAXONOMY[error.code].title,
        retryable: error.retryable,
        tips: error.tips,
      }),
      unexpected: false,
    };
  }
  const e = error as Partial<FastifyError> & { code?: string };
  const framework = e.code ? FRAMEWORK_ERRORS[e.code] : undefined;
  if (framework) return { http: framework(), unexpected: false };
  const sqlState = databaseErrorCode(error);
  if (sqlState && DATABASE_CONFLICTS.has(sqlState)) {
    return {
      http: fail(409, 'CONFLICT', 'The request conflicts with a change made at the same time; try again.'),
      unexpected: true,
    };
  }
  if (sqlState?.startsWith('22')) {
    // Class 22 is "data exception": a value the database refused. Bad input, not a crash.
    return {
      http: fail(400, 'VALIDATION_ERROR', 'The request contains a value the database cannot store.'),
      unexpected: true,
    };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 404) return { http: fail(404, 'NOT_FOUND', 'Not found.'), unexpected: false };
    if (e.statusCode === 413)
      return { http: FRAMEWORK_ERRORS.FST_ERR_CTP_BODY_TOO_LARGE!(), unexpected: false };
    return {
      http: fail(e.statusCode, 'BAD_REQUEST', 'The request could not be processed.'),
      unexpected: false,
    };
  }
  const copy = ERROR_TAXONOMY.INTERNAL_ERROR;
  return { http: fail(500, 'INTERNAL_ERROR', `${copy.message} It has been logged.`), unexpected: true };
}

export function installErrorHandlers(
  app: FastifyInstance,
  onNotFound?: (req: FastifyRequest, reply: FastifyReply) => unknown,
): void {
  app.setErrorHandler((error, request, reply) => {
    const { http, unexpected } = toHttpError(error, (error as FastifyError).validationContext);
    if (unexpected) {
      request.log.error(
        { err: error, method: request.method, route: request.routeOptions.url },
        'request failed',
      );
    } else if (http.status >= 500) {
      request.log.warn(
        { err: error, method: request.method, route: request.routeOptions.url },
        'request failed',
      );
    }
    return reply.status(http.status).type('application/json; charset=utf-8').send(http.body);
  });

  app.setNotFoundHandler((request, reply) => {
    if (onNotFound) {
      const handled = onNotFound(request, reply);
      if (handled !== undefined) return handled;
    }
    return reply
      .status(404)
      .type('application/json; charset=utf-8')
      .send({
        error: {
          code: 'NOT_FOUND',
          message: `No such route: ${request.method} ${request.url.split('?')[0]}`,
        },
      });
  });
}
