import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RenderJob, Segment } from '@framesmith/core';
import { listAttempts } from '@framesmith/db/queries/attempts';
import { type Harness, isFinal, startHarness } from '../support/harness.ts';

let h: Harness;
before(async () => {
  h = await startHarness({ backends: 1 });
});
after(async () => {
  await h?.close();
});

const sim = () => h.sims[0]!;

async function renderProject(
  prompts: string[],
): Promise<{ projectId: string; job: RenderJob; segments: Segment[] }> {
  const projectId = await h.project();
  const segments: Segment[] = [];
  for (const p of prompts) segments.push(await h.segment(projectId, p));
  const res = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return { projectId, job: res.body, segments };
}

test("the seed's error flow: backend down → failed, retryable, after the automatic attempts → up → one-click retry → composed", async () => {
  await sim().goDown();
  try {
    const { job, segments } = await renderProject(['first', 'second']);
    const failedJob = await h.waitForJob(job.id, isFinal);
    assert.equal(failedJob.status, 'failed');
    assert.equal(failedJob.error?.code, 'COMFYUI_CONNECTION_ERROR');
    assert.match(failedJob.summary ?? '', /2 of 2 segments failed/);
    for (const s of segments) {
      const seg = (await h.api<Segment>('GET', `/api/segments/${s.id}`)).body;
      assert.equal(seg.status, 'failed');
      assert.equal(seg.attempt, 3, 'three automatic attempts');
      assert.equal(seg.error?.code, 'COMFYUI_CONNECTION_ERROR');
      assert.equal(seg.error?.retryable, true);
      assert.doesNotMatch(seg.error?.message ?? '', /http|127\.0\.0\.1|Error:/);
      const attempts = await listAttempts(h.database.db, s.id);
      assert.deepEqual(
        attempts.map((a) => [a.outcome, a.errorCode]),
        Array(3).fill(['failed', 'COMFYUI_CONNECTION_ERROR']),
      );
    }
    await sim().goUp();
    await h.backendsHealthy();

    const retried = await h.api<Segment>('POST', `/api/segments/${segments[0]!.id}/retry`);
    assert.equal(retried.status, 202);
    assert.equal(retried.body.error, null, 'the error is cleared');
    assert.ok(['queued', 'generating', 'completed'].includes(retried.body.status));
    const reopened = (await h.api<RenderJob>('GET', `/api/render-jobs/${job.id}`)).body;
    assert.ok(['generating', 'queued', 'failed', 'compositing'].includes(reopened.status));
    const done = await h.waitForSegment(segments[0]!.id, (s) => s.status === 'completed');
    assert.equal(done.attempt, 1, JSON.stringify((await listAttempts(h.database.db, done.id)).slice(0, 2)));
    // The other segment is still failed, so the render fails again; retry it and the video is made.
    await h.waitForJob(job.id, isFinal);
    const second = await h.api<Segment>('POST', `/api/segments/${segments[1]!.id}/retry`);
    assert.equal(second.status, 202);
    const composed = await h.waitForJob(job.id, isFinal);
    assert.equal(composed.status, 'completed', JSON.stringify(composed));
    assert.ok(composed.output);
    assert.equal(composed.error, null);
  } finally {
    await sim()
      .goUp()
      .catch(() => {});
  }
});

test('retrying a segment that has not failed is a 409', async () => {
  const { job, segments } = await renderProject(['fine']);
  await h.waitForJob(job.id, isFinal);
  const res = await h.api<{ error: { code: string } }>('POST', `/api/segments/${segments[0]!.id}/retry`);
  assert.equal(res.status, 409);
  assert.equal(res.body.error.code, 'CONFLICT');
  assert.equal((await h.api('POST', '/api/segments/not-a-uuid/retry')).status, 404);
});

test('a permanent error (missing model) fails after one attempt', async () => {
  sim().setFaults([{ kind: 'missing_model' }]);
  try {
    const { job, segments } = await renderProject(['needs a model']);
    const final = await h.waitForJob(job.id, isFinal);
    assert.equal(final.status, 'failed');
    const seg = (await h.api<Segment>('GET', `/api/segments/${segments[0]!.id}`)).body;
    assert.equal(seg.status, 'failed');
    assert.equal(seg.error?.code, 'COMFYUI_MISSING_MODEL');
    assert.equal(seg.error?.retryable, false);
    assert.equal(seg.attempt, 1);
    assert.equal((await listAttempts(h.database.db, seg.id)).length, 1);
  } finally {
    sim().clearFaults();
  }
});

test('retry-failed retries every failed segment of a render and composes the video', async () => {
  sim().setFaults([{ kind: 'missing_model', count: 2 }]);
  let job: RenderJob;
  try {
    ({ job } = await renderProject(['a', 'b', 'c']));
    const failed = await h.waitForJob(job.id, isFinal);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.counts.failed, 2);
  } finally {
    sim().clearFaults();
  }
  const res = await h.api<RenderJob>('POST', `/api/render-jobs/${job.id}/retry-failed`);
  assert.equal(res.status, 202);
  assert.equal(res.body.counts.failed, 0);
  const done = await h.waitForJob(job.id, isFinal);
  assert.equal(done.status, 'completed');
  assert.equal(done.counts.completed, 3);
  assert.equal((await h.api('POST', `/api/render-jobs/${job.id}/retry-failed`)).status, 409);
});

test('out of memory gets exactly one more try', async () => {
  sim().setFaults([{ kind: 'oom' }]);
  try {
    const { job, segments } = await renderProject(['too big']);
    const final = await h.waitForJob(job.id, isFinal);
    assert.equal(final.status, 'failed');
    const seg = (await h.api<Segment>('GET', `/api/segments/${segments[0]!.id}`)).body;
    assert.equal(seg.error?.code, 'COMFYUI_OUT_OF_MEMORY');
    assert.equal(seg.error?.retryable, true);
    const attempts = await listAttempts(h.database.db, seg.id);
    assert.deepEqual(
      attempts.map((a) => a.errorCode),
      ['COMFYUI_OUT_OF_MEMORY', 'COMFYUI_OUT_OF_MEMORY'],
    );
  } finally {
    sim().clearFaults();
  }
});

test('a transient failure is retried automatically and succeeds; the segment waits queued meanwhile', async () => {
  sim().setFaults([{ kind: 'node_error', count: 1 }]);
  const seen: string[] = [];
  const stop = h.pipeline.events.subscribe(null, (e) => {
    if (e.event === 'segment' && e.data.status === 'queued' && e.data.error) {
      seen.push(
        `${e.data.attempt}/${e.data.maxAttempts}:${e.data.error.code}:${e.data.nextAttemptAt ? 'at' : '-'}`,
      );
    }
  });
  try {
    const { job, segments } = await renderProject(['flaky']);
    const final = await h.waitForJob(job.id, isFinal);
    assert.equal(final.status, 'completed');
    const seg = (await h.api<Segment>('GET', `/api/segments/${segments[0]!.id}`)).body;
    assert.equal(seg.attempt, 2);
    assert.equal(seg.error, null);
    assert.deepEqual(seen, ['1/3:COMFYUI_GENERATION_ERROR:at']);
  } finally {
    stop();
    sim().clearFaults();
  }
});

test('cancel: a generating segment is interrupted on its backend and ends cancelled, and so does its render', async () => {
  const interruptedBefore = sim().stats().interrupted;
  // The prompt never finishes by itself: only the interrupt ends it.
  sim().setFaults([{ kind: 'hang', variant: 'generation' }]);
  try {
    await cancelWhileGenerating(interruptedBefore);
  } finally {
    sim().clearFaults();
  }
});

async function cancelWhileGenerating(interruptedBefore: number) {
  const { job, segments } = await renderProject(['to cancel']);
  const id = segments[0]!.id;
  await h.waitForSegment(id, (s) => s.status === 'generating' && s.progress > 0);
  const res = await h.api<Segment>('POST', `/api/segments/${id}/cancel`);
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'cancelled');
  const final = await h.waitForJob(job.id, isFinal);
  assert.equal(final.status, 'cancelled');
  await h.until(async () => (await listAttempts(h.database.db, id))[0]?.outcome === 'cancelled');
  assert.equal(sim().stats().interrupted, interruptedBefore + 1, 'the prompt was interrupted on the backend');
  const seg = (await h.api<Segment>('GET', `/api/segments/${id}`)).body;
  assert.equal(seg.status, 'cancelled');
  assert.equal(seg.output, null);
  assert.equal((await h.api('POST', `/api/segments/${id}/cancel`)).status, 409);
}

test('a segment cancelled while its prompt is being sent ends with its cancel as the last event', async () => {
  // The send takes 1.5 s: the cancel lands after the claim and before the claim is announced.
  sim().setFaults([{ kind: 'slow', route: '/prompt', ms: 1500, count: 1 }]);
  const seen: { id: string; status: string }[] = [];
  const stop = h.pipeline.events.subscribe(null, (e) => {
    if (e.event === 'segment') seen.push({ id: e.data.id, status: e.data.status });
  });
  try {
    const { job, segments } = await renderProject(['cancelled mid-send']);
    const id = segments[0]!.id;
    await h.until(
      async () => (await h.api<Segment>('GET', `/api/segments/${id}`)).body.status === 'generating',
    );
    assert.equal((await h.api<Segment>('POST', `/api/segments/${id}/cancel`)).status, 200);
    assert.equal((await h.waitForJob(job.id, isFinal)).status, 'cancelled');
    await h.until(async () => (await listAttempts(h.database.db, id))[0]?.outcome === 'cancelled');
    await new Promise((r) => setTimeout(r, 200)); // anything late would have arrived by now
    const states = seen.filter((e) => e.id === id).map((e) => e.status);
    assert.equal(states.at(-1), 'cancelled', `events: ${states.join(', ')}`);
    assert.equal((await h.api<Segment>('GET', `/api/segments/${id}`)).body.status, 'cancelled');
  } finally {
    stop();
    sim().clearFaults();
  }
});

test('cancel a render: queued and generating segments end cancelled, completed clips are kept', async () => {
  const projectId = await h.project();
  const segs: Segment[] = [];
  for (const p of ['keep me', 'cancel me', 'and me']) segs.push(await h.segment(projectId, p));
  const first = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  await h.waitForJob(first.body.id, isFinal);
  await h.api('PATCH', `/api/segments/${segs[1]!.id}`, { prompt: 'cancel me, changed' });
  await h.api('PATCH', `/api/segments/${segs[2]!.id}`, { prompt: 'and me, changed' });
  const second = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  const cancelled = await h.api<RenderJob>('POST', `/api/render-jobs/${second.body.id}/cancel`);
  assert.equal(cancelled.status, 200);
  assert.equal(cancelled.body.status, 'cancelled');
  const final = await h.waitForJob(second.body.id, (j) => j.counts.generating === 0 && j.counts.queued === 0);
  assert.equal(final.status, 'cancelled');
  assert.equal(final.counts.completed, 1);
  assert.equal(final.counts.cancelled, 2);
  const kept = (await h.api<Segment>('GET', `/api/segments/${segs[0]!.id}`)).body;
  assert.equal(kept.status, 'completed');
  assert.ok(kept.output);
  assert.equal((await h.api('POST', `/api/render-jobs/${second.body.id}/cancel`)).status, 409);
});
