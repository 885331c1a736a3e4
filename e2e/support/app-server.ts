import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type SimOptions, type Simulator, startSimulator } from '@framesmith/comfy-sim';

const ROOT = resolve(import.meta.dirname, '../..');

export interface RunningApp {
  baseURL: string;
  sim: Simulator;
  /** Everything the server printed, for a failing test's report. */
  output(): string;
  stop(): Promise<void>;
}

export interface AppOptions {
  sim?: SimOptions;
  env?: Record<string, string>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => ok(port));
    });
  });
}

async function waitForHttp(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not answer ${url} within ${timeoutMs} ms:\n${output()}`);
}

/**
 * The real thing: the simulator in this process and `framesmith start` as a child process on a
 * fresh data directory, pointed at the simulator, with short retry delays.
 */
export async function startApp(options: AppOptions = {}): Promise<RunningApp> {
  const sim = await startSimulator({ generationMs: 600, steps: 6, ...options.sim });
  const dataDir = mkdtempSync(join(tmpdir(), 'framesmith-e2e-'));
  const port = await freePort();
  let log = '';
  const child = spawn(process.execPath, [join(ROOT, 'bin/framesmith.ts'), 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      STORAGE_DIR: join(dataDir, 'storage'),
      COMFYUI_URL: sim.url,
      RETRY_BASE_DELAY_MS: '100',
      HEALTH_CHECK_INTERVAL_MS: '1000',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const baseURL = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${baseURL}/api/meta`, child, () => log, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { baseURL, sim, output: () => log, stop };
}
