import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { BUILTIN_WORKFLOWS } from '@framesmith/core';
import { getSaveImagePath, makeDirs, resolveView, storeUpload } from '../../src/files.ts';
import { executionOrder, planGraph, type GraphNodeLike } from '../../src/graph-plan.ts';
import { PromptQueue, type QueueItem } from '../../src/prompt-queue.ts';

const root = mkdtempSync(path.join(tmpdir(), 'comfy-sim-unit-'));
after(() => rmSync(root, { recursive: true, force: true }));
const dirs = makeDirs(root);

describe('planGraph', () => {
  test('text-to-video: Wan frame count, size, fps and the positive prompt reach SaveVideo', () => {
    const g = structuredClone(BUILTIN_WORKFLOWS[0]!.graph) as unknown as Record<string, GraphNodeLike>;
    g['6']!.inputs['length'] = 30;
    // Not the fallback frame rate (16), so a lost CreateVideo fps cannot pass unnoticed.
    g['10']!.inputs['fps'] = 8;
    const plan = planGraph(g, ['11']);
    assert.deepEqual(plan.samplers, ['8']);
    assert.deepEqual(plan.media.get('11'), {
      nodeId: '11',
      kind: 'SaveVideo',
      filenamePrefix: 'framesmith/clip',
      width: 832,
      height: 480,
      frames: 29,
      fps: 8,
      text: 'a fox running through snow',
    });
    const order = plan.order;
    assert.ok(order.indexOf('1') < order.indexOf('7') && order.indexOf('7') < order.indexOf('8'));
    assert.equal(order.at(-1), '11');
  });

  test('image-to-video: the prompt flows through WanImageToVideo; unconnected nodes do not run', () => {
    const g = structuredClone(BUILTIN_WORKFLOWS[1]!.graph) as unknown as Record<string, GraphNodeLike>;
    g['99'] = { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } };
    const plan = planGraph(g, ['14']);
    assert.equal(plan.media.get('14')?.text, 'the scene slowly comes to life');
    assert.equal(plan.media.get('14')?.frames, 33);
    assert.ok(!executionOrder(g, ['14']).includes('99'));
  });
});

describe('files', () => {
  test('/view rules: 404 without filename, 400 for .. or / or a bad type, 403 for an escaping subfolder', () => {
    writeFileSync(path.join(dirs.output, 'a.mp4'), 'x');
    const q = (s: string) => resolveView(dirs, new URLSearchParams(s)).status;
    assert.equal(q(''), 404);
    assert.equal(q('filename='), 400);
    assert.equal(q('filename=../a.mp4'), 400);
    assert.equal(q('filename=/etc/passwd'), 400);
    assert.equal(q('filename=a.mp4&type=models'), 400);
    assert.equal(q('filename=a.mp4&subfolder=../..'), 403);
    assert.equal(q('filename=a.mp4&type=input'), 404);
    assert.equal(q('filename=a.mp4'), 200);
    assert.equal(q('filename=a.mp4 [output]&type=input'), 200);
  });

  test('get_save_image_path: subfolder from the prefix, counter past the highest existing file', () => {
    const first = getSaveImagePath(dirs.output, 'framesmith/clip', 64, 64);
    assert.equal(first.subfolder, 'framesmith');
    assert.equal(first.counter, 1);
    writeFileSync(path.join(first.fullOutputFolder, 'clip_00007_.mp4'), 'x');
    writeFileSync(path.join(first.fullOutputFolder, 'clipper_00020_.mp4'), 'x');
    assert.equal(getSaveImagePath(dirs.output, 'framesmith/clip', 64, 64).counter, 8);
    assert.equal(getSaveImagePath(dirs.output, 'clip', 64, 64).subfolder, '');
    assert.throws(() => getSaveImagePath(dirs.output, '../../escape', 64, 64), /outside the output folder/);
  });

  test('upload naming: same bytes reuse the name, different bytes get " (1)", overwrite replaces', () => {
    const up = (bytes: string, overwrite: string | null = null, type: string | null = null) =>
      storeUpload(dirs, {
        image: { name: 'start.png', bytes: Buffer.from(bytes) },
        imageIsText: false,
        type,
        subfolder: null,
        overwrite,
      });
    assert.deepEqual(up('one'), { status: 200, body: { name: 'start.png', subfolder: '', type: 'input' } });
    assert.deepEqual(up('one'), { status: 200, body: { name: 'start.png', subfolder: '', type: 'input' } });
    assert.deepEqual(up('two'), {
      status: 200,
      body: { name: 'start (1).png', subfolder: '', type: 'input' },
    });
    assert.deepEqual(up('three', 'true'), {
      status: 200,
      body: { name: 'start.png', subfolder: '', type: 'input' },
    });
    assert.deepEqual(up('x', null, 'models'), { status: 500 });
    assert.deepEqual(
      storeUpload(dirs, { image: null, imageIsText: false, type: null, subfolder: null, overwrite: null }),
      { status: 400 },
    );
  });
});

describe('PromptQueue', () => {
  const item = (n: number, id: string): QueueItem => [n, id, {}, {}, ['9']];

  test('takes the lowest number first; pending is heap order; history written by taskDone', async () => {
    const q = new PromptQueue(() => {});
    q.put(item(3, 'c'));
    q.put(item(1, 'a'));
    q.put(item(2, 'b'));
    assert.equal(q.remaining(), 3);
    assert.deepEqual(
      q.pending().map((i) => i[1]),
      ['a', 'c', 'b'],
    );
    const signal = new AbortController().signal;
    const got = await q.get(signal);
    assert.equal(got?.item[1], 'a');
    assert.ok(q.isRunning('a'));
    assert.deepEqual(q.getHistory({ promptId: 'a' }), []);
    q.taskDone(
      got!.taskId,
      { outputs: {}, meta: {} },
      { status_str: 'success', completed: true, messages: [] },
    );
    assert.equal(q.getHistory({ promptId: 'a' }).length, 1);
    assert.ok(q.deleteQueueItem('c'));
    assert.ok(!q.deleteQueueItem('zzz'));
    assert.deepEqual(
      q.pending().map((i) => i[1]),
      ['b'],
    );
  });

  test('GET /history max_items and offset', async () => {
    const q = new PromptQueue(() => {});
    const signal = new AbortController().signal;
    for (const id of ['p1', 'p2', 'p3', 'p4']) {
      q.put(item(0, id));
      const got = await q.get(signal);
      q.taskDone(got!.taskId, { outputs: {}, meta: {} }, null);
    }
    const ids = (o: { maxItems?: number | null; offset?: number }) => q.getHistory(o).map(([k]) => k);
    assert.deepEqual(ids({}), ['p1', 'p2', 'p3', 'p4']);
    assert.deepEqual(ids({ maxItems: 2 }), ['p3', 'p4']);
    assert.deepEqual(ids({ maxItems: 2, offset: 1 }), ['p2', 'p3']);
    assert.deepEqual(ids({ offset: 3 }), ['p4']);
  });
});
