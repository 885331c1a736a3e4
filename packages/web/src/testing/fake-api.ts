import { Project, RenderJob, Segment, Workflow } from '@framesmith/core/api-schemas';
import { vi } from 'vitest';

/**
 * A fetch stand-in for component tests: routes by method and path, answers JSON, records every
 * request. Answers go through core's schemas first, so a handler cannot drift from the contract.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

type Handler = (req: RecordedRequest, params: Record<string, string>) => Promise<FakeResponse> | FakeResponse;

export interface FakeResponse {
  status: number;
  body?: unknown;
}

const SCHEMA_OF: Record<string, { parse: (v: unknown) => unknown }> = {
  Segment,
  Project,
  RenderJob,
  Workflow,
};

export const json = (body: unknown, status = 200): FakeResponse => ({ status, body });
/** A contract-checked answer: `as('Segment', segment)`. */
export const as = (schema: keyof typeof SCHEMA_OF, body: unknown, status = 200): FakeResponse => ({
  status,
  body: SCHEMA_OF[schema]!.parse(body),
});
export const apiError = (status: number, code: string, message: string, details?: unknown): FakeResponse => ({
  status,
  body: { error: details === undefined ? { code, message } : { code, message, details } },
});

export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly routes: { method: string; pattern: string; handler: Handler }[] = [];

  on(method: string, pattern: string, handler: Handler | FakeResponse): this {
    this.routes.unshift({
      method,
      pattern,
      handler: typeof handler === 'function' ? handler : () => handler,
    });
    return this;
  }

  install(): this {
    vi.stubGlobal('fetch', (input: RequestInfo | URL, init?: RequestInit) => this.fetch(input, init));
    return this;
  }

  private async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = new URL(String(input), 'http://localhost');
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const req = { method, path: url.pathname, body };
    this.requests.push(req);
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = match(route.pattern, url.pathname);
      if (!params) continue;
      const res = await route.handler(req, params);
      if (res.status === 204) return new Response(null, { status: 204 });
      return new Response(JSON.stringify(res.body ?? null), {
        status: res.status,
        headers: { 'content-type': 'application/json' },
      });
    }
    return new Response(
      JSON.stringify({ error: { code: 'NOT_FOUND', message: `No route ${method} ${url.pathname}` } }),
      {
        status: 404,
      },
    );
  }

  calls(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }
}

function match(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.startsWith(':')) params[a[i]!.slice(1)] = b[i]!;
    else if (a[i] !== b[i]) return null;
  }
  return params;
}
