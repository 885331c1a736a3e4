import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type SpawnedProcess,
  runProcess,
  spawnHostReady,
  spawnProcess,
  startSpawnHost,
  stopSpawnHost,
} from '../../src/spawner.ts';

const SPAWNER = fileURLToPath(new URL('../../src/spawner.ts', import.meta.url));

async function hostReady(): Promise<void> {
  startSpawnHost();
  for (let i = 0; i < 200 && !spawnHostReady(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(spawnHostReady(), 'the spawn host did not become ready');
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  errors: NodeJS.ErrnoException[];
}

function finished(p: SpawnedProcess): Promise<Finished> {
  const r: Finished = { code: null, signal: null, stdout: '', stderr: '', errors: [] };
  p.stdout.on('data', (b: Buffer) => {
    r.stdout += b.toString();
  });
  p.stderr.on('data', (b: Buffer) => {
    r.stderr += b.toString();
  });
  p.on('error', (e) => r.errors.push(e));
  return new Promise((resolve) => p.on('close', (code, signal) => resolve({ ...r, code, signal })));
}

/** The parent pid of a process, from /proc (null once it is gone). */
function parentOf(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  } catch {
    return null;
  }
}

/** Whether a process runs (a zombie, dead but not yet reaped by its new parent, does not). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 250 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

const started = (p: SpawnedProcess) =>
  new Promise<number>((resolve) => p.once('spawn', () => resolve(p.pid!)));

before(hostReady);
after(stopSpawnHost);

test('a process started by the host gets its input, and its output, errors and exit code come back', async () => {
  const p = spawnProcess('sh', ['-c', 'cat; echo " to stderr" >&2; exit 3']);
  const pid = started(p);
  const done = finished(p);
  p.stdin.write('first ');
  p.stdin.end(Buffer.from('second'));
  // Not a child of ours: the host started it.
  assert.notEqual(parentOf(await pid), process.pid);
  const r = await done;
  assert.equal(r.stdout, 'first second');
  assert.equal(r.stderr, ' to stderr\n');
  assert.deepEqual([r.code, r.signal, r.errors.length], [3, null, 0]);
});

test('output larger than one message arrives whole and in order', async () => {
  const p = spawnProcess('sh', ['-c', 'seq 1 200000']);
  p.stdin.end();
  const r = await finished(p);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 200000);
  assert.equal(lines[0], '1');
  assert.equal(lines.at(-1), '200000');
});

test('a program that does not exist is an ENOENT error naming the spawn, as child_process gives it', async () => {
  const p = spawnProcess('framesmith-no-such-program', []);
  const order: string[] = [];
  p.on('error', () => order.push('error'));
  p.on('close', () => order.push('close'));
  const r = await finished(p);
  assert.deepEqual(order, ['error', 'close']);
  assert.equal(r.code, -2);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.code, 'ENOENT');
  assert.equal(r.errors[0]!.syscall, 'spawn framesmith-no-such-program');
});

test('kill and an aborted signal stop the process', async () => {
  const killed = spawnProcess('sleep', ['30']);
  const k = finished(killed);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(killed.kill('SIGKILL'), true);
  assert.deepEqual([(await k).code, (await k).signal], [null, 'SIGKILL']);

  const controller = new AbortController();
  const aborted = spawnProcess('sleep', ['30'], { signal: controller.signal, killSignal: 'SIGKILL' });
  const a = finished(aborted);
  controller.abort();
  const r = await a;
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(r.errors[0]?.name, 'AbortError');
});

test('the environment and directory are those of the moment of the spawn', async () => {
  process.env.FRAMESMITH_SPAWNER_TEST = 'set after the host started';
  try {
    const p = spawnProcess('sh', ['-c', 'echo "$FRAMESMITH_SPAWNER_TEST"; pwd'], { cwd: '/tmp' });
    p.stdin.end();
    const r = await finished(p);
    assert.equal(r.stdout, 'set after the host started\n/tmp\n');
  } finally {
    delete process.env.FRAMESMITH_SPAWNER_TEST;
  }
});

test('when the host dies, its running processes are killed and end as killed, and the next spawn still works', async () => {
  const running = spawnProcess('sleep', ['30']);
  const pid = await started(running);
  const hostPid = parentOf(pid)!;
  const r = finished(running);
  process.kill(hostPid, 'SIGKILL');
  assert.deepEqual([(await r).code, (await r).signal], [null, 'SIGKILL']);
  // Orphaned by its host, it must not go on (an ffmpeg would go on writing its file).
  assert.ok(await gone(pid), 'the process of a dead host was left running');
  // Directly while a new host starts.
  const next = spawnProcess('echo', ['still works']);
  assert.equal((await finished(next)).stdout, 'still works\n');
  await hostReady();
  const viaNewHost = spawnProcess('echo', ['new host']);
  assert.equal((await finished(viaNewHost)).stdout, 'new host\n');
});

test('stopping the host ends its processes, which close as killed', async () => {
  const running = spawnProcess('sleep', ['30']);
  const pid = await started(running);
  const r = finished(running);
  stopSpawnHost();
  assert.deepEqual([(await r).code, (await r).signal], [null, 'SIGKILL']);
  assert.ok(await gone(pid));
  await hostReady();
});

test('an abort after the process exited is no error; a paused reader still gets every byte before close', async () => {
  const controller = new AbortController();
  const quick = spawnProcess('true', [], { signal: controller.signal, killSignal: 'SIGKILL' });
  const errors: Error[] = [];
  quick.on('error', (e) => errors.push(e));
  const quickClosed = new Promise<void>((resolve) => quick.once('close', () => resolve()));
  // Aborted in the moment between its exit and its close (ffmpeg.ts's timeout could fire there).
  (quick as unknown as NodeJS.EventEmitter).once('exit', () => controller.abort());
  await quickClosed;
  assert.deepEqual(errors, []);

  const p = spawnProcess('seq', ['1', '100000']);
  p.stdin.end();
  p.stdout.pause();
  let bytes = 0;
  p.stdout.on('data', (b: Buffer) => {
    bytes += b.length;
  });
  p.stdout.pause();
  let closed = false;
  const close = new Promise<void>((resolve) =>
    p.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(closed, false, 'close came while the output was still unread');
  p.stdout.resume();
  await close;
  assert.equal(bytes, 588895);
});

/** Runs a script in a process of its own and returns what it printed. */
async function script(code: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', `import * as s from ${JSON.stringify(SPAWNER)};\n${code}`],
    { timeout: 15_000 },
  );
  return stdout;
}

const WAIT_READY = `
  s.startSpawnHost();
  while (!s.spawnHostReady()) await new Promise((r) => setTimeout(r, 20));
`;

test('an idle host does not keep its process alive, and processes it started leave with it', async () => {
  // Ends by itself (no exit call) with the host idle: within the timeout, or execFile rejects.
  const idle = await script(`${WAIT_READY}
    const p = s.spawnProcess('echo', ['ran']);
    p.stdout.on('data', (b) => process.stdout.write(b));
    await new Promise((r) => p.on('close', r));
  `);
  assert.equal(idle, 'ran\n');

  // Exits with a process still running and not awaited (unref'd): the host kills it.
  const out = await script(`${WAIT_READY}
    const p = s.spawnProcess('sleep', ['30']);
    await new Promise((r) => p.once('spawn', r));
    p.unref();
    console.log(p.pid);
  `);
  const pid = Number(out.trim());
  assert.ok(pid > 0);
  assert.ok(await gone(pid), 'the sleep started through the host outlived its process');
});

test('a process killed outright (SIGKILL) takes what its host runs with it', async () => {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import * as s from ${JSON.stringify(SPAWNER)};\n${WAIT_READY}
      const p = s.spawnProcess('sleep', ['30']);
      await new Promise((r) => p.once('spawn', r));
      console.log(p.pid);
      setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve) =>
    child.stdout.once('data', (b: Buffer) => resolve(String(b))),
  );
  const pid = Number(line.trim());
  assert.ok(alive(pid));
  child.kill('SIGKILL');
  assert.ok(await gone(pid), 'the sleep outlived its SIGKILLed process');
});

test('runProcess gives the output and exit code, stops a run at its timeout, and reports a program that cannot start', async () => {
  const ok = await runProcess('sh', ['-c', 'echo out; echo err >&2; exit 2']);
  assert.deepEqual(
    [ok.code, ok.stdout, ok.stderr, ok.timedOut, ok.error],
    [2, 'out\n', 'err', false, undefined],
  );
  const slow = await runProcess('sleep', ['30'], { timeoutMs: 100 });
  assert.deepEqual([slow.code, slow.signal, slow.timedOut], [null, 'SIGKILL', true]);
  const missing = await runProcess('framesmith-no-such-program', []);
  assert.equal(missing.error?.code, 'ENOENT');
  const chatty = await runProcess('seq', ['1', '1000000'], { maxStdoutBytes: 1000 });
  assert.equal(chatty.signal, 'SIGKILL');
  assert.ok(chatty.stdout.length <= 1000);
});
