import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { type Project, ProjectWithSegments } from '@framesmith/core';
import { assets, renderJobs, segments } from '@framesmith/db';
import { testDbKind } from '@framesmith/db/testing';
import { assertApiError, startTestApp, type TestApp } from '../support/test-app.ts';

describe(`projects API (${testDbKind()})`, () => {
  let t: TestApp;
  const deletedFiles: string[] = [];
  before(async () => {
    t = await startTestApp({
      storage: {
        async deleteProjectFiles(projectId) {
          deletedFiles.push(projectId);
        },
      },
    });
  });
  after(() => t.close());

  const create = async (body: object) => {
    const res = await t.call('POST', '/api/projects', body);
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as Project;
  };

  test('POST creates a project with empty counts', async () => {
    const p = await create({
      name: '  Trailer  ',
      description: 'a teaser',
      settings: { width: 832, fps: 16 },
    });
    assert.equal(p.name, 'Trailer');
    assert.equal(p.description, 'a teaser');
    assert.deepEqual(p.settings, { width: 832, fps: 16 });
    assert.equal(p.counts.total, 0);
    assert.equal(p.lastRender, null);
    assert.ok(Date.parse(p.createdAt));
  });

  test('GET one returns the project with its segments in order and their counts', async () => {
    const p = await create({ name: 'Ordered' });
    for (const prompt of ['one', 'two', 'three']) {
      const res = await t.call('POST', `/api/projects/${p.id}/segments`, { prompt });
      assert.equal(res.statusCode, 201, res.body);
    }
    const res = await t.call('GET', `/api/projects/${p.id}`);
    assert.equal(res.statusCode, 200);
    const body = ProjectWithSegments.parse(res.json());
    assert.deepEqual(
      body.segments.map((s) => [s.position, s.prompt]),
      [
        [0, 'one'],
        [1, 'two'],
        [2, 'three'],
      ],
    );
    assert.equal(body.counts.pending, 3);
    assert.equal(body.counts.total, 3);
  });

  test('GET list has segment counts by status and the latest render', async () => {
    const p = await create({ name: 'Counted' });
    const ids: string[] = [];
    for (const prompt of ['a', 'b', 'c']) {
      ids.push((await t.call('POST', `/api/projects/${p.id}/segments`, { prompt })).json().id);
    }
    await t.database.db.update(segments).set({ status: 'completed' }).where(eq(segments.id, ids[0]!));
    await t.database.db
      .update(segments)
      .set({ status: 'failed', errorCode: 'COMFYUI_TIMEOUT', errorMessage: 'took too long', retryable: true })
      .where(eq(segments.id, ids[1]!));
    await t.database.db.insert(renderJobs).values({ projectId: p.id, status: 'failed', segmentIds: ids });
    const [latest] = await t.database.db
      .insert(renderJobs)
      .values({ projectId: p.id, status: 'generating', segmentIds: ids })
      .returning();

    const res = await t.call('GET', '/api/projects');
    assert.equal(res.statusCode, 200);
    const found = (res.json() as Project[]).find((x) => x.id === p.id)!;
    assert.deepEqual(found.counts, {
      pending: 1,
      queued: 0,
      generating: 0,
      completed: 1,
      failed: 1,
      cancelled: 0,
      total: 3,
    });
    assert.deepEqual(found.lastRender, { id: latest!.id, status: 'generating', finishedAt: null });

    const one = (await t.call('GET', `/api/projects/${p.id}`)).json() as ProjectWithSegments;
    assert.equal(one.lastRender?.id, latest!.id);
    const failed = one.segments.find((s) => s.status === 'failed')!;
    assert.equal(failed.error?.code, 'COMFYUI_TIMEOUT');
    assert.equal(failed.error?.retryable, true);
    assert.equal(failed.error?.message, 'took too long');
    assert.ok(failed.error?.title);
  });

  test('PATCH renames and merges settings', async () => {
    const p = await create({ name: 'Old', settings: { width: 512 } });
    const res = await t.call('PATCH', `/api/projects/${p.id}`, { name: 'New', settings: { height: 256 } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as Project;
    assert.equal(body.name, 'New');
    assert.deepEqual(body.settings, { width: 512, height: 256 });
    assert.ok(body.updatedAt >= p.updatedAt);
  });

  test('DELETE removes the project, its segments, jobs and assets, and asks storage to remove its files', async () => {
    const p = await create({ name: 'Doomed' });
    const seg = (await t.call('POST', `/api/projects/${p.id}/segments`, { prompt: 'x' })).json();
    const [asset] = await t.database.db
      .insert(assets)
      .values({
        projectId: p.id,
        kind: 'clip',
        storageKey: `${p.id}/clip.mp4`,
        contentType: 'video/mp4',
        sizeBytes: 10,
      })
      .returning();
    await t.database.db
      .update(segments)
      .set({ outputAssetId: asset!.id, status: 'completed' })
      .where(eq(segments.id, seg.id));
    await t.database.db
      .insert(renderJobs)
      .values({ projectId: p.id, status: 'completed', segmentIds: [seg.id] });

    const res = await t.call('DELETE', `/api/projects/${p.id}`);
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assert.deepEqual(deletedFiles.at(-1), p.id);
    assertApiError(await t.call('GET', `/api/projects/${p.id}`), 404, 'NOT_FOUND');
    assertApiError(await t.call('GET', `/api/segments/${seg.id}`), 404, 'NOT_FOUND');
    assert.equal(
      (await t.database.db.select().from(renderJobs).where(eq(renderJobs.projectId, p.id))).length,
      0,
    );
    assert.equal((await t.database.db.select().from(assets).where(eq(assets.projectId, p.id))).length, 0);
    assertApiError(await t.call('DELETE', `/api/projects/${p.id}`), 404, 'NOT_FOUND');
  });

  test('unknown and malformed ids are 404 on every project route', async () => {
    for (const id of [
      '3f1c1d3e-0000-4000-8000-000000000000',
      'not-a-uuid',
      '1',
      "'; drop table projects; --",
    ]) {
      const enc = encodeURIComponent(id);
      assertApiError(await t.call('GET', `/api/projects/${enc}`), 404, 'NOT_FOUND');
      assertApiError(await t.call('PATCH', `/api/projects/${enc}`, { name: 'x' }), 404, 'NOT_FOUND');
      assertApiError(await t.call('DELETE', `/api/projects/${enc}`), 404, 'NOT_FOUND');
      assertApiError(await t.call('GET', `/api/projects/${enc}/segments`), 404, 'NOT_FOUND');
    }
  });
});
