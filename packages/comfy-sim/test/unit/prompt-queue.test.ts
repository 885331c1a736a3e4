import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { PromptQueue } from '../../src/prompt-queue.ts';

test('a worker waiting for prompts leaves no listener behind on its stop signal', async () => {
  // The worker's stop signal lives as long as the simulator: one listener per wait would pile up.
  const queue = new PromptQueue(() => {});
  const stop = new AbortController();
  for (let i = 0; i < 20; i++) {
    const next = queue.get(stop.signal);
    queue.put([i, `p${i}`, {}, {}, []]);
    const taken = await next;
    assert.equal(taken?.item[1], `p${i}`);
    queue.taskDone(taken.taskId, { outputs: {}, meta: {} }, null);
  }
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  const waiting = queue.get(stop.signal);
  stop.abort();
  assert.equal(await waiting, null);
});
