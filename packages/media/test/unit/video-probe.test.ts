import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppError } from '@framesmith/core';
import { probeVideo } from '../../src/video-probe.ts';

test('without a usable ffprobe the check fails as our fault, not as an unplayable output', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'framesmith-probe-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clip = join(dir, 'clip.mp4');
  await writeFile(clip, 'not checked: the checker itself is missing');
  await assert.rejects(probeVideo(clip, join(dir, 'no-ffprobe-here')), (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, 'INTERNAL_ERROR');
    assert.equal(e.detail.reason, 'ffprobe_unavailable');
    return true;
  });
  const garbage = await probeVideo(clip);
  assert.deepEqual([garbage.ok, !garbage.ok && garbage.reason], [false, 'undecodable']);
});
