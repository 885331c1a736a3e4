import type { z } from 'zod';

/** A field the API (or the same schema run in the browser) refused, with why. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * An error answer of the API: `{error: {code, message, details}}` (ARCHITECTURE §12), or a
 * network failure (code NETWORK_ERROR). `fields` lists validation problems by field path.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly fields: FieldError[];

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.fields = fieldErrorsFrom(details, message);
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/**
 * Reads field errors from the shapes the server uses: `{fields: [{field, message}]}`, or zod-style
 * `{issues: [{path, message}]}`. A message of the form "params.width: must be …" also names its field.
 */
export function fieldErrorsFrom(details: unknown, message?: string): FieldError[] {
  const out: FieldError[] = [];
  if (details && typeof details === 'object') {
    const d = details as Record<string, unknown>;
    if (Array.isArray(d.fields)) {
      for (const f of d.fields) {
        if (f && typeof f === 'object' && typeof f.message === 'string') {
          const field = typeof f.field === 'string' ? f.field : Array.isArray(f.path) ? f.path.join('.') : '';
          out.push({ field: stripBodyPrefix(field), message: f.message });
        }
      }
    }
    if (Array.isArray(d.issues)) {
      for (const i of d.issues) {
        if (i && typeof i === 'object' && typeof i.message === 'string') {
          const field = Array.isArray(i.path) ? i.path.join('.') : typeof i.path === 'string' ? i.path : '';
          out.push({ field: stripBodyPrefix(field), message: i.message });
        }
      }
    }
    if (out.length === 0 && typeof d.field === 'string' && typeof message === 'string') {
      out.push({ field: stripBodyPrefix(d.field), message });
    }
  }
  if (out.length === 0 && message) {
    const m = /^([A-Za-z][\w.[\]]*): (.+)$/.exec(message);
    if (m?.[1] && m[2]) out.push({ field: stripBodyPrefix(m[1]), message: m[2] });
  }
  return out;
}

function stripBodyPrefix(field: string): string {
  return field.replace(/^body\.?/, '').replace(/\[(\d+)\]/g, '.$1');
}

export interface RequestOptions<T> {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** The core schema of the answer. A mismatch is reported on the console, not thrown at the user. */
  schema?: z.ZodType<T>;
  /** Error statuses whose body is still the answer (health checks answer 503 with a report). */
  acceptStatus?: readonly number[];
}

/** The single HTTP client of the web UI. */
export async function apiRequest<T = unknown>(path: string, options: RequestOptions<T> = {}): Promise<T> {
  const { method = 'GET', body, signal, schema, acceptStatus = [] } = options;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      signal,
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(
      0,
      'NETWORK_ERROR',
      'Cannot reach the Framesmith server. Check your connection and try again.',
    );
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok && !acceptStatus.includes(res.status)) {
    const error = (data as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)
      ?.error;
    throw new ApiError(
      res.status,
      typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`,
      typeof error?.message === 'string' ? error.message : `The server answered ${res.status}.`,
      error?.details,
    );
  }
  if (!schema) return data as T;
  return checkContract(schema, data, `${method} ${path}`);
}

/**
 * Parses an answer with its core schema. Contract drift keeps the page working, and is loud on
 * the console for developers and for the browser tests (which fail on console errors).
 */
export function checkContract<T>(schema: z.ZodType<T>, data: unknown, label: string): T {
  const parsed = schema.safeParse(data);
  // Checked, but passed on as sent: fields newer than this build (e.g. a step count) are kept.
  if (parsed.success) return data as T;
  console.error(`[framesmith] ${label}: response does not match the contract`, parsed.error.issues);
  return data as T;
}

/** Lists come as an array, or wrapped in an object under a named key. */
export function unwrapList<T>(data: unknown, key: string): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === 'object') {
    const v = (data as Record<string, unknown>)[key] ?? (data as Record<string, unknown>).items;
    if (Array.isArray(v)) return v as T[];
  }
  return [];
}
