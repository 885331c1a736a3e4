import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WEBHOOK_EVENTS } from '@framesmith/core/ops-schemas';
import { deliveryIdFor } from '@framesmith/db/queries/webhooks';
import { envelope, renderBody, slackText } from '@framesmith/pipeline/webhooks/payload';
import {
  generateWebhookSecret,
  isValidWebhookSecret,
  signWebhook,
  verifyWebhook,
  webhookHeaders,
} from '@framesmith/pipeline/webhooks/signature';

describe('Standard Webhooks signatures', () => {
  test('matches the published test vector', () => {
    // The example of the Standard Webhooks reference libraries.
    assert.equal(
      signWebhook(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  test('generated secrets are whsec_ + 32 random bytes', () => {
    const a = generateWebhookSecret();
    assert.ok(isValidWebhookSecret(a));
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 32);
    assert.notEqual(a, generateWebhookSecret());
    assert.equal(isValidWebhookSecret('whsec_c2hvcnQ='), false);
    assert.equal(isValidWebhookSecret('secret'), false);
  });

  test('verification: good, tampered, wrong secret, stale, missing headers, several signatures', () => {
    const secret = generateWebhookSecret();
    const body = '{"type":"render.completed"}';
    const now = new Date('2026-06-01T12:00:00Z');
    const headers = webhookHeaders(secret, 'msg_1', body, now);
    assert.deepEqual(verifyWebhook(secret, headers, body, { now }), { ok: true });
    assert.deepEqual(verifyWebhook(secret, headers, `${body} `, { now }), { ok: false, reason: 'signature' });
    assert.deepEqual(verifyWebhook(generateWebhookSecret(), headers, body, { now }), {
      ok: false,
      reason: 'signature',
    });
    const later = new Date(now.getTime() + 6 * 60_000);
    assert.deepEqual(verifyWebhook(secret, headers, body, { now: later }), {
      ok: false,
      reason: 'timestamp',
    });
    assert.deepEqual(verifyWebhook(secret, { 'webhook-id': 'msg_1' }, body, { now }), {
      ok: false,
      reason: 'missing-headers',
    });
    const rotated = { ...headers, 'webhook-signature': `v1,bm90IGl0 ${headers['webhook-signature']}` };
    assert.deepEqual(verifyWebhook(secret, rotated, body, { now }), { ok: true });
  });

  test('delivery ids are deterministic per webhook and event key, and valid UUIDs', () => {
    const a = deliveryIdFor('w1', 'render.completed:r1');
    assert.equal(a, deliveryIdFor('w1', 'render.completed:r1'));
    assert.notEqual(a, deliveryIdFor('w2', 'render.completed:r1'));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('webhook payloads', () => {
  const samples = {
    'segment.failed': {
      segmentId: 'aaaaaaaa-1',
      projectId: 'bbbbbbbb-2',
      renderJobId: null,
      position: 2,
      attempt: 3,
      code: 'COMFYUI_OUT_OF_MEMORY',
      title: 'The GPU ran out of memory',
      message: 'The GPU ran out of memory.',
      retryable: true,
      backend: 'gpu-a',
    },
    'render.completed': {
      renderJobId: 'cccccccc-3',
      projectId: 'bbbbbbbb-2',
      projectName: 'Trailer',
      status: 'completed',
      segments: 4,
      durationMs: 61000,
      outputPath: '/api/assets/x/content',
      code: null,
      message: null,
    },
    'render.failed': {
      renderJobId: 'cccccccc-3',
      projectId: 'bbbbbbbb-2',
      projectName: null,
      status: 'failed',
      segments: 4,
      durationMs: 1000,
      outputPath: null,
      code: 'COMPOSITION_ERROR',
      message: 'x',
    },
    'backend.down': {
      backend: 'gpu-a',
      status: 'unreachable',
      lastError: 'COMFYUI_CONNECTION_ERROR: unreachable',
    },
    'backend.up': { backend: 'gpu-a', status: 'healthy', lastError: null },
    'error.persistent': {
      code: 'COMFYUI_TIMEOUT',
      title: 'Generation took too long',
      count: 7,
      threshold: 5,
      windowMinutes: 10,
      lastAt: '2026-06-01T12:00:00.000Z',
    },
  } as const;

  test('every event has a Slack line, and the standard body is the envelope', () => {
    for (const type of WEBHOOK_EVENTS) {
      const event = envelope(type, samples[type] as never, new Date('2026-06-01T12:00:00Z'));
      const text = slackText(event);
      assert.ok(text.length > 10, type);
      assert.doesNotMatch(text, /undefined|null|\[object/, type);
      assert.deepEqual(JSON.parse(renderBody(event, 'slack')), { text });
      const standard = renderBody(event, 'standard');
      assert.deepEqual(Object.keys(JSON.parse(standard)), ['type', 'timestamp', 'data']);
    }
    assert.match(
      slackText(envelope('render.completed', samples['render.completed'])),
      /Trailer completed in 61\.0 s/,
    );
    assert.match(
      slackText(envelope('error.persistent', samples['error.persistent'])),
      /7 times in the last 10 minutes/,
    );
  });
});
