/**
 * ComfyUI's HTTP routes (server.py), each also under /api, with aiohttp's framing: JSON bodies,
 * empty 200s, `404: Not Found`, `405: Method Not Allowed`, and the plain-text 500 (connection
 * closed) for anything a handler would raise. Plus the simulator's own /sim control routes.
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFaultList, FaultSpecError } from './faults.ts';
import { contentTypeFor, resolveView, storeUpload } from './files.ts';
import { MODEL_FOLDERS, nodeInfo, toComfyJson } from './node-catalog.ts';
import { PyError, pyContains, pyGetItem, pyInt } from './py.ts';
import { ServerCrash, type SimCore } from './sim-core.ts';
import { SERVER_FEATURE_FLAGS } from './ws-hub.ts';
import type { ActiveFault } from './types.ts';

export const AIOHTTP_500 = '500 Internal Server Error\n\nServer got itself in trouble';
const MAX_BODY = 104857600;

type Reply =
  | { kind: 'json'; status: number; body: unknown; raw?: string }
  | { kind: 'text'; status: number; text: string; close?: boolean }
  | { kind: 'empty'; status: number }
  | { kind: 'file'; file: string; filename: string; contentType: string }
  | { kind: 'html'; html: string };

const json = (body: unknown, status = 200): Reply => ({ kind: 'json', status, body });
const empty = (status = 200): Reply => ({ kind: 'empty', status });
const notFound: Reply = { kind: 'text', status: 404, text: '404: Not Found' };
const methodNotAllowed: Reply = { kind: 'text', status: 405, text: '405: Method Not Allowed' };
const crash: Reply = { kind: 'text', status: 500, text: AIOHTTP_500, close: true };

class TooLarge extends Error {}

/** Bodies read ahead of handling (see 'slow'), so the handler finds them after the client left. */
const readAhead = new WeakMap<IncomingMessage, Promise<Buffer>>();

function readBody(req: IncomingMessage): Promise<Buffer> {
  return readAhead.get(req) ?? readAll(req);
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new TooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `await request.json()`: anything that is not JSON raises, which aiohttp turns into its 500. */
function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new PyError('json.decoder.JSONDecodeError', 'Expecting value: line 1 column 1 (char 0)');
  }
}

export interface HandlerHooks {
  /** Called after POST/PUT /sim/faults with a 'down' fault, once the reply has gone out. */
  applyServerFaults: () => void;
  restart: (downMs: number) => Promise<void>;
  goDown: (ms?: number) => void;
  version: string;
  argv: () => string[];
  vramTotal: number;
  /** Requests held forever by a 'hang' fault (so close() can drop them). */
  hung: Set<ServerResponse>;
}

export function createRequestHandler(core: SimCore, hooks: HandlerHooks) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    core.stats.httpRequests += 1;
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const pathname = url.pathname;

    if (pathname === '/sim' || pathname.startsWith('/sim/')) {
      const { reply, after } = await simRoute(core, hooks, method, pathname, req);
      // Going down or restarting waits until the answer has left, so the caller still gets it.
      if (after) res.once('finish', after);
      send(res, reply);
      return;
    }
    const route = pathname === '/api' ? '/' : pathname.startsWith('/api/') ? pathname.slice(4) : pathname;

    const matches = (f: ActiveFault) =>
      (f.variant ?? 'http') === 'http' && (!f.route || route.startsWith(f.route));
    const hang = core.faults.drawOne(['hang'], {}, matches);
    if (hang && !hang.process) {
      hooks.hung.add(res);
      res.on('close', () => hooks.hung.delete(res));
      req.resume();
      return;
    }
    const slow = core.faults.drawOne(['slow'], {}, (f) => !f.route || route.startsWith(f.route));
    if (slow) {
      // aiohttp reads the request, then the handler takes its time (a slow validation) and runs
      // to its end even when the client has given up waiting: a prompt can land after a timeout.
      const body = readAll(req);
      body.catch(() => {});
      readAhead.set(req, body);
      await new Promise((resolve) => setTimeout(resolve, slow.ms ?? 1000));
    }
    // A handler that raised (or a proxy in front of a restarting server): aiohttp's plain-text 500.
    if (core.faults.drawOne(['http_500'], {}, (f) => !f.route || route.startsWith(f.route))) {
      req.resume();
      send(res, crash);
      return;
    }

    let reply: Reply;
    try {
      reply = await comfyRoute(core, hooks, method, route, url.searchParams, req);
    } catch (err) {
      if (err instanceof TooLarge) {
        reply = {
          kind: 'text',
          status: 413,
          text: `Maximum request body size ${MAX_BODY} exceeded`,
          close: true,
        };
      } else if (err instanceof PyError || err instanceof ServerCrash) {
        reply = crash;
      } else {
        reply = crash;
      }
    }
    if (hang?.process) {
      hooks.hung.add(res);
      res.on('close', () => hooks.hung.delete(res));
      return;
    }
    send(res, reply);
  };
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.writableEnded || res.destroyed) return;
  switch (reply.kind) {
    case 'json': {
      const text = reply.raw ?? toComfyJson(reply.body);
      res.writeHead(reply.status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    case 'text':
      res.writeHead(reply.status, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(reply.text),
        ...(reply.close ? { Connection: 'close' } : {}),
      });
      res.end(reply.text);
      if (reply.close) res.once('finish', () => res.socket?.destroySoon?.());
      return;
    case 'empty':
      res.writeHead(reply.status, { 'Content-Type': 'application/octet-stream', 'Content-Length': 0 });
      res.end();
      return;
    case 'html':
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(reply.html);
      return;
    case 'file': {
      const size = statSync(reply.file).size;
      res.writeHead(200, {
        'Content-Type': reply.contentType,
        'Content-Disposition': `filename="${reply.filename}"`,
        'Content-Length': size,
      });
      createReadStream(reply.file).pipe(res);
      return;
    }
  }
}

const ROUTES: [string, RegExp][] = [
  ['GET', /^\/$/],
  ['GET', /^\/ws$/],
  ['GET', /^\/embeddings$/],
  ['GET', /^\/models$/],
  ['GET', /^\/models\/([^/]+)$/],
  ['GET', /^\/extensions$/],
  ['POST', /^\/upload\/image$/],
  ['POST', /^\/upload\/mask$/],
  ['GET', /^\/view$/],
  ['GET', /^\/view_metadata\/([^/]+)$/],
  ['GET', /^\/system_stats$/],
  ['GET', /^\/features$/],
  ['GET', /^\/prompt$/],
  ['POST', /^\/prompt$/],
  ['GET', /^\/object_info$/],
  ['GET', /^\/object_info\/([^/]+)$/],
  ['GET', /^\/history$/],
  ['POST', /^\/history$/],
  ['GET', /^\/history\/([^/]+)$/],
  ['GET', /^\/queue$/],
  ['POST', /^\/queue$/],
  ['POST', /^\/interrupt$/],
  ['POST', /^\/free$/],
];

async function comfyRoute(
  core: SimCore,
  hooks: HandlerHooks,
  rawMethod: string,
  route: string,
  query: URLSearchParams,
  req: IncomingMessage,
): Promise<Reply> {
  const method = rawMethod === 'HEAD' ? 'GET' : rawMethod;
  const matching = ROUTES.filter(([, re]) => re.test(route));
  const hit = matching.find(([m]) => m === method);
  if (!hit) {
    // The static route mounted on "/" answers GETs for any path (404 when no file), other methods 405.
    if (matching.length > 0 || method !== 'GET') return methodNotAllowed;
    return notFound;
  }
  const param = decodeURIComponent(hit[1].exec(route)?.[1] ?? '');
  const key = `${method} ${hit[1].source}`;

  switch (key) {
    case 'GET ^\\/$':
      return {
        kind: 'html',
        html: '<!doctype html><title>ComfyUI (simulated)</title><p>Framesmith ComfyUI simulator.</p>',
      };
    case 'GET ^\\/ws$':
      return {
        kind: 'text',
        status: 400,
        text: 'No WebSocket UPGRADE hdr: None\n Can "Upgrade" only to "WebSocket".',
      };
    case 'GET ^\\/embeddings$':
      return json((core.models['embeddings'] ?? []).map((f) => f.replace(/\.[^.]+$/, '')));
    case 'GET ^\\/models$':
      return json([...MODEL_FOLDERS]);
    case 'GET ^\\/models\\/([^/]+)$':
      return (MODEL_FOLDERS as readonly string[]).includes(param)
        ? json(core.models[param] ?? [])
        : empty(404);
    case 'GET ^\\/extensions$':
      return json([]);
    case 'POST ^\\/upload\\/image$':
    case 'POST ^\\/upload\\/mask$':
      return upload(core, req);
    case 'GET ^\\/view$': {
      const v = resolveView(core.dirs, query);
      if (v.status !== 200) return empty(v.status);
      return { kind: 'file', file: v.file, filename: v.filename, contentType: contentTypeFor(v.filename) };
    }
    case 'GET ^\\/view_metadata\\/([^/]+)$':
      return empty(404);
    case 'GET ^\\/system_stats$':
      return json(systemStats(core, hooks));
    case 'GET ^\\/features$':
      return json(SERVER_FEATURE_FLAGS);
    case 'GET ^\\/prompt$':
      return json(core.queueInfo());
    case 'POST ^\\/prompt$': {
      const body = parseJson(await readBody(req));
      const reply = core.submit(body);
      return json(reply.body, reply.status);
    }
    case 'GET ^\\/object_info$': {
      const out: Record<string, unknown> = {};
      for (const [name, cls] of Object.entries(core.catalog())) out[name] = nodeInfo(cls);
      return json(out);
    }
    case 'GET ^\\/object_info\\/([^/]+)$': {
      const cls = core.catalog()[param];
      return json(cls ? { [param]: nodeInfo(cls) } : {});
    }
    case 'GET ^\\/history$': {
      const maxItems = query.has('max_items') ? pyInt(query.get('max_items')) : null;
      const offset = query.has('offset') ? pyInt(query.get('offset')) : -1;
      return historyReply(core.queue.getHistory({ maxItems, offset }));
    }
    case 'GET ^\\/history\\/([^/]+)$':
      return historyReply(core.queue.getHistory({ promptId: param }));
    case 'POST ^\\/history$': {
      const body = parseJson(await readBody(req));
      if (pyContains(body, 'clear') && pyGetItem(body, 'clear')) core.queue.wipeHistory();
      if (pyContains(body, 'delete'))
        for (const id of iterate(pyGetItem(body, 'delete'))) core.queue.deleteHistoryItem(String(id));
      return empty();
    }
    case 'GET ^\\/queue$':
      return json({ queue_running: core.queue.running(), queue_pending: core.queue.pending() });
    case 'POST ^\\/queue$': {
      const body = parseJson(await readBody(req));
      if (pyContains(body, 'clear') && pyGetItem(body, 'clear')) core.queue.wipeQueue();
      if (pyContains(body, 'delete'))
        for (const id of iterate(pyGetItem(body, 'delete'))) core.queue.deleteQueueItem(String(id));
      return empty();
    }
    case 'POST ^\\/interrupt$': {
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req)).toString('utf8'));
      } catch {
        body = {};
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        throw new PyError('AttributeError', 'get');
      const id = (body as Record<string, unknown>)['prompt_id'];
      core.interrupt(id ? String(id) : null);
      return empty();
    }
    case 'POST ^\\/free$':
      parseJson(await readBody(req));
      return empty();
  }
  return notFound;
}

function iterate(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (v !== null && typeof v === 'object') return Object.keys(v);
  throw new PyError('TypeError', 'object is not iterable');
}

/** History keyed by prompt id, keeping insertion order even for numeric-looking ids. */
function historyReply(entries: [string, unknown][]): Reply {
  const raw = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${toComfyJson(v)}`).join(',')}}`;
  return { kind: 'json', status: 200, body: null, raw };
}

async function upload(core: SimCore, req: IncomingMessage): Promise<Reply> {
  const body = await readBody(req);
  const contentType = req.headers['content-type'] ?? '';
  let form: FormData;
  try {
    form = await new Request('http://sim.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    }).formData();
  } catch {
    throw new PyError('AssertionError', 'multipart body expected');
  }
  const image = form.get('image');
  const text = (name: string) => {
    const v = form.get(name);
    return typeof v === 'string' ? v : null;
  };
  const outcome = storeUpload(core.dirs, {
    image: image instanceof File ? { name: image.name, bytes: Buffer.from(await image.arrayBuffer()) } : null,
    imageIsText: typeof image === 'string',
    type: text('type'),
    subfolder: text('subfolder'),
    overwrite: text('overwrite'),
  });
  if (outcome.status === 200) return json(outcome.body);
  if (outcome.status === 500) return crash;
  return empty(400);
}

function systemStats(core: SimCore, hooks: HandlerHooks): unknown {
  const total = hooks.vramTotal;
  const busy = core.isBusy();
  const ramTotal = 67430023168;
  return {
    system: {
      os: 'posix',
      ram_total: ramTotal,
      ram_free: Math.round(ramTotal * (busy ? 0.61 : 0.83)),
      comfyui_version: hooks.version,
      required_frontend_version: '1.27.10',
      installed_templates_version: '0.1.95',
      required_templates_version: '0.1.95',
      python_version: '3.12.3 (main, Aug 14 2025, 17:47:21) [GCC 13.3.0]',
      pytorch_version: '2.8.0+cu128',
      embedded_python: false,
      argv: hooks.argv(),
    },
    devices: [
      {
        name: 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync',
        type: 'cuda',
        index: 0,
        vram_total: total,
        vram_free: Math.round(total * (busy ? 0.28 : 0.93)),
        torch_vram_total: busy ? Math.round(total * 0.66) : 0,
        torch_vram_free: busy ? Math.round(total * 0.04) : 0,
      },
    ],
  };
}

async function simRoute(
  core: SimCore,
  hooks: HandlerHooks,
  method: string,
  pathname: string,
  req: IncomingMessage,
): Promise<{ reply: Reply; after?: () => void }> {
  const readJson = async () => {
    const body = await readBody(req);
    return body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  };
  try {
    if (pathname === '/sim/faults') {
      if (method === 'GET') return { reply: json({ faults: core.faults.list() }) };
      if (method === 'DELETE') {
        core.faults.clear();
        return { reply: json({ faults: [] }) };
      }
      if (method === 'POST' || method === 'PUT') {
        const specs = parseFaultList(await readJson());
        if (method === 'PUT') core.faults.clear();
        for (const s of specs) core.faults.add(s);
        return { reply: json({ faults: core.faults.list() }), after: hooks.applyServerFaults };
      }
      return { reply: methodNotAllowed };
    }
    if (pathname === '/sim/stats' && method === 'GET') return { reply: json(core.snapshotStats()) };
    if (pathname === '/sim/restart' && method === 'POST') {
      const body = (await readJson()) as { downMs?: unknown };
      const downMs = typeof body.downMs === 'number' ? body.downMs : 0;
      return { reply: json({ restarting: true, downMs }), after: () => void hooks.restart(downMs) };
    }
    if (pathname === '/sim/down' && method === 'POST') {
      const body = (await readJson()) as { ms?: unknown };
      const ms = typeof body.ms === 'number' ? body.ms : undefined;
      return { reply: json({ down: true, ms: ms ?? null }), after: () => hooks.goDown(ms) };
    }
  } catch (err) {
    const message = err instanceof FaultSpecError ? err.message : 'request body must be JSON';
    return { reply: json({ error: message }, 400) };
  }
  return { reply: notFound };
}
