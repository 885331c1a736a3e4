import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import {
  BUILTIN_IMAGE_TO_VIDEO_ID,
  BUILTIN_TEXT_TO_VIDEO_ID,
  BUILTIN_WORKFLOWS,
  type ProjectWithSegments,
  Segment,
} from '@framesmith/core';
import { assets, segments } from '@framesmith/db';
import { testDbKind } from '@framesmith/db/testing';
import { assertApiError, startTestApp, type TestApp } from '../support/test-app.ts';

const t2v = BUILTIN_WORKFLOWS.find((w) => w.id === BUILTIN_TEXT_TO_VIDEO_ID)!;

describe(`segments API (${testDbKind()})`, () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const newProject = async () => (await t.call('POST', '/api/projects', { name: 'p' })).json().id as string;
  const add = async (projectId: string, body: object) => {
    const res = await t.call('POST', `/api/projects/${projectId}/segments`, body);
    assert.equal(res.statusCode, 201, res.body);
    return Segment.parse(res.json());
  };
  const positions = async (projectId: string) =>
    (
      await t.database.db
        .select({ id: segments.id, position: segments.position, prompt: segments.prompt })
        .from(segments)
        .where(eq(segments.projectId, projectId))
        .orderBy(asc(segments.position))
    ).map((r) => [r.position, r.prompt] as const);
  const assertDense = async (projectId: string) => {
    const rows = await positions(projectId);
    assert.deepEqual(
      rows.map(([p]) => p),
      rows.map((_, i) => i),
      `positions are dense: ${JSON.stringify(rows)}`,
    );
    return rows.map(([, prompt]) => prompt);
  };

  test('POST appends with defaults, a stored random seed and the text-to-video workflow', async () => {
    const pid = await newProject();
    const s = await add(pid, { prompt: 'a fox in the snow' });
    assert.equal(s.projectId, pid);
    assert.equal(s.position, 0);
    assert.equal(s.status, 'pending');
    assert.equal(s.progress, 0);
    assert.equal(s.attempt, 0);
    assert.equal(s.maxAttempts, 3);
    assert.equal(s.error, null);
    assert.equal(s.output, null);
    assert.equal(s.negativePrompt, '');
    assert.equal(s.workflowId, BUILTIN_TEXT_TO_VIDEO_ID);
    assert.equal(s.inlineWorkflow, false);
    assert.equal(typeof s.params.seed, 'number');
    const again = (await t.call('GET', `/api/segments/${s.id}`)).json();
    assert.equal(again.params.seed, s.params.seed, 'the seed is stored, so the clip is reproducible');
    const second = await add(pid, {
      prompt: 'second',
      params: { seed: 7, width: 640, height: 360, frames: 33, fps: 16 },
    });
    assert.equal(second.position, 1);
    assert.deepEqual(second.params, { seed: 7, width: 640, height: 360, frames: 33, fps: 16 });
  });

  test('an input image picks image-to-video; workflowId picks that workflow; unknown workflowId is a 400', async () => {
    const pid = await newProject();
    const i2v = await add(pid, { prompt: 'wake up', params: { inputImage: 'start.png' } });
    assert.equal(i2v.workflowId, BUILTIN_IMAGE_TO_VIDEO_ID);
    const chosen = await add(pid, { prompt: 'x', workflowId: BUILTIN_IMAGE_TO_VIDEO_ID });
    assert.equal(chosen.workflowId, BUILTIN_IMAGE_TO_VIDEO_ID);
    assertApiError(
      await t.call('POST', `/api/projects/${pid}/segments`, {
        prompt: 'x',
        workflowId: '00000000-0000-4000-8000-0000000000ff',
      }),
      400,
      'VALIDATION_ERROR',
      'workflowId',
    );
  });

  test('an inline workflow gets missing bindings inferred; bad bindings are a 400 naming them', async () => {
    const pid = await newProject();
    const s = await add(pid, { prompt: 'inline', workflow: t2v.graph });
    assert.equal(s.inlineWorkflow, true);
    assert.equal(s.workflowId, null);
    const [row] = await t.database.db.select().from(segments).where(eq(segments.id, s.id));
    assert.deepEqual(row!.inlineBindings?.prompt, { nodeId: '4', input: 'text' });
    assert.deepEqual(row!.inlineBindings?.negativePrompt, { nodeId: '5', input: 'text' });
    assert.deepEqual(row!.inlineBindings?.seed, { nodeId: '8', input: 'seed' });
    assert.deepEqual(row!.inlineBindings?.frames, { nodeId: '6', input: 'length' });

    const given = await add(pid, { prompt: 'given', workflow: t2v.graph, bindings: { seed: null } });
    const [g] = await t.database.db.select().from(segments).where(eq(segments.id, given.id));
    assert.equal(g!.inlineBindings?.seed, null, 'an explicit binding wins over inference');

    assertApiError(
      await t.call('POST', `/api/projects/${pid}/segments`, {
        prompt: 'x',
        workflow: t2v.graph,
        bindings: { prompt: { nodeId: '99', input: 'text' } },
      }),
      400,
      'VALIDATION_ERROR',
      'bindings.prompt',
    );
    assertApiError(
      await t.call('POST', `/api/projects/${pid}/segments`, {
        prompt: 'x',
        workflow: t2v.graph,
        bindings: { seed: { nodeId: '8', input: 'nope' } },
      }),
      400,
      'VALIDATION_ERROR',
      'bindings.seed',
    );
    assertApiError(
      await t.call('POST', `/api/projects/${pid}/segments`, {
        prompt: 'x',
        bindings: { seed: { nodeId: '8', input: 'seed' } },
      }),
      400,
      'VALIDATION_ERROR',
      'bindings',
    );
    assertApiError(
      await t.call('POST', `/api/projects/${pid}/segments`, {
        prompt: 'x',
        workflow: t2v.graph,
        workflowId: BUILTIN_TEXT_TO_VIDEO_ID,
      }),
      400,
      'VALIDATION_ERROR',
      'workflow',
    );
  });

  test('POST with a position inserts there and shifts the rest; a position past the end appends', async () => {
    const pid = await newProject();
    for (const prompt of ['a', 'b', 'c']) await add(pid, { prompt });
    assert.equal((await add(pid, { prompt: 'first', position: 0 })).position, 0);
    assert.equal((await add(pid, { prompt: 'middle', position: 2 })).position, 2);
    assert.equal((await add(pid, { prompt: 'last', position: 999 })).position, 5);
    assert.deepEqual(await assertDense(pid), ['first', 'a', 'middle', 'b', 'c', 'last']);
  });

  test('GET list and GET one', async () => {
    const pid = await newProject();
    const a = await add(pid, { prompt: 'a' });
    await add(pid, { prompt: 'b' });
    const list = await t.call('GET', `/api/projects/${pid}/segments`);
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      (list.json() as Segment[]).map((s) => s.prompt),
      ['a', 'b'],
    );
    const one = await t.call('GET', `/api/segments/${a.id}`);
    assert.equal(one.statusCode, 200);
    assert.deepEqual(Segment.parse(one.json()), a);
  });

  test('editing what shapes the clip sends a segment back to pending and clears output and error', async () => {
    const pid = await newProject();
    const s = await add(pid, { prompt: 'before', params: { width: 512, seed: 1 } });
    const [asset] = await t.database.db
      .insert(assets)
      .values({
        projectId: pid,
        kind: 'clip',
        storageKey: 'k.mp4',
        contentType: 'video/mp4',
        sizeBytes: 1,
        durationSeconds: 2,
        width: 512,
        height: 512,
      })
      .returning();
    await t.database.db
      .update(segments)
      .set({ status: 'completed', progress: 1, attempt: 1, outputAssetId: asset!.id, contentHash: 'h' })
      .where(eq(segments.id, s.id));
    const completed = (await t.call('GET', `/api/segments/${s.id}`)).json() as Segment;
    assert.equal(completed.status, 'completed');
    assert.deepEqual(completed.output, {
      assetId: asset!.id,
      url: `/api/assets/${asset!.id}/content`,
      durationSeconds: 2,
      width: 512,
      height: 512,
    });

    const edited = await t.call('PATCH', `/api/segments/${s.id}`, { prompt: 'after' });
    assert.equal(edited.statusCode, 200, edited.body);
    const e = edited.json() as Segment;
    assert.equal(e.prompt, 'after');
    assert.equal(e.status, 'pending');
    assert.equal(e.progress, 0);
    assert.equal(e.output, null);

    await t.database.db
      .update(segments)
      .set({
        status: 'failed',
        errorCode: 'COMFYUI_OUT_OF_MEMORY',
        errorMessage: 'The GPU ran out of memory.',
        retryable: true,
        attempt: 3,
      })
      .where(eq(segments.id, s.id));
    const p = await t.call('PATCH', `/api/segments/${s.id}`, { params: { width: 256 } });
    const pe = p.json() as Segment;
    assert.equal(pe.status, 'pending');
    assert.equal(pe.error, null);
    assert.equal(pe.attempt, 0);
    assert.deepEqual(pe.params, { width: 256, seed: 1 }, 'params are merged, the seed kept');

    await t.database.db.update(segments).set({ status: 'completed' }).where(eq(segments.id, s.id));
    const same = await t.call('PATCH', `/api/segments/${s.id}`, { prompt: 'after', params: { width: 256 } });
    assert.equal((same.json() as Segment).status, 'completed', 'an edit that changes nothing keeps the clip');

    const wf = await t.call('PATCH', `/api/segments/${s.id}`, { workflowId: BUILTIN_IMAGE_TO_VIDEO_ID });
    assert.equal((wf.json() as Segment).status, 'pending');
    assert.equal((wf.json() as Segment).workflowId, BUILTIN_IMAGE_TO_VIDEO_ID);

    const inline = await t.call('PATCH', `/api/segments/${s.id}`, { workflow: t2v.graph });
    assert.equal((inline.json() as Segment).inlineWorkflow, true);
    assert.equal((inline.json() as Segment).workflowId, null);
    const back = await t.call('PATCH', `/api/segments/${s.id}`, { workflow: null });
    assert.equal((back.json() as Segment).inlineWorkflow, false);
    assert.equal((back.json() as Segment).workflowId, BUILTIN_TEXT_TO_VIDEO_ID);
  });

  test('a generating segment cannot be edited or deleted (409)', async () => {
    const pid = await newProject();
    const s = await add(pid, { prompt: 'busy' });
    await t.database.db.update(segments).set({ status: 'generating' }).where(eq(segments.id, s.id));
    assertApiError(
      await t.call('PATCH', `/api/segments/${s.id}`, { prompt: 'new' }),
      409,
      'CONFLICT',
      'generating',
    );
    assertApiError(await t.call('DELETE', `/api/segments/${s.id}`), 409, 'CONFLICT', 'generating');
    const still = (await t.call('GET', `/api/segments/${s.id}`)).json() as Segment;
    assert.equal(still.prompt, 'busy');
    assert.equal(still.status, 'generating');
  });

  test('DELETE closes the gap: positions stay dense', async () => {
    const pid = await newProject();
    const made = [];
    for (const prompt of ['a', 'b', 'c', 'd', 'e']) made.push(await add(pid, { prompt }));
    assert.equal((await t.call('DELETE', `/api/segments/${made[1]!.id}`)).statusCode, 204);
    assert.equal((await t.call('DELETE', `/api/segments/${made[3]!.id}`)).statusCode, 204);
    assert.equal((await t.call('DELETE', `/api/segments/${made[0]!.id}`)).statusCode, 204);
    assert.deepEqual(await assertDense(pid), ['c', 'e']);
    assertApiError(await t.call('DELETE', `/api/segments/${made[0]!.id}`), 404, 'NOT_FOUND');
  });

  test('reorder puts segments in the given order; stale or duplicate lists are refused', async () => {
    const pid = await newProject();
    const made = [];
    for (const prompt of ['a', 'b', 'c', 'd']) made.push(await add(pid, { prompt }));
    const order = [made[3]!, made[1]!, made[0]!, made[2]!].map((s) => s.id);
    const res = await t.call('POST', `/api/projects/${pid}/segments/reorder`, { segmentIds: order });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(
      (res.json() as Segment[]).map((s) => [s.position, s.prompt]),
      [
        [0, 'd'],
        [1, 'b'],
        [2, 'a'],
        [3, 'c'],
      ],
    );
    assert.deepEqual(await assertDense(pid), ['d', 'b', 'a', 'c']);

    const missing = assertApiError(
      await t.call('POST', `/api/projects/${pid}/segments/reorder`, { segmentIds: order.slice(0, 3) }),
      409,
      'CONFLICT',
    );
    assert.deepEqual((missing.details as { missing: string[] }).missing, [order[3]]);
    const foreign = await add(await newProject(), { prompt: 'elsewhere' });
    assertApiError(
      await t.call('POST', `/api/projects/${pid}/segments/reorder`, { segmentIds: [...order, foreign.id] }),
      409,
      'CONFLICT',
    );
    assertApiError(
      await t.call('POST', `/api/projects/${pid}/segments/reorder`, { segmentIds: [...order, order[0]] }),
      400,
      'VALIDATION_ERROR',
      'segmentIds.4',
    );
    assertApiError(
      await t.call('POST', `/api/projects/${pid}/segments/reorder`, { segmentIds: ['nope'] }),
      400,
      'VALIDATION_ERROR',
      'segmentIds.0',
    );
    assertApiError(
      await t.call('POST', '/api/projects/00000000-0000-4000-8000-00000000abcd/segments/reorder', {
        segmentIds: order,
      }),
      404,
      'NOT_FOUND',
    );
    assert.deepEqual(await assertDense(pid), ['d', 'b', 'a', 'c'], 'a refused reorder changes nothing');
  });

  test('concurrent inserts, deletes and reorders keep positions dense and unique', async () => {
    const pid = await newProject();
    const first = await Promise.all(Array.from({ length: 12 }, (_, i) => add(pid, { prompt: `s${i}` })));
    assert.deepEqual(
      first.map((s) => s.position).sort((a, b) => a - b),
      first.map((_, i) => i),
    );
    await assertDense(pid);

    const inserts = Array.from({ length: 6 }, (_, i) =>
      t.call('POST', `/api/projects/${pid}/segments`, { prompt: `mid${i}`, position: 3 }),
    );
    const deletes = first.slice(0, 4).map((s) => t.call('DELETE', `/api/segments/${s.id}`));
    const reorder = t.call('POST', `/api/projects/${pid}/segments/reorder`, {
      segmentIds: [...first].reverse().map((s) => s.id),
    });
    const results = await Promise.all([...inserts, ...deletes, reorder]);
    for (const r of results) {
      assert.ok([200, 201, 204, 409].includes(r.statusCode), `${r.statusCode} ${r.body}`);
    }
    const prompts = await assertDense(pid);
    assert.equal(prompts.length, 12 + 6 - 4);
    const project = (await t.call('GET', `/api/projects/${pid}`)).json() as ProjectWithSegments;
    assert.deepEqual(
      project.segments.map((s) => s.position),
      prompts.map((_, i) => i),
    );
  });

  test('concurrent edits of one segment each keep their change (params are merged, none lost)', async () => {
    const pid = await newProject();
    const seg = await add(pid, { prompt: 'race', params: { seed: 1 } });
    const edits = [
      { params: { width: 512 } },
      { params: { height: 320 } },
      { params: { frames: 49 } },
      { params: { fps: 24 } },
      { negativePrompt: 'blurry' },
    ];
    const results = await Promise.all(edits.map((body) => t.call('PATCH', `/api/segments/${seg.id}`, body)));
    for (const r of results) assert.equal(r.statusCode, 200, r.body);
    const after = Segment.parse((await t.call('GET', `/api/segments/${seg.id}`)).json());
    assert.deepEqual(
      { ...after.params, negativePrompt: after.negativePrompt },
      { seed: 1, width: 512, height: 320, frames: 49, fps: 24, negativePrompt: 'blurry' },
    );
  });

  test('unknown and malformed segment ids are 404', async () => {
    for (const id of [
      '00000000-0000-4000-8000-00000000dead',
      'abc',
      '00000000-0000-4000-8000-00000000dead0',
    ]) {
      assertApiError(await t.call('GET', `/api/segments/${id}`), 404, 'NOT_FOUND');
      assertApiError(await t.call('PATCH', `/api/segments/${id}`, { prompt: 'x' }), 404, 'NOT_FOUND');
      assertApiError(await t.call('DELETE', `/api/segments/${id}`), 404, 'NOT_FOUND');
      assertApiError(await t.call('POST', `/api/projects/${id}/segments`, { prompt: 'x' }), 404, 'NOT_FOUND');
    }
  });
});
