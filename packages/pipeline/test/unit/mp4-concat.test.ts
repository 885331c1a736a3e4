import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { probeVideoHeader } from '@framesmith/media';
import { concatList, streamCopyArgs } from '../../src/ffmpeg-args.ts';
import { probeClip, runFfmpeg } from '../../src/ffmpeg.ts';
import { concatMp4, placementCheck } from '../../src/mp4-concat.ts';
import { makeClip } from '../support/clips.ts';

const dir = mkdtempSync(join(tmpdir(), 'mp4-concat-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Per packet: [pts, dts, duration] and [size, md5], as ffmpeg's framemd5 muxer lists them. */
function packets(path: string): { times: string[]; bytes: string[] } {
  const out = execFileSync('ffmpeg', [
    '-v',
    'error',
    '-i',
    path,
    '-map',
    '0',
    '-c',
    'copy',
    '-f',
    'framemd5',
    '-',
  ]);
  const rows = out
    .toString()
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').map((x) => x.trim()));
  return { times: rows.map((r) => r.slice(1, 4).join(' ')), bytes: rows.map((r) => r.slice(4, 6).join(' ')) };
}

test('MP4 clips are joined byte for byte, with the timestamps ffmpeg concat gives', async () => {
  const clips = [1, 2, 1].map((s, i) => makeClip(join(dir, `c${i}.mp4`), { seconds: s }));
  const out = join(dir, 'joined.mp4');
  assert.equal(await concatMp4(clips, out), true);
  const probe = await probeClip(out);
  assert.ok(probe);
  assert.ok(Math.abs(probe.durationSeconds - 4) < 1 / 12);
  // Every packet is the source's, unchanged and in order.
  const joined = packets(out);
  assert.deepEqual(
    joined.bytes,
    clips.flatMap((c) => packets(c).bytes),
  );
  // ffmpeg's concat demuxer, the reference, puts them at the same times.
  const list = join(dir, 'list.txt');
  writeFileSync(list, concatList(clips));
  const reference = join(dir, 'reference.mp4');
  await runFfmpeg(streamCopyArgs(list, reference));
  assert.deepEqual(joined.times, packets(reference).times);
  // And it decodes cleanly.
  execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', out, '-f', 'null', '-']);
  // A check can start once the header is on disk, while the clips are still being copied.
  let header: { bytes: number; atThatPoint: Buffer } | undefined;
  const watched = join(dir, 'joined-watched.mp4');
  assert.equal(
    await concatMp4(clips, watched, {
      afterHeader: (bytes) => {
        assert.equal(header, undefined, 'called once');
        header = { bytes, atThatPoint: readFileSync(watched).subarray(0, bytes) };
      },
    }),
    true,
  );
  assert.ok(header);
  const final = readFileSync(watched);
  assert.ok(final.equals(readFileSync(out)));
  assert.equal(header.bytes % 4096, 0, 'the media data start on a page');
  assert.ok(header.atThatPoint.equals(final.subarray(0, header.bytes)));
  // Those bytes are the whole header: ffprobe reads the stream and the duration from them.
  const checked = await probeVideoHeader(watched, header.bytes);
  assert.ok(checked.ok && Math.abs(checked.durationSeconds - 4) < 1 / 12, JSON.stringify(checked));
});

test('the join checks that its first and last clips are where its header places them', async () => {
  const clips = [1, 1, 1].map((s, i) => makeClip(join(dir, `p${i}.mp4`), { seconds: s }));
  const out = join(dir, 'placed.mp4');
  assert.equal(await concatMp4(clips, out), true);
  // Chunk offsets as the files list them (the clips' moov comes last, the joined file's first).
  const offsets = (bytes: Buffer, at: number) =>
    Array.from({ length: bytes.readUInt32BE(at + 8) }, (_, k) => bytes.readUInt32BE(at + 12 + 4 * k));
  const joined = readFileSync(out);
  const joinedOffsets = offsets(joined, joined.indexOf('stco', 0, 'latin1'));
  let chunk = 0;
  const placements = clips.map((path) => {
    const bytes = readFileSync(path);
    const own = offsets(bytes, bytes.lastIndexOf('stco', undefined, 'latin1'));
    const placement = { path, sourceOffset: own[0]!, outputOffset: joinedOffsets[chunk]! };
    chunk += own.length;
    return placement;
  });
  const check = placementCheck(placements);
  check(out);
  // The last clip's first chunk is not what it was (as when the header misplaces any clip before
  // it, which moves the rest): the check names it. So for the first clip.
  for (const clip of [3, 1]) {
    const broken = Buffer.from(joined);
    broken[placements[clip - 1]!.outputOffset + 5]! ^= 0xff;
    writeFileSync(out, broken);
    assert.throws(() => check(out), new RegExp(`clip ${clip} is not where the joined header places it`));
  }
});

test('clips it cannot join safely are left to ffmpeg, and nothing is written', async () => {
  const a = makeClip(join(dir, 'a.mp4'));
  const cases: [string, string[]][] = [
    ['a clip with audio', [a, makeClip(join(dir, 'audio.mp4'), { audio: true })]],
    ['another size', [a, makeClip(join(dir, 'wide.mp4'), { width: 128 })]],
    ['another frame rate', [a, makeClip(join(dir, 'fast.mp4'), { fps: 24 })]],
    ['not an MP4', [a, makeClip(join(dir, 'v.webm'), { codec: 'libvpx-vp9' })]],
  ];
  for (const [name, paths] of cases) {
    const out = join(dir, `no-${name.replaceAll(' ', '-')}.mp4`);
    assert.equal(await concatMp4(paths, out), false, name);
    assert.equal(existsSync(out), false, name);
  }
  assert.equal(await concatMp4([], join(dir, 'none.mp4')), false);
});
