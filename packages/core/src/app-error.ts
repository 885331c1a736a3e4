import { z } from 'zod';
import { ERROR_TAXONOMY, ErrorCode, isRetryable } from './error-taxonomy.ts';

/**
 * Technical detail of a failure: kept server side (error_detail column, logs) and shown
 * only in the "technical details" disclosure. Known keys are typed; anything else passes.
 */
export const ErrorDetail = z
  .object({
    backend: z.string().optional(),
    promptId: z.string().optional(),
    nodeId: z.string().optional(),
    nodeType: z.string().optional(),
    inputName: z.string().optional(),
    receivedValue: z.unknown().optional(),
    exceptionType: z.string().optional(),
    exceptionMessage: z.string().optional(),
    httpStatus: z.number().optional(),
    errorType: z.string().optional(),
    missing: z.array(z.string()).optional(),
    suggestions: z.array(z.string()).optional(),
    reason: z.string().optional(),
  })
  .catchall(z.unknown());
export type ErrorDetail = z.infer<typeof ErrorDetail>;

export interface AppErrorOptions {
  detail?: ErrorDetail;
  cause?: unknown;
  /** A more specific message for people (e.g. naming the missing model). Never raw exception text. */
  message?: string;
  tips?: readonly string[];
  /** Overrides the code's retryability only where a policy needs it (e.g. a forced permanent stop). */
  retryable?: boolean;
}

/** The one error type thrown for a classified failure. Retryability derives from the code. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly detail: ErrorDetail;
  readonly userMessage: string;
  readonly tips: readonly string[];

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const copy = ERROR_TAXONOMY[code];
    super(options.message ?? copy.message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? isRetryable(code);
    this.detail = options.detail ?? {};
    this.userMessage = options.message ?? copy.message;
    this.tips = options.tips ?? copy.tips;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Turns anything thrown into an AppError; strays become INTERNAL_ERROR with the original kept as cause. */
export function toAppError(value: unknown, detail: ErrorDetail = {}): AppError {
  if (value instanceof AppError) return value;
  const err = value instanceof Error ? value : new Error(String(value));
  return new AppError('INTERNAL_ERROR', {
    cause: err,
    detail: { ...detail, exceptionType: err.name, exceptionMessage: truncate(err.message, 500) },
  });
}

/** The stored form of a failure (segment and attempt rows). */
export const ErrorRecord = z.object({
  code: ErrorCode,
  message: z.string(),
  tips: z.array(z.string()),
  retryable: z.boolean(),
  detail: ErrorDetail,
});
export type ErrorRecord = z.infer<typeof ErrorRecord>;

export function toErrorRecord(error: AppError): ErrorRecord {
  return {
    code: error.code,
    message: error.userMessage,
    tips: [...error.tips],
    retryable: error.retryable,
    detail: error.detail,
  };
}

/** Public error as the API and UI see it. */
export const PublicError = z.object({
  code: ErrorCode,
  title: z.string(),
  message: z.string(),
  tips: z.array(z.string()),
  retryable: z.boolean(),
  at: z.string(),
  fix: z.string().nullable(),
  technical: ErrorDetail,
});
export type PublicError = z.infer<typeof PublicError>;

const TECHNICAL_KEYS = [
  'backend',
  'promptId',
  'nodeId',
  'nodeType',
  'inputName',
  'receivedValue',
  'exceptionType',
  'exceptionMessage',
  'httpStatus',
  'errorType',
  'missing',
  'suggestions',
  'reason',
  'attempts',
] as const;

/**
 * Projects a stored failure onto what a person may see. Technical detail is filtered to known
 * keys and scrubbed of URLs and file paths, so an internal address never reaches the browser.
 */
export function toPublicError(
  record: {
    code: ErrorCode;
    message: string;
    tips?: readonly string[] | null;
    retryable: boolean;
    detail?: unknown;
  },
  at: Date | string,
): PublicError {
  const copy = ERROR_TAXONOMY[record.code];
  const technical: Record<string, unknown> = {};
  const detail = (record.detail ?? {}) as Record<string, unknown>;
  for (const key of TECHNICAL_KEYS) {
    if (detail[key] !== undefined) technical[key] = scrub(detail[key]);
  }
  return {
    code: record.code,
    title: copy.title,
    message: record.message || copy.message,
    tips: record.tips && record.tips.length > 0 ? [...record.tips] : [...copy.tips],
    retryable: record.retryable,
    at: typeof at === 'string' ? at : at.toISOString(),
    fix: copy.fix ?? null,
    technical,
  };
}

const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi;
const PATH_RE = /(?:[A-Za-z]:\\|\/)(?:[\w.-]+[\\/])+[\w.-]*/g;

/** Removes URLs and absolute file paths from technical text. */
export function scrubText(text: string): string {
  return text.replace(URL_RE, '<url>').replace(PATH_RE, '<path>');
}

function scrub(value: unknown): unknown {
  if (typeof value === 'string') return truncate(scrubText(value), 2000);
  if (Array.isArray(value)) return value.map(scrub);
  return value;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Errors about a request, not a generation: the server maps each kind to an HTTP status. */
export const RequestErrorKind = z.enum(['VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE']);
export type RequestErrorKind = z.infer<typeof RequestErrorKind>;

export class RequestError extends Error {
  readonly kind: RequestErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: RequestErrorKind, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'RequestError';
    this.kind = kind;
    this.details = details;
  }
}

export const notFound = (what: string, id?: string) =>
  new RequestError('NOT_FOUND', `${what} not found`, id === undefined ? undefined : { id });
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new RequestError('CONFLICT', message, details);
export const invalid = (field: string, message: string) =>
  new RequestError('VALIDATION_ERROR', `${field}: ${message}`, { fields: [{ field, message }] });
