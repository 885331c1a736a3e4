import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { probeClip } from '../../src/ffmpeg.ts';
import { readMp4ClipInfo } from '../../src/mp4-header.ts';
import { makeClip } from '../support/clips.ts';

const dir = mkdtempSync(join(tmpdir(), 'mp4-header-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the MP4 header gives what ffprobe gives for size, rate, time base, duration and audio', async () => {
  const path = makeClip(join(dir, 'a.mp4'), { width: 96, height: 64, fps: 12, seconds: 1, audio: true });
  const [fromHeader, fromProbe] = [await readMp4ClipInfo(path), await probeClip(path)];
  assert.ok(fromHeader && fromProbe);
  assert.equal(fromHeader.videoCodec, 'avc1');
  for (const key of ['width', 'height', 'frameRate', 'timeBase'] as const) {
    assert.equal(fromHeader[key], fromProbe[key], key);
  }
  assert.ok(Math.abs(fromHeader.durationSeconds - fromProbe.durationSeconds) < 0.001);
  assert.deepEqual(
    { sampleRate: fromHeader.audio?.sampleRate, channels: fromHeader.audio?.channels },
    { sampleRate: fromProbe.audio?.sampleRate, channels: fromProbe.audio?.channels },
  );
});

test('the decoder configuration fingerprint is equal for equal encodings and differs otherwise', async () => {
  const a = await readMp4ClipInfo(makeClip(join(dir, 'f1.mp4'), { seconds: 1 }));
  const b = await readMp4ClipInfo(makeClip(join(dir, 'f2.mp4'), { seconds: 2 }));
  const c = await readMp4ClipInfo(makeClip(join(dir, 'f3.mp4'), { width: 128, seconds: 1 }));
  assert.ok(a && b && c);
  assert.equal(a.pixelFormat, b.pixelFormat);
  assert.notEqual(a.pixelFormat, c.pixelFormat);
});

test('mono and stereo AAC are told apart (the sample entry says 2 for both)', async () => {
  const mono = await readMp4ClipInfo(makeClip(join(dir, 'mono.mp4'), { audio: true, channels: 1 }));
  const stereo = await readMp4ClipInfo(makeClip(join(dir, 'stereo.mp4'), { audio: true, channels: 2 }));
  assert.equal(mono?.audio?.channels, 1);
  assert.equal(stereo?.audio?.channels, 2);
  assert.notEqual(mono?.audio?.codec, stereo?.audio?.codec);
});

test('anything but an MP4 it understands is left to ffprobe', async () => {
  const junk = join(dir, 'junk.mp4');
  writeFileSync(junk, 'not a video at all');
  assert.equal(await readMp4ClipInfo(junk), null);
  const webm = makeClip(join(dir, 'v.webm'), { codec: 'libvpx-vp9', seconds: 1 });
  assert.equal(await readMp4ClipInfo(webm), null);
});
