/**
 * The spawn host: a small Node process that starts ffmpeg and ffprobe on behalf of its parent
 * and relays their pipes over its IPC channel (spawner.ts is the parent's side). Starting a
 * process from Node forks the whole process first, which costs time in proportion to its memory:
 * ~15 ms on this VM for a server with its embedded database loaded, 60 ms at 1 GB, during which
 * its event loop stands still. This process stays small, so a start costs it ~1.5 ms and the
 * parent nothing. When the parent goes away (the channel closes), every child is killed.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { FromHost, ToHost } from './spawner-protocol.ts';

const children = new Map<number, ChildProcessWithoutNullStreams>();

function send(message: FromHost): void {
  // A parent gone meanwhile is `disconnect` below; the failed write itself is nothing to report.
  if (process.connected) process.send?.(message, undefined, {}, () => {});
}

function errorInfo(e: unknown): Extract<FromHost, { t: 'error' }>['error'] {
  const err = e as NodeJS.ErrnoException;
  return {
    message: String(err?.message ?? e),
    ...(err?.code ? { code: err.code } : {}),
    ...(typeof err?.errno === 'number' ? { errno: err.errno } : {}),
    ...(err?.syscall ? { syscall: err.syscall } : {}),
    ...(err?.path ? { path: err.path } : {}),
  };
}

/** Refusals for want of resources: this start failed, a later one may not. */
const WANT_OF_RESOURCES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM']);

/**
 * A failure to start told without its syscall: the parent then takes it as "not now" (no
 * `close` follows), not as "this program cannot run" (a spawn error, e.g. ENOENT).
 */
function transient(error: ReturnType<typeof errorInfo>): ReturnType<typeof errorInfo> {
  const { syscall: _, ...rest } = error;
  return rest;
}

function start(m: Extract<ToHost, { t: 'spawn' }>): void {
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(m.command, m.args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: m.cwd,
      env: m.env,
    });
  } catch (e) {
    send({ t: 'error', id: m.id, error: transient(errorInfo(e)) });
    return;
  }
  children.set(m.id, child);
  child.on('spawn', () => send({ t: 'spawned', id: m.id, pid: child.pid ?? 0 }));
  child.on('error', (e) => {
    const error = errorInfo(e);
    send({ t: 'error', id: m.id, error: WANT_OF_RESOURCES.has(error.code ?? '') ? transient(error) : error });
  });
  // EPIPE when the child exited before reading all it was given: its exit code tells.
  child.stdin?.on('error', () => {});
  child.stdout?.on('data', (data: Buffer) => send({ t: 'out', id: m.id, data }));
  child.stderr?.on('data', (data: Buffer) => send({ t: 'err', id: m.id, data }));
  child.on('close', (code, signal) => {
    children.delete(m.id);
    send({ t: 'close', id: m.id, code, signal });
  });
}

process.on('message', (m: ToHost) => {
  if (m.t === 'spawn') return start(m);
  const child = children.get(m.id);
  if (!child) return;
  if (m.t === 'in') child.stdin.write(Buffer.from(m.data));
  else if (m.t === 'end') child.stdin.end();
  else if (m.t === 'kill') {
    try {
      child.kill(m.signal);
    } catch {
      // an unknown signal name: nothing to do, and no reason for the host to fall over
    }
  }
});

process.on('disconnect', () => {
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(0);
});

send({ t: 'ready' });
