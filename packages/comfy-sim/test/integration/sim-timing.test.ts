/** The simulated GPU time is what a prompt takes, whatever this host does meanwhile. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { startSimulator } from '../../src/index.ts';
import { getJson, submit, t2vGraph, WsClient } from '../helpers.ts';

test('execution_start → execution_success lasts generationMs even when the host stalls before the sampler', async () => {
  // Long enough that the real render (an ffmpeg run, ~0.3–0.7 s on a busy 2-core CI machine)
  // finishes inside it: the schedule, not the render, then decides when success comes.
  const sim = await startSimulator({ generationMs: 1500, steps: 4 });
  try {
    const ws = await WsClient.open(sim.url, 'timing');
    const promptId = randomUUID();
    // The simulator runs in this process: stalling it as execution starts delays the nodes
    // before the sampler, as a busy host (spawning the render, other prompts) does.
    void ws
      .next((f) => f.type === 'execution_start' && f.data['prompt_id'] === promptId)
      .then(() => {
        const until = performance.now() + 150;
        while (performance.now() < until) {
          /* a synchronous stall */
        }
      });
    await submit(sim.url, t2vGraph(), 'timing', promptId);
    await ws.done(promptId);
    const history = (await getJson(`${sim.url}/history/${promptId}`)) as Record<
      string,
      { status: { messages: [string, { timestamp: number }][] } }
    >;
    const at = (event: string) => history[promptId]!.status.messages.find(([m]) => m === event)![1].timestamp;
    const took = at('execution_success') - at('execution_start');
    assert.ok(took >= 1499 && took < 1500 + 100, `took ${took} ms`);
    ws.close();
  } finally {
    await sim.close();
  }
});
