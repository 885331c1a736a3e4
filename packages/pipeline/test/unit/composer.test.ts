import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isAppError } from '@framesmith/core';
import { composeClips } from '../../src/composer.ts';
import { probeClip } from '../../src/ffmpeg.ts';
import { makeClip } from '../support/clips.ts';

// Real ffmpeg and ffprobe on tiny generated clips (STYLE §11).
const dir = mkdtempSync(join(tmpdir(), 'composer-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const composeTemps = () => readdirSync(tmpdir()).filter((n) => n.startsWith('framesmith-compose-'));

test('same-format clips are joined by stream copy; duration is the sum', async () => {
  const before = composeTemps().length;
  const a = makeClip(join(dir, 'a.mp4'), { seconds: 1 });
  const b = makeClip(join(dir, 'b.mp4'), { seconds: 2 });
  const out = join(dir, 'copy.mp4');
  const result = await composeClips({ clipPaths: [a, b], format: {}, crossfadeSeconds: 0, outPath: out });
  assert.equal(result.mode, 'copy');
  assert.ok(Math.abs(result.durationSeconds - 3) <= 1 / 12);
  const probe = await probeClip(out);
  assert.equal(probe?.width, 64);
  // The clips are only read, and the list file is gone.
  assert.ok((await probeClip(a)) !== null && (await probeClip(b)) !== null);
  assert.equal(composeTemps().length, before);
});

test('mixed sizes, rates and audio are normalised and re-encoded', async () => {
  const a = makeClip(join(dir, 'm1.mp4'), { width: 96, height: 64, fps: 12, seconds: 1 });
  const b = makeClip(join(dir, 'm2.mp4'), { width: 64, height: 96, fps: 24, seconds: 1, audio: true });
  const out = join(dir, 'mixed.mp4');
  const result = await composeClips({
    clipPaths: [a, b],
    format: { width: 64, height: 64, fps: 12 },
    crossfadeSeconds: 0,
    outPath: out,
  });
  assert.equal(result.mode, 'reencode');
  assert.equal(result.width, 64);
  assert.equal(result.height, 64);
  assert.ok(Math.abs(result.durationSeconds - 2) <= 1 / 12);
  const probe = await probeClip(out);
  assert.equal(probe?.audio?.sampleRate, 48000);
});

test('a crossfade shortens the video by one fade per joint', async () => {
  const clips = [1, 2, 3].map((i) => makeClip(join(dir, `x${i}.mp4`), { seconds: 1 }));
  const out = join(dir, 'xfade.mp4');
  const result = await composeClips({ clipPaths: clips, format: {}, crossfadeSeconds: 0.25, outPath: out });
  assert.equal(result.mode, 'reencode');
  assert.ok(Math.abs(result.durationSeconds - 2.5) <= 1 / 12 + 0.001, String(result.durationSeconds));
});

test('an unreadable clip is a COMPOSITION_ERROR with the technical reason in the detail', async () => {
  const bad = join(dir, 'bad.mp4');
  writeFileSync(bad, 'not a video');
  const good = makeClip(join(dir, 'g.mp4'));
  const before = composeTemps().length;
  await assert.rejects(
    composeClips({
      clipPaths: [good, bad],
      format: {},
      crossfadeSeconds: 0,
      outPath: join(dir, 'never.mp4'),
    }),
    (e: unknown) => {
      assert.ok(isAppError(e));
      assert.equal(e.code, 'COMPOSITION_ERROR');
      assert.equal(e.retryable, false);
      assert.match(String(e.detail.reason), /clip 2/);
      assert.match(String(e.detail.exceptionMessage), /Invalid data|ffprobe/);
      assert.doesNotMatch(e.userMessage, /ffprobe|\//);
      return true;
    },
  );
  assert.equal(composeTemps().length, before);
  assert.ok(!readdirSync(dir).includes('never.mp4'));
});
