import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError, ERROR_TAXONOMY, type ErrorCode, isRetryable } from '@framesmith/core';
import { classify, classifyAsError, isTransientNetworkError } from '../../src/classifier.ts';
import { FIXTURES } from '../fixtures/comfy-responses.ts';

const URL_RE = /[a-z]+:\/\//i;
const ABS_PATH_RE = /(?:^|[\s'"(])(?:\/[\w.-]+){2,}|[A-Za-z]:\\/;

describe('classify: recorded ComfyUI responses', () => {
  for (const f of FIXTURES) {
    test(`${f.code} ← ${f.name}`, () => {
      const c = classify(f.outcome, { backend: 'gpu-1' });
      assert.equal(c.code, f.code);
      assert.equal(c.retryable, isRetryable(f.code));
      assert.equal(c.title, ERROR_TAXONOMY[f.code].title);
      assert.equal(c.detail.backend, 'gpu-1');
      for (const [key, value] of Object.entries(f.detail ?? {})) {
        if (key === 'exceptionMessage' && typeof value === 'string') {
          assert.ok(String(c.detail[key]).startsWith(value), `detail.${key}: ${String(c.detail[key])}`);
        } else {
          assert.deepEqual(c.detail[key], value, `detail.${key}`);
        }
      }
      for (const word of f.messageIncludes ?? [])
        assert.ok(c.message.includes(word), `message lacks ${word}: ${c.message}`);
      for (const word of f.tipsInclude ?? []) assert.ok(c.tips.join(' ').includes(word), `tips lack ${word}`);
      // Copy is for people: no URLs, absolute paths, tracebacks or raw exception text.
      for (const text of [c.message, ...c.tips]) {
        assert.ok(!URL_RE.test(text), `URL in "${text}"`);
        assert.ok(!ABS_PATH_RE.test(text), `path in "${text}"`);
        assert.ok(!/Traceback|File "/.test(text), `traceback in "${text}"`);
      }
      if (f.outcome.kind === 'execution_error') {
        const raw = f.outcome.data.exception_message.split('\n')[0]!.trim();
        if (raw.length > 12) assert.ok(!c.message.includes(raw), `raw exception text in "${c.message}"`);
      }
      assert.ok(c.tips.length >= ERROR_TAXONOMY[f.code].tips.length);
    });
  }

  test('every code ComfyUI can produce has at least three fixtures', () => {
    const counts = new Map<ErrorCode, number>();
    for (const f of FIXTURES) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
    const comfy = (Object.keys(ERROR_TAXONOMY) as ErrorCode[]).filter((c) => c.startsWith('COMFYUI_'));
    for (const code of [...comfy, 'INTERNAL_ERROR' as const]) {
      assert.ok((counts.get(code) ?? 0) >= 3, `${code} has ${counts.get(code) ?? 0} fixtures`);
    }
  });
});

describe('classify: details', () => {
  test('validation error order does not matter (Python set order)', () => {
    const a = FIXTURES.find((f) => f.name === 'missing model wins over a bad parameter')!;
    if (a.outcome.kind !== 'http') throw new Error('fixture shape');
    const body = a.outcome.body as { node_errors: Record<string, unknown> };
    const reversed = {
      ...(body as object),
      node_errors: Object.fromEntries(Object.entries(body.node_errors).reverse()),
    };
    const c = classify({ ...a.outcome, body: reversed });
    assert.equal(c.code, 'COMFYUI_MISSING_MODEL');
  });

  test('several failing nodes are all listed in detail.errors', () => {
    const f = FIXTURES.find((x) => x.name === 'missing model wins over a bad parameter')!;
    const c = classify(f.outcome);
    const errors = c.detail.errors as { nodeId: string }[];
    assert.deepEqual(errors.map((e) => e.nodeId).sort(), ['4', '8']);
  });

  test("OOM detail keeps the exception but drops ComfyUI's appended tips", () => {
    const f = FIXTURES.find((x) => x.name.startsWith('torch.OutOfMemoryError'))!;
    const c = classify(f.outcome);
    assert.equal(c.detail.exceptionMessage, 'Allocation on device');
  });

  test('closest installed names are suggested for a missing model', () => {
    const f = FIXTURES.find((x) => x.name.startsWith('exact-name mismatch'))!;
    const c = classify(f.outcome);
    assert.equal((c.detail.suggestions as string[])[0], 'SDXL1.0\\CinematicRedmond.safetensors');
  });

  test('classifyAsError gives an AppError that keeps the network cause', () => {
    const f = FIXTURES.find((x) => x.name === 'fetch ECONNREFUSED')!;
    const e = classifyAsError(f.outcome, { promptId: 'p1' });
    assert.ok(e instanceof AppError);
    assert.equal(e.code, 'COMFYUI_CONNECTION_ERROR');
    assert.equal(e.retryable, true);
    assert.equal(e.detail.promptId, 'p1');
    assert.ok(e.cause instanceof TypeError);
  });

  test('transient network errors: refused, reset, timeouts yes; aborts, HTTP answers and AppErrors no', () => {
    for (const f of FIXTURES) {
      if (f.outcome.kind !== 'network') continue;
      assert.equal(isTransientNetworkError(f.outcome.error), true, f.name);
    }
    assert.equal(isTransientNetworkError(new DOMException('stop', 'AbortError')), false);
    assert.equal(isTransientNetworkError(new AppError('COMFYUI_TIMEOUT')), false);
    assert.equal(isTransientNetworkError(new Error('HTTP 500')), false);
  });
});
