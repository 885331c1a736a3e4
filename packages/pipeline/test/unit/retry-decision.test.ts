import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ErrorCode } from '@framesmith/core';
import { ERROR_TAXONOMY } from '@framesmith/core';
import { backoffDelay, decideAfterFailure, type RetryPolicy } from '../../src/retry-decision.ts';

const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 2000, maxDelayMs: 300_000, jitter: 0.25 };
const mid = () => 0.5; // no jitter
const low = () => 0; // −25 %
const high = () => 0.999_999; // just under +25 %

const failure = (code: ErrorCode, attempt: number, earlierCodes: ErrorCode[] = [], cancelled = false) => ({
  code,
  retryable: ERROR_TAXONOMY[code].retryable,
  cancelled,
  attempt,
  earlierCodes,
});

const table: [string, ReturnType<typeof failure>, () => number, ReturnType<typeof decideAfterFailure>][] = [
  [
    'connection error, 1st attempt: retry after ~2 s',
    failure('COMFYUI_CONNECTION_ERROR', 1),
    mid,
    { action: 'retry', delayMs: 2000 },
  ],
  [
    'connection error, 2nd attempt: retry after ~4 s',
    failure('COMFYUI_CONNECTION_ERROR', 2, ['COMFYUI_CONNECTION_ERROR']),
    mid,
    { action: 'retry', delayMs: 4000 },
  ],
  [
    'connection error, last attempt: fail',
    failure('COMFYUI_CONNECTION_ERROR', 3, ['COMFYUI_CONNECTION_ERROR', 'COMFYUI_CONNECTION_ERROR']),
    mid,
    { action: 'fail' },
  ],
  ['jitter low end', failure('COMFYUI_TIMEOUT', 1), low, { action: 'retry', delayMs: 1500 }],
  ['jitter high end', failure('COMFYUI_TIMEOUT', 2), high, { action: 'retry', delayMs: 5000 }],
  ['prompt lost is retried', failure('COMFYUI_PROMPT_LOST', 1), mid, { action: 'retry', delayMs: 2000 }],
  [
    'interrupted by someone else is retried',
    failure('COMFYUI_INTERRUPTED', 1),
    mid,
    { action: 'retry', delayMs: 2000 },
  ],
  [
    'generation error is retried',
    failure('COMFYUI_GENERATION_ERROR', 1),
    mid,
    { action: 'retry', delayMs: 2000 },
  ],
  [
    'first out-of-memory gets one more try',
    failure('COMFYUI_OUT_OF_MEMORY', 1),
    mid,
    { action: 'retry', delayMs: 2000 },
  ],
  [
    'second out-of-memory fails',
    failure('COMFYUI_OUT_OF_MEMORY', 2, ['COMFYUI_OUT_OF_MEMORY']),
    mid,
    { action: 'fail' },
  ],
  [
    'out-of-memory after a connection error still gets its one try',
    failure('COMFYUI_OUT_OF_MEMORY', 2, ['COMFYUI_CONNECTION_ERROR']),
    mid,
    { action: 'retry', delayMs: 4000 },
  ],
  ['missing model fails at once', failure('COMFYUI_MISSING_MODEL', 1), mid, { action: 'fail' }],
  ['missing node fails at once', failure('COMFYUI_MISSING_NODE', 1), mid, { action: 'fail' }],
  ['workflow error fails at once', failure('COMFYUI_WORKFLOW_ERROR', 1), mid, { action: 'fail' }],
  ['invalid parameters fail at once', failure('COMFYUI_INVALID_PARAMETERS', 1), mid, { action: 'fail' }],
  ['missing input fails at once', failure('COMFYUI_INPUT_MISSING', 1), mid, { action: 'fail' }],
  ['unusable output fails at once', failure('COMFYUI_OUTPUT_ERROR', 1), mid, { action: 'fail' }],
  ['internal error fails at once', failure('INTERNAL_ERROR', 1), mid, { action: 'fail' }],
  [
    'cancelled wins over retryable',
    failure('COMFYUI_INTERRUPTED', 1, [], true),
    mid,
    { action: 'cancelled' },
  ],
  [
    'cancelled wins over permanent',
    failure('COMFYUI_MISSING_MODEL', 1, [], true),
    mid,
    { action: 'cancelled' },
  ],
];

for (const [name, input, random, expected] of table) {
  test(`decideAfterFailure: ${name}`, () => {
    assert.deepEqual(decideAfterFailure(input, policy, random), expected);
  });
}

test('a single attempt policy never retries', () => {
  assert.deepEqual(
    decideAfterFailure(failure('COMFYUI_CONNECTION_ERROR', 1), { ...policy, maxAttempts: 1 }, mid),
    { action: 'fail' },
  );
});

test('a retryable flag overridden to permanent is respected', () => {
  assert.deepEqual(
    decideAfterFailure({ ...failure('COMFYUI_CONNECTION_ERROR', 1), retryable: false }, policy, mid),
    { action: 'fail' },
  );
});

test('backoff doubles from the base and is capped', () => {
  const p = { ...policy, maxAttempts: 10, maxDelayMs: 10_000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((a) => backoffDelay(a, p, mid)),
    [2000, 4000, 8000, 10_000, 10_000],
  );
  assert.equal(backoffDelay(1, { ...policy, baseDelayMs: 0 }, high), 0);
});
