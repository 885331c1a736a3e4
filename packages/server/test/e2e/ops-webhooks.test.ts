import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BackendPool } from '@framesmith/comfyui';
import { type Simulator, startSimulator } from '@framesmith/comfy-sim';
import { parseConfig } from '@framesmith/core';
import { openTestDb, type TestDatabase, testDbKind } from '@framesmith/db/testing';
import { type Pipeline, startPipeline } from '@framesmith/pipeline';
import { verifyWebhook } from '@framesmith/pipeline/webhooks/signature';
import { buildApp } from '@framesmith/server';
import { type Ops, startOps } from '@framesmith/server/ops';

/**
 * Webhooks end to end: a real render on the simulator notifies receivers on localhost. The good
 * receiver checks every Standard Webhooks signature; the failing one (always 500) gets every retry,
 * and the render completes all the same.
 */

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on localhost that answers `status(path)` and records every request. */
async function startReceiver(status: (path: string) => number) {
  const received: Received[] = [];
  const events = new EventEmitter();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      const r = { path: req.url ?? '', headers: req.headers, body };
      received.push(r);
      res.statusCode = status(r.path);
      res.end();
      events.emit('request', r);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /** Resolves once the requests received so far satisfy `done`. */
  const until = async (done: (all: Received[]) => boolean, what: string) => {
    // A timer that holds the event loop open, unlike AbortSignal.timeout.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), 30_000);
    try {
      while (!done(received)) {
        try {
          await once(events, 'request', { signal: timeout.signal });
        } catch {
          assert.fail(`timed out waiting for ${what}; received ${received.map((r) => r.body).join('\n')}`);
        }
      }
    } finally {
      clearTimeout(timer);
    }
  };
  return { url, received, until, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Awaits a row's state: re-reads it until `read` gives a value (bounded; fails with `what`). */
async function waitFor<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(50);
  }
}

const typeOf = (r: Received) => (JSON.parse(r.body) as { type?: string }).type;

describe(`webhooks end to end (${testDbKind()})`, () => {
  let database: TestDatabase;
  let sim: Simulator;
  let pool: BackendPool;
  let pipeline: Pipeline;
  let ops: Ops;
  let app: FastifyInstance;
  let good: Awaited<ReturnType<typeof startReceiver>>;
  let bad: Awaited<ReturnType<typeof startReceiver>>;
  let secret = '';
  let badId = '';
  const storageDir = mkdtempSync(join(tmpdir(), 'framesmith-ops-webhooks-'));

  before(async () => {
    database = await openTestDb();
    sim = await startSimulator({ port: 0, generationMs: 50 });
    good = await startReceiver(() => 200);
    bad = await startReceiver(() => 500);
    const config = parseConfig({
      STORAGE_DIR: storageDir,
      RETRY_BASE_DELAY_MS: '0',
      HEALTH_CHECK_INTERVAL_MS: '3600000',
    });
    pool = new BackendPool({
      backends: [{ name: 'sim-1', url: sim.url }],
      requestTimeoutMs: 5000,
      retryBaseDelayMs: 10,
      healthCheckTimeoutMs: 1000,
      healthCheckIntervalMs: 3_600_000,
    });
    pipeline = await startPipeline({
      database,
      config,
      role: 'all',
      pool,
      ...(process.env.DEBUG_LOG ? { logger: (await import('pino')).pino({ level: 'debug' }) } : {}),
      tuning: { pollingIntervalSeconds: 0.5, superviseIntervalSeconds: 60 },
    });
    ops = await startOps({
      database,
      config,
      role: 'all',
      pool,
      boss: pipeline.queue.boss,
      events: pipeline.events,
      ...(process.env.DEBUG_LOG ? { logger: (await import('pino')).pino({ level: 'debug' }) } : {}),
      webhookPolicy: {
        retryLimit: 2,
        retryDelaySeconds: 1,
        retryBackoff: false,
        pollingIntervalSeconds: 0.5,
      },
      persistentErrors: { threshold: 1, windowMinutes: 10 },
    });
    app = await buildApp({ database, config, routes: ops.routes });
    await pool.checkNow();
  });

  after(async () => {
    await ops?.stop();
    await pipeline?.stop({ graceful: false });
    pool?.stop();
    await app?.close();
    await sim?.close();
    await good?.close();
    await bad?.close();
    await database?.destroy();
    rmSync(storageDir, { recursive: true, force: true });
  });

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: object) =>
    app.inject({ method, url, ...(body ? { payload: body } : {}) });

  async function project(name: string, prompts: string[]): Promise<string> {
    const p = await call('POST', '/api/projects', { name });
    assert.equal(p.statusCode, 201, p.body);
    const id = p.json().id as string;
    for (const prompt of prompts) {
      const s = await call('POST', `/api/projects/${id}/segments`, { prompt, params: { frames: 8, fps: 8 } });
      assert.equal(s.statusCode, 201, s.body);
    }
    return id;
  }

  test('webhooks are managed through the API; the secret is shown once', async () => {
    const created = await call('POST', '/api/webhooks', {
      url: `${good.url}/hook`,
      events: [
        'render.completed',
        'render.failed',
        'segment.failed',
        'backend.down',
        'backend.up',
        'error.persistent',
      ],
      description: 'ops channel',
    });
    assert.equal(created.statusCode, 201, created.body);
    secret = created.json().secret;
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);

    const slack = await call('POST', '/api/webhooks', {
      url: `${good.url}/slack`,
      events: ['render.completed'],
      format: 'slack',
    });
    assert.equal(slack.statusCode, 201);
    const failing = await call('POST', '/api/webhooks', {
      url: `${bad.url}/down`,
      events: ['render.completed'],
    });
    badId = failing.json().id;

    const list = await call('GET', '/api/webhooks');
    assert.equal(list.json().length, 3);
    assert.match(String(list.headers['x-request-id']), /\S/, 'every answer names its request id');
    for (const w of list.json())
      assert.doesNotMatch(w.secret, /^whsec_[A-Za-z0-9+/]{20,}/, 'listed secrets are masked');

    const invalid = await call('POST', '/api/webhooks', { url: 'ftp://x', events: ['render.exploded'] });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().error.code, 'VALIDATION_ERROR');
  });

  test('a completed render is delivered signed; a failing receiver gets every retry and the render completes regardless', async () => {
    const projectId = await project('webhook demo', ['a red fox', 'a blue bird']);
    const job = await pipeline.service.startRender(projectId);

    await good.until(
      (all) => all.some((r) => r.path === '/hook' && typeOf(r) === 'render.completed'),
      'render.completed',
    );
    const delivery = good.received.find((r) => r.path === '/hook' && typeOf(r) === 'render.completed')!;
    assert.deepEqual(verifyWebhook(secret, delivery.headers, delivery.body), { ok: true });
    assert.equal(delivery.headers['content-type'], 'application/json');
    assert.match(String(delivery.headers['webhook-id']), /^msg_[0-9a-f-]{36}$/);
    const event = JSON.parse(delivery.body);
    assert.equal(event.data.renderJobId, job.id);
    assert.equal(event.data.status, 'completed');
    assert.equal(event.data.segments, 2);
    assert.match(event.data.outputPath, /^\/api\/assets\//);
    assert.ok(!delivery.body.includes(sim.url), 'no backend address in the payload');
    // A tampered body or another secret does not verify.
    assert.equal(
      verifyWebhook(secret, delivery.headers, delivery.body.replace('completed', 'failed')).ok,
      false,
    );

    await good.until((all) => all.some((r) => r.path === '/slack'), 'the Slack delivery');
    const slack = JSON.parse(good.received.find((r) => r.path === '/slack')!.body);
    assert.deepEqual(Object.keys(slack), ['text']);
    assert.match(slack.text, /completed/);

    // The failing receiver: the first try and two retries, each signed with the same message id.
    await bad.until((all) => all.length >= 3, 'three tries at the failing receiver');
    assert.equal(new Set(bad.received.map((r) => r.headers['webhook-id'])).size, 1);
    const finished = await pipeline.service.getRenderJob(job.id);
    assert.equal(finished.status, 'completed', 'the render is not held up by the failing receiver');

    // Its delivery ends failed, with the tries and the last answer recorded.
    const deliveries = await waitFor(async () => {
      const list = (await call('GET', `/api/webhooks/${badId}/deliveries`)).json();
      return list[0]?.status === 'failed' ? list : undefined;
    }, 'the failing delivery to be marked failed');
    assert.equal(deliveries.length, 1);
    assert.equal(deliveries[0].status, 'failed');
    assert.equal(deliveries[0].attempts, 3);
    assert.equal(deliveries[0].lastStatusCode, 500);
    assert.equal(bad.received.length, 3, 'no try beyond the retry limit');
  });

  test('a permanent failure sends segment.failed, render.failed and error.persistent', async () => {
    sim.setFaults([{ kind: 'missing_node_type', count: 1 }]);
    const projectId = await project('doomed', ['a broken node']);
    const job = await pipeline.service.startRender(projectId);
    await good.until(
      (all) =>
        ['segment.failed', 'render.failed', 'error.persistent'].every((t) =>
          all.some((r) => typeOf(r) === t),
        ),
      'segment.failed, render.failed and error.persistent',
    );
    for (const r of good.received.filter((x) => x.path === '/hook')) {
      assert.deepEqual(verifyWebhook(secret, r.headers, r.body), { ok: true });
    }
    const failed = JSON.parse(good.received.find((r) => typeOf(r) === 'segment.failed')!.body);
    assert.equal(failed.data.code, 'COMFYUI_MISSING_NODE');
    assert.equal(failed.data.retryable, false);
    assert.equal(failed.data.projectId, projectId);
    const renderFailed = JSON.parse(good.received.find((r) => typeOf(r) === 'render.failed')!.body);
    assert.equal(renderFailed.data.renderJobId, job.id);
    const persistent = JSON.parse(good.received.find((r) => typeOf(r) === 'error.persistent')!.body);
    assert.equal(persistent.data.code, 'COMFYUI_MISSING_NODE');
    assert.ok(persistent.data.count >= 1);
  });

  test('a backend going down and coming back is announced once each', async () => {
    await sim.goDown();
    await pool.checkNow();
    await good.until((all) => all.some((r) => typeOf(r) === 'backend.down'), 'backend.down');
    await pool.checkNow(); // still down: no second announcement
    await sim.goUp();
    await pool.checkNow();
    await good.until((all) => all.some((r) => typeOf(r) === 'backend.up'), 'backend.up');
    const announcements = good.received.filter((r) => typeOf(r)?.startsWith('backend.'));
    assert.deepEqual(announcements.map(typeOf), ['backend.down', 'backend.up']);
    const down = JSON.parse(announcements[0]!.body);
    assert.equal(down.data.backend, 'sim-1');
    assert.ok(!announcements[0]!.body.includes(String(sim.port)), 'no backend address in the payload');
  });
});
