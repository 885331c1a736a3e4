import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, open, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { probeVideo, probeVideoHeader } from '../../src/video-probe.ts';
import { concatScript, WarmFfprobe } from '../../src/warm-ffprobe.ts';

const run = promisify(execFile);

async function fixture(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), "framesmith-warm-it's "));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clip = join(dir, 'clip.mp4');
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=16:duration=2'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip],
  ]);
  return { dir, clip };
}

/** ffprobe under a name of its own, so that only this test's processes are counted or killed. */
async function ownFfprobe(dir: string): Promise<string> {
  const binary = join(dir, 'ffprobe-under-test');
  await symlink(execFileSync('sh', ['-c', 'command -v ffprobe']).toString().trim(), binary);
  return binary;
}

test('a spare ffprobe gives what a direct run gives: size, codec and duration', async (t) => {
  const { dir, clip } = await fixture(t);
  const viaSpare = await probeVideo(clip);
  // A WebM is not read by the MP4 header reader, so it goes to ffprobe directly.
  const webm = join(dir, 'clip.webm');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    clip,
    '-c:v',
    'libvpx-vp9',
    '-deadline',
    'realtime',
    webm,
  ]);
  const direct = await probeVideo(webm);
  assert.ok(viaSpare.ok && direct.ok);
  assert.deepEqual([viaSpare.width, viaSpare.height, viaSpare.codec], [320, 240, 'h264']);
  assert.deepEqual([direct.width, direct.height, direct.codec], [320, 240, 'vp9']);
  assert.ok(Math.abs(viaSpare.durationSeconds - 2) < 0.07, String(viaSpare.durationSeconds));
  assert.ok(Math.abs(direct.durationSeconds - 2) < 0.07, String(direct.durationSeconds));
});

test('an MP4 whose header is fine but whose frames are garbage is undecodable, and the error names only the file', async (t) => {
  const { dir, clip } = await fixture(t);
  const broken = join(dir, 'broken.mp4');
  await copyFile(clip, broken);
  const bytes = await readFile(broken);
  const mdat = bytes.indexOf('mdat', 0, 'latin1');
  assert.ok(mdat > 0);
  const fh = await open(broken, 'r+');
  // Everything after the mdat header becomes noise; the moov (at the end) stays intact.
  const moov = bytes.indexOf('moov', mdat, 'latin1') - 4;
  await fh.write(Buffer.alloc(moov - mdat - 4, 0x5a), 0, moov - mdat - 4, mdat + 4);
  await fh.close();
  const result = await probeVideo(broken);
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.reason === 'undecodable', JSON.stringify(result));
  assert.ok(!result.ok && !result.error?.includes(dir), result.ok ? '' : result.error);
});

test('a spare that died while waiting is replaced, and checks go on', async (t) => {
  const { dir, clip } = await fixture(t);
  const binary = await ownFfprobe(dir);
  const pool = new WarmFfprobe({
    binary,
    args: ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'json'],
  });
  t.after(() => pool.close());
  pool.warm();
  const pids = () =>
    run('pgrep', ['-f', binary]).then(
      (r) => r.stdout.trim().split('\n').map(Number),
      () => [] as number[],
    );
  await new Promise((r) => setTimeout(r, 300));
  for (const pid of await pids()) process.kill(pid, 'SIGKILL');
  // At once: the pool may not have seen them die, and must not call the file broken for it.
  const first = await pool.probe(clip, 10_000);
  assert.ok(first === null || first.code === 0, JSON.stringify(first));
  await new Promise((r) => setTimeout(r, 100));
  const result = await pool.probe(clip, 10_000);
  assert.ok(result, 'a new spare is started when the waiting ones are gone');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /"codec_name": "h264"/);
});

test('a missing ffprobe binary leaves the pool unusable without throwing; callers fall back', async () => {
  const pool = new WarmFfprobe({ binary: '/nonexistent/ffprobe', args: [] });
  pool.warm();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await pool.probe('/tmp/anything.mp4', 1000), null);
});

test('waiting spares do not keep a process alive, and leave with it', async (t) => {
  const { dir, clip } = await fixture(t);
  const binary = await ownFfprobe(dir);
  const script = join(dir, 'script.ts');
  const probeModule = new URL('../../src/video-probe.ts', import.meta.url).pathname;
  await writeFile(
    script,
    `import { probeVideo, warmUpProbes } from ${JSON.stringify(probeModule)};\n` +
      `warmUpProbes(${JSON.stringify(binary)});\n` +
      `const r = await probeVideo(${JSON.stringify(clip)}, ${JSON.stringify(binary)});\n` +
      'console.log(JSON.stringify({ ok: r.ok }));\n',
  );
  const started = Date.now();
  const { stdout } = await run(process.execPath, [script], { timeout: 20_000 });
  assert.equal(JSON.parse(stdout).ok, true);
  assert.ok(Date.now() - started < 10_000, 'the process ended by itself');
  // Its spares read end-of-file on stdin and exit.
  let left = 'unchecked';
  for (let i = 0; i < 20 && left !== ''; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = await run('pgrep', ['-f', binary]).then(
      (r) => r.stdout.trim(),
      () => '',
    );
  }
  assert.equal(left, '');
});

test('list lines quote the path for the concat demuxer and refuse line breaks', () => {
  assert.equal(concatScript("/tmp/a'b.mp4"), "ffconcat version 1.0\nfile 'file:/tmp/a'\\''b.mp4'\n");
  assert.equal(concatScript('/tmp/a\nb.mp4'), null);
});

test('a run whose output already gives the verdict is taken without waiting for the process to end', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'framesmith-warm-settled-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Stands in for ffprobe's slow teardown: the verdict is printed, then the process lingers.
  const binary = join(dir, 'lingering-probe');
  await writeFile(binary, '#!/bin/sh\ncat >/dev/null\nprintf \'{"done": true}\\n\'\nsleep 2\n', {
    mode: 0o755,
  });
  const settled = new WarmFfprobe({ binary, args: [], settled: (out) => out.includes('"done"') });
  const waiting = new WarmFfprobe({ binary, args: [] });
  t.after(() => {
    settled.close();
    waiting.close();
  });
  let started = performance.now();
  const early = await settled.probe('/any/file.mp4', 10_000);
  assert.ok(performance.now() - started < 1000, 'the verdict was printed long before the exit');
  assert.deepEqual([early?.code, JSON.parse(early?.stdout ?? '')], [0, { done: true }]);
  // Without `settled`, the exit decides (and takes the process's whole life).
  started = performance.now();
  const late = await waiting.probe('/any/file.mp4', 10_000);
  assert.ok(performance.now() - started >= 1500);
  assert.equal(late?.code, 0);
});

test('a header check reads the bytes before the media data and decodes nothing; a broken header fails it', async (t) => {
  const { dir } = await fixture(t);
  const starts = join(dir, 'starts.log');
  const ffprobe = join(dir, 'ffprobe-noting');
  const real = execFileSync('sh', ['-c', 'command -v ffprobe']).toString().trim();
  await writeFile(ffprobe, `#!/bin/sh\necho "$*" >> "${starts}"\nexec "${real}" "$@"\n`, { mode: 0o755 });
  const fast = join(dir, 'fast.mp4');
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=16:duration=2'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', fast],
  ]);
  const bytes = await readFile(fast);
  const header = bytes.indexOf('mdat', 0, 'latin1') + 4; // up to the media data
  const checked = await probeVideoHeader(fast, header, ffprobe);
  const whole = await probeVideo(fast);
  assert.deepEqual(checked, whole);
  const started = (await readFile(starts, 'utf8')).trim().split('\n');
  assert.ok(
    started.length > 0 && started.every((args) => !args.includes('read_intervals')),
    'no frame asked for',
  );
  // The sample description emptied: ffprobe cannot read the header.
  const broken = join(dir, 'broken-header.mp4');
  const copy = Buffer.from(bytes);
  copy.writeUInt32BE(0, copy.indexOf('stsd', 0, 'latin1') + 8);
  await writeFile(broken, copy);
  const result = await probeVideoHeader(broken, header, ffprobe);
  assert.equal(result.ok, false, JSON.stringify(result));
});
