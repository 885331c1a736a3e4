import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildRenderArgs, escapeFilterValue, promptFontSize, wrapPromptText } from '../../src/render-args.ts';

describe('buildRenderArgs', () => {
  test('mp4: the prompt drawn from a text file over testsrc2, libx264 yuv420p', () => {
    assert.deepEqual(
      buildRenderArgs({
        width: 832,
        height: 480,
        frames: 33,
        fps: 16,
        format: 'mp4',
        outPath: '/out/clip.mp4',
        textFile: '/work/prompt.txt',
        fontFile: '/fonts/DejaVuSans.ttf',
      }),
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=832x480:rate=16',
        '-frames:v',
        '33',
        '-vf',
        'drawtext=fontfile=/fonts/DejaVuSans.ttf:textfile=/work/prompt.txt:expansion=none:fontsize=24:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8:line_spacing=6:x=(w-text_w)/2:y=h-text_h-24,format=yuv420p',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
        '/out/clip.mp4',
      ],
    );
  });

  test('no text file: no drawtext; fractional fps kept', () => {
    const args = buildRenderArgs({
      width: 64,
      height: 64,
      frames: 5,
      fps: 12.5,
      format: 'mp4',
      outPath: 'o.mp4',
      textFile: null,
      fontFile: null,
    });
    assert.equal(args[8], 'testsrc2=size=64x64:rate=12.5');
    assert.equal(args[args.indexOf('-vf') + 1], 'format=yuv420p');
  });

  test('webp, gif, webm and png sequences pick their encoder and muxer', () => {
    const base = { width: 64, height: 64, frames: 3, fps: 8, textFile: null, fontFile: null };
    const tail = (format: 'webp' | 'gif' | 'webm' | 'png-sequence', extra = {}) =>
      buildRenderArgs({ ...base, format, outPath: 'x', ...extra }).slice(13);
    assert.deepEqual(tail('webp', { lossless: true }), [
      '-c:v',
      'libwebp_anim',
      '-lossless',
      '1',
      '-quality',
      '80',
      '-loop',
      '0',
      '-f',
      'webp',
      'x',
    ]);
    assert.deepEqual(tail('gif'), ['-f', 'gif', 'x']);
    assert.deepEqual(tail('webm').slice(0, 2), ['-c:v', 'libvpx-vp9']);
    assert.deepEqual(tail('png-sequence', { startNumber: 7 }), [
      '-c:v',
      'png',
      '-start_number',
      '7',
      '-f',
      'image2',
      'x',
    ]);
  });

  test('file paths with filtergraph metacharacters are escaped for both levels', () => {
    // Checked against ffmpeg: this value opens the file "/tmp/a:b/it's,[x].txt".
    assert.equal(escapeFilterValue("/tmp/a:b/it's,[x].txt"), "/tmp/a\\\\:b/it\\\\\\'s\\,\\[x\\].txt");
    assert.equal(escapeFilterValue('/plain/path.txt'), '/plain/path.txt');
  });
});

describe('wrapPromptText', () => {
  test('wraps words into lines that fit the frame', () => {
    const text = wrapPromptText('a fox running through fresh snow at dawn, cinematic', 160, 240);
    const perLine = Math.floor((160 * 0.9) / (promptFontSize(240) * 0.6));
    for (const line of text.split('\n')) assert.ok(line.length <= perLine, line);
    assert.equal(text.replace(/\n/g, ' '), 'a fox running through fresh snow at dawn, cinematic');
  });

  test('cuts overlong prompts with an ellipsis and collapses whitespace', () => {
    const text = wrapPromptText('word '.repeat(500), 320, 96);
    assert.ok(text.endsWith('…'));
    assert.ok(text.split('\n').length <= 3);
    assert.equal(wrapPromptText('  a \n\t b  ', 320, 240), 'a b');
    assert.equal(wrapPromptText('', 320, 240), '');
  });
});
