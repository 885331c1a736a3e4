import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ClipInfo,
  canStreamCopy,
  clipInfoFromProbe,
  concatList,
  effectiveCrossfade,
  expectedDuration,
  normalizeArgs,
  probeArgs,
  streamCopyArgs,
} from '../../src/ffmpeg-args.ts';

const clip = (path: string, over: Partial<ClipInfo> = {}): ClipInfo => ({
  path,
  videoCodec: 'h264',
  width: 64,
  height: 64,
  frameRate: '12/1',
  timeBase: '1/12288',
  pixelFormat: 'yuv420p',
  durationSeconds: 1,
  audio: null,
  ...over,
});

test('probe argv', () => {
  assert.deepEqual(probeArgs('/s/a.mp4'), [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    '/s/a.mp4',
  ]);
});

test('stream copy argv and concat list (quotes escaped)', () => {
  assert.deepEqual(streamCopyArgs('/t/list.txt', '/t/out.mp4'), [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    '/t/list.txt',
    '-map',
    '0',
    '-c',
    'copy',
    '-movflags',
    '+faststart',
    '/t/out.mp4',
  ]);
  assert.equal(concatList(['/s/a.mp4', "/s/it's.mp4"]), "file '/s/a.mp4'\nfile '/s/it'\\''s.mp4'\n");
});

test('stream copy only when codec, size, rate, time base, pixel format and audio agree, without crossfade', () => {
  const a = clip('a');
  assert.equal(canStreamCopy([a, clip('b')], 0), true);
  assert.equal(canStreamCopy([a, clip('b')], 0.5), false);
  assert.equal(canStreamCopy([], 0), false);
  for (const over of [
    { videoCodec: 'vp9' },
    { width: 128 },
    { height: 32 },
    { frameRate: '24/1' },
    { timeBase: '1/90000' },
    { pixelFormat: 'yuv444p' },
    { audio: { codec: 'aac', sampleRate: 48000, channels: 2 } },
  ] as Partial<ClipInfo>[]) {
    assert.equal(canStreamCopy([a, clip('b', over)], 0), false, JSON.stringify(over));
  }
  const withAudio = { audio: { codec: 'aac', sampleRate: 48000, channels: 2 } };
  assert.equal(canStreamCopy([clip('a', withAudio), clip('b', withAudio)], 0), true);
});

test('re-encode argv: scale, pad, rate, pixel format, concat (video only)', () => {
  const args = normalizeArgs(
    [clip('/s/a.mp4'), clip('/s/b.mp4', { width: 128, height: 32 })],
    { width: 64, height: 64, fps: 12 },
    '/t/out.mp4',
  );
  assert.deepEqual(args, [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-y',
    '-i',
    '/s/a.mp4',
    '-i',
    '/s/b.mp4',
    '-filter_complex',
    '[0:v]scale=64:64:force_original_aspect_ratio=decrease,pad=64:64:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=12,format=yuv420p,settb=AVTB[v0];' +
      '[1:v]scale=64:64:force_original_aspect_ratio=decrease,pad=64:64:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=12,format=yuv420p,settb=AVTB[v1];' +
      '[v0][v1]concat=n=2:v=1:a=0[v]',
    '-map',
    '[v]',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    '/t/out.mp4',
  ]);
});

test('re-encode argv: audio where a clip has it, silence where it has not', () => {
  const args = normalizeArgs(
    [
      clip('/s/a.mp4', { audio: { codec: 'aac', sampleRate: 44100, channels: 1 } }),
      clip('/s/b.mp4', { durationSeconds: 1.5 }),
    ],
    { width: 64, height: 64, fps: 12 },
    '/t/out.mp4',
  );
  const graph = args[args.indexOf('-filter_complex') + 1]!;
  assert.deepEqual(graph.split(';').slice(1, 2).concat(graph.split(';').slice(3)), [
    '[0:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=0:1[a0]',
    'anullsrc=r=48000:cl=stereo:d=1.5,aformat=sample_fmts=fltp:channel_layouts=stereo[a1]',
    '[v0][a0][v1][a1]concat=n=2:v=1:a=1[v][a]',
  ]);
  assert.deepEqual(args.slice(args.indexOf('-map')), [
    '-map',
    '[v]',
    '-map',
    '[a]',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-movflags',
    '+faststart',
    '/t/out.mp4',
  ]);
});

test('crossfade argv: xfade offsets follow the joined length', () => {
  const clips = [
    clip('a', { durationSeconds: 2 }),
    clip('b', { durationSeconds: 3 }),
    clip('c', { durationSeconds: 2 }),
  ];
  const args = normalizeArgs(clips, { width: 64, height: 64, fps: 12 }, 'out.mp4', 0.5);
  const graph = args[args.indexOf('-filter_complex') + 1]!.split(';');
  assert.deepEqual(graph.slice(3), [
    '[v0][v1]xfade=transition=fade:duration=0.5:offset=1.5[vx1]',
    '[vx1][v2]xfade=transition=fade:duration=0.5:offset=4[v]',
  ]);
  assert.equal(expectedDuration(clips, 0.5), 6);
  assert.equal(expectedDuration(clips, 0), 7);
});

test('crossfade is capped at half the shortest clip, and ignored for one clip', () => {
  assert.equal(effectiveCrossfade([clip('a', { durationSeconds: 0.6 }), clip('b')], 2), 0.3);
  assert.equal(effectiveCrossfade([clip('a')], 2), 0);
  const one = normalizeArgs([clip('a')], { width: 64, height: 64, fps: 12 }, 'o.mp4', 1);
  assert.match(one[one.indexOf('-filter_complex') + 1]!, /\[v0\]null\[v\]$/);
});

test('ffprobe JSON to clip info', () => {
  const info = clipInfoFromProbe('/s/a.mp4', {
    streams: [
      {
        codec_type: 'video',
        codec_name: 'h264',
        width: 64,
        height: 48,
        r_frame_rate: '24/1',
        time_base: '1/12288',
        pix_fmt: 'yuv420p',
        duration: '2.000000',
      },
      { codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 2 },
    ],
    format: { duration: '2.01' },
  });
  assert.deepEqual(info, {
    path: '/s/a.mp4',
    videoCodec: 'h264',
    width: 64,
    height: 48,
    frameRate: '24/1',
    timeBase: '1/12288',
    pixelFormat: 'yuv420p',
    durationSeconds: 2,
    audio: { codec: 'aac', sampleRate: 48000, channels: 2 },
  });
  assert.equal(clipInfoFromProbe('/s/x.wav', { streams: [{ codec_type: 'audio' }] }), null);
});
