import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RenderJob, Segment } from '@framesmith/core';
import { probeClip } from '../../src/ffmpeg.ts';
import { type Harness, isFinal, startHarness } from '../support/harness.ts';

let h: Harness;
before(async () => {
  h = await startHarness({ backends: 2 });
});
after(async () => {
  await h?.close();
});

test('a 3-segment project renders to one playable mp4 whose duration is the sum of the clips', async () => {
  const projectId = await h.project();
  for (const p of ['a fox in the snow', 'a cat on a roof', 'a boat at sea']) await h.segment(projectId, p);
  const started = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  assert.equal(started.status, 202);
  assert.equal(started.body.counts.total, 3);
  const job = await h.waitForJob(started.body.id, isFinal);
  assert.equal(job.status, 'completed', JSON.stringify(job));
  assert.equal(job.progress, 1);
  assert.equal(job.counts.completed, 3);
  const segments = (await h.api<Segment[]>('GET', `/api/projects/${projectId}/segments`)).body;
  const clipSeconds = segments.reduce((sum, s) => sum + (s.output?.durationSeconds ?? 0), 0);
  assert.ok(job.output, 'the render has its video');
  const path = await storagePathOf(job.output.assetId);
  const probe = await probeClip(path);
  assert.ok(probe, 'the final video has a video stream');
  assert.ok(
    Math.abs(probe.durationSeconds - clipSeconds) <= 1 / 12 + 0.001,
    `${probe.durationSeconds} vs ${clipSeconds}`,
  );
  // The API streams it, seekable.
  const res = await h.app.inject({ method: 'GET', url: job.output.url, headers: { range: 'bytes=0-99' } });
  assert.equal(res.statusCode, 206);
  assert.equal(res.headers['content-type'], 'video/mp4');
  assert.equal(res.rawPayload.length, 100);
});

async function storagePathOf(assetId: string): Promise<string> {
  const { findAsset } = await import('@framesmith/db/queries/assets');
  const asset = await findAsset(h.database.db, assetId);
  return h.pipeline.storage.localPath(asset!.storageKey);
}

test('one segment edited and rendered again: only it regenerates', async () => {
  const projectId = await h.project();
  const segs: Segment[] = [];
  for (const p of ['one', 'two', 'three']) segs.push(await h.segment(projectId, p));
  const first = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  assert.equal((await h.waitForJob(first.body.id, isFinal)).status, 'completed');
  const before = (await h.api<Segment[]>('GET', `/api/projects/${projectId}/segments`)).body;
  const submitted = submissions();

  const edited = await h.api<Segment>('PATCH', `/api/segments/${segs[1]!.id}`, { prompt: 'two, but blue' });
  assert.equal(edited.body.status, 'pending');
  const second = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  assert.equal(second.status, 202);
  assert.equal(second.body.counts.completed, 2, 'the unchanged clips are reused at once');
  const job = await h.waitForJob(second.body.id, isFinal);
  assert.equal(job.status, 'completed');
  assert.equal(submissions() - submitted, 1, 'exactly one prompt went to ComfyUI');
  const after = (await h.api<Segment[]>('GET', `/api/projects/${projectId}/segments`)).body;
  assert.equal(after[0]!.output?.assetId, before[0]!.output?.assetId);
  assert.equal(after[2]!.output?.assetId, before[2]!.output?.assetId);
  assert.notEqual(after[1]!.output?.assetId, before[1]!.output?.assetId);
  assert.notEqual(job.output?.assetId, first.body.output?.assetId);

  // Nothing changed at all: straight to composition, nothing generated.
  const third = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  assert.equal((await h.waitForJob(third.body.id, isFinal)).status, 'completed');
  assert.equal(submissions() - submitted, 1);
});

test('two render requests at once give one job; the other gets 409 naming it', async () => {
  const projectId = await h.project();
  await h.segment(projectId, 'only one');
  const [a, b] = await Promise.all([
    h.api<RenderJob & { error?: { code: string; details: { renderJobId: string } } }>(
      'POST',
      `/api/projects/${projectId}/render`,
    ),
    h.api<RenderJob & { error?: { code: string; details: { renderJobId: string } } }>(
      'POST',
      `/api/projects/${projectId}/render`,
    ),
  ]);
  const statuses = [a.status, b.status].sort();
  assert.deepEqual(statuses, [202, 409]);
  const ok = a.status === 202 ? a : b;
  const refused = a.status === 202 ? b : a;
  assert.equal(refused.body.error?.code, 'CONFLICT');
  assert.equal(refused.body.error?.details.renderJobId, ok.body.id);
  const jobs = (await h.api<RenderJob[]>('GET', `/api/projects/${projectId}/render-jobs`)).body;
  assert.equal(jobs.length, 1);
  assert.equal((await h.waitForJob(ok.body.id, isFinal)).status, 'completed');
});

function submissions(): number {
  return h.sims.reduce((n, s) => n + s.stats().submitted, 0);
}

test('live events reach a client of /api/events: the segment and render job as the API shows them', async () => {
  const projectId = await h.project();
  const segment = await h.segment(projectId, 'watched live');
  const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const abort = new AbortController();
  const res = await fetch(`${address}/api/events?projectId=${projectId}`, { signal: abort.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const events: { event: string; data: { id: string; status: string; backend?: string | null } }[] = [];
  const render = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  try {
    while (!events.some((e) => e.event === 'render-job' && e.data.status === 'completed')) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop()!;
      for (const block of blocks) {
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  } finally {
    abort.abort();
  }
  const segmentStates = events
    .filter((e) => e.event === 'segment' && e.data.id === segment.id)
    .map((e) => e.data.status);
  assert.ok(segmentStates.includes('queued'));
  assert.ok(segmentStates.includes('generating'));
  assert.equal(segmentStates.at(-1), 'completed');
  // A segment is claimed with its backend: every generating event names where it runs.
  const generating = events.filter(
    (e) => e.event === 'segment' && e.data.id === segment.id && e.data.status === 'generating',
  );
  assert.ok(generating.every((e) => typeof e.data.backend === 'string' && e.data.backend.length > 0));
  const jobStates = events.filter((e) => e.event === 'render-job').map((e) => e.data.status);
  assert.deepEqual([...new Set(jobStates)], ['queued', 'generating', 'compositing', 'completed']);
  assert.ok(events.every((e) => e.event !== 'render-job' || e.data.id === render.body.id));
});

test('a project crossfade joins the clips with xfade: the video is shorter by one fade per joint', async () => {
  const projectId = await h.project({ crossfadeSeconds: 0.25 });
  for (const p of ['dawn', 'noon', 'dusk'])
    await h.segment(projectId, p, { width: 64, height: 64, frames: 12, fps: 12 });
  const started = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  const job = await h.waitForJob(started.body.id, isFinal);
  assert.equal(job.status, 'completed', JSON.stringify(job));
  const segments = (await h.api<Segment[]>('GET', `/api/projects/${projectId}/segments`)).body;
  const clipSeconds = segments.reduce((sum, s) => sum + (s.output?.durationSeconds ?? 0), 0);
  const probe = await probeClip(await storagePathOf(job.output!.assetId));
  assert.ok(probe);
  assert.ok(
    Math.abs(probe.durationSeconds - (clipSeconds - 2 * 0.25)) <= 1 / 12 + 0.001,
    `${probe.durationSeconds} vs ${clipSeconds} − 0.5`,
  );
});

test('the render routes are in the OpenAPI document', async () => {
  const res = await h.api<{ paths: Record<string, unknown> }>('GET', '/api/docs/json');
  assert.equal(res.status, 200);
  for (const path of [
    '/api/projects/{id}/render',
    '/api/projects/{id}/render-jobs',
    '/api/render-jobs/{id}',
    '/api/render-jobs/{id}/retry-failed',
    '/api/render-jobs/{id}/cancel',
    '/api/segments/{id}/retry',
    '/api/segments/{id}/cancel',
    '/api/events',
    '/api/assets/{id}/content',
    '/api/dead-letters',
  ]) {
    assert.ok(path in res.body.paths, path);
  }
});
