import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FromHost, ToHost } from './spawner-protocol.ts';

/**
 * Starts ffmpeg and ffprobe without stalling this process. Node starts a process by forking this
 * one, which takes time in proportion to its memory (measured here: 1.6 ms for a bare Node,
 * ~15 ms for the server with its embedded database, 60 ms at 1 GB), and the event loop (HTTP,
 * live events, every running segment) stands still meanwhile. A spawn host, a small Node process
 * started once (spawn-host.ts), starts them instead and relays their pipes; what is returned
 * behaves as a ChildProcess does for what the callers use (pipes, `error`, `close`, kill, ref).
 * Until the host is ready, or if it cannot run, processes are started directly.
 */

/**
 * What callers use of a started process. Its pipes are null only when a direct start found no
 * file descriptors left for them (EMFILE), as with child_process; its `error` event follows.
 */
export interface SpawnedProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Set once it started (the `spawn` event). */
  readonly pid?: number | undefined;
  on(event: 'spawn', listener: () => void): this;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): this;
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'spawn', listener: () => void): this;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  kill(signal?: NodeJS.Signals): boolean;
  /** Whether the process keeps ours alive (as ChildProcess.ref/unref, pipes included). */
  ref(): void;
  unref(): void;
}

export interface SpawnProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kills the process (with killSignal) and emits an AbortError, as child_process.spawn does. */
  signal?: AbortSignal;
  killSignal?: NodeJS.Signals;
}

const HOST_PATH = fileURLToPath(new URL('./spawn-host.ts', import.meta.url));
/** A host that died is started again this many times at most; after that, processes start directly. */
const MAX_HOST_STARTS = 4;

/** A process started by the host: its pipes and events, fed by the host's messages. */
class RemoteProcess extends EventEmitter implements SpawnedProcess {
  readonly stdin: Writable;
  readonly stdout = new Readable({ read() {} });
  readonly stderr = new Readable({ read() {} });
  pid: number | undefined;
  readonly #host: SpawnHost;
  readonly #id: number;
  #closed = false;
  #refd = true;

  constructor(host: SpawnHost, id: number) {
    super();
    this.#host = host;
    this.#id = id;
    this.stdin = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        host.send({ t: 'in', id, data: chunk });
        done();
      },
      final: (done) => {
        host.send({ t: 'end', id });
        done();
      },
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.#closed) return false;
    this.#host.send({ t: 'kill', id: this.#id, signal });
    return true;
  }

  ref(): void {
    if (this.#refd || this.#closed) return;
    this.#refd = true;
    this.#host.hold(1);
  }

  unref(): void {
    if (!this.#refd || this.#closed) return;
    this.#refd = false;
    this.#host.hold(-1);
  }

  /** A message from the host about this process. */
  receive(m: FromHost): void {
    switch (m.t) {
      case 'spawned':
        this.pid = m.pid;
        this.emit('spawn');
        break;
      case 'out':
        this.stdout.push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        break;
      case 'err':
        this.stderr.push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        break;
      case 'error':
        this.emit('error', Object.assign(new Error(m.error.message), m.error));
        // Refused before it started for want of resources (the host says so by leaving out the
        // syscall): a later start may succeed, and no `close` follows.
        if (m.error.syscall === undefined) this.close(null, null);
        break;
      case 'close':
        this.close(m.code, m.signal);
        break;
    }
  }

  /** The process ended (or the host that ran it did: then its fate is unknown, as a killed one's). */
  close(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.forget(this.#id);
    if (this.#refd) this.#host.hold(-1);
    this.emit('exit', code, signal);
    // `close` once both pipes are read to their end, as ChildProcess emits it; a pipe nobody
    // listens to is drained (Node's flushStdio does the same), so that `close` still comes.
    let open = 2;
    for (const pipe of [this.stdout, this.stderr]) {
      pipe.once('close', () => {
        if (--open === 0) this.emit('close', code, signal);
      });
      pipe.push(null);
      if (pipe.listenerCount('data') === 0 && pipe.listenerCount('readable') === 0) pipe.resume();
    }
  }
}

class SpawnHost {
  readonly #child: ChildProcess;
  readonly #processes = new Map<number, RemoteProcess>();
  #nextId = 1;
  #holds = 0;
  ready = false;
  dead = false;

  constructor() {
    // Node's own flags (NODE_OPTIONS: --import, --cpu-prof…) are for the application, not for this helper.
    const { NODE_OPTIONS: _, ...env } = process.env;
    this.#child = spawn(process.execPath, [HOST_PATH], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
      env,
    });
    this.#child.on('message', (m: FromHost) => {
      if (m.t === 'ready') this.ready = true;
      else this.#processes.get(m.id)?.receive(m);
    });
    const gone = () => this.#gone();
    this.#child.on('error', gone);
    this.#child.on('exit', gone);
    this.#child.on('disconnect', gone);
    this.#refresh();
  }

  spawn(command: string, args: readonly string[], options: SpawnProcessOptions): RemoteProcess {
    const id = this.#nextId++;
    // Built before anything is registered: reading the directory can throw (it was deleted).
    const message: ToHost = {
      t: 'spawn',
      id,
      command,
      args: [...args],
      // The environment and directory as they are now (a test may have changed PATH since).
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
    };
    const p = new RemoteProcess(this, id);
    this.#processes.set(id, p);
    this.hold(1);
    this.send(message);
    return p;
  }

  /**
   * The host is gone: its processes end for their callers. A host that died without its
   * parent's goodbye (killed, crashed) left them running, orphaned: they are killed here, so
   * that, say, an ffmpeg does not go on writing a file a retry writes too.
   */
  #gone(): void {
    if (this.dead) return;
    this.dead = true;
    this.ready = false;
    for (const p of [...this.#processes.values()]) {
      if (p.pid) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      p.close(null, 'SIGKILL');
    }
  }

  send(m: ToHost): void {
    if (this.dead || !this.#child.connected) return;
    this.#child.send(m);
  }

  forget(id: number): void {
    this.#processes.delete(id);
  }

  /** Our process is kept alive by the host while one of its processes is (ref'd). */
  hold(delta: number): void {
    this.#holds += delta;
    this.#refresh();
  }

  #refresh(): void {
    const channel = this.#child.channel as { ref?(): void; unref?(): void } | undefined;
    if (this.#holds > 0) {
      this.#child.ref();
      channel?.ref?.();
    } else {
      this.#child.unref();
      channel?.unref?.();
    }
  }

  /** Ends the host and its processes (they close as killed). */
  stop(): void {
    this.#gone();
    // Told to go, the host kills what it runs and exits; if it does not, it is killed.
    this.#child.disconnect?.();
    setTimeout(() => this.#child.kill('SIGKILL'), 2000).unref();
  }
}

let host: SpawnHost | null = null;
let hostStarts = 0;

/**
 * Starts the spawn host now (it takes ~50 ms to be ready), best while this process is still
 * small: starting it is itself one fork of this process.
 */
export function startSpawnHost(): void {
  if ((host && !host.dead) || hostStarts >= MAX_HOST_STARTS) return;
  hostStarts++;
  try {
    host = new SpawnHost();
  } catch {
    host = null; // no process can be started now (EMFILE, EAGAIN): later, or directly
  }
}

/** Stops the spawn host (its processes are killed); the next spawn starts directly and a new host. */
export function stopSpawnHost(): void {
  host?.stop();
  host = null;
}

/** Whether processes are started by the host now (false before it is ready, or without one). */
export function spawnHostReady(): boolean {
  return host?.ready === true && !host.dead;
}

/** child_process.spawn with every pipe, started by the spawn host when it is ready. */
export function spawnProcess(
  command: string,
  args: readonly string[],
  options: SpawnProcessOptions = {},
): SpawnedProcess {
  if (!spawnHostReady()) {
    startSpawnHost();
    // A ChildProcess is a SpawnedProcess but for its pipes' types (see SpawnedProcess).
    return spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options }) as unknown as SpawnedProcess;
  }
  const p = host!.spawn(command, args, options);
  const { signal } = options;
  if (signal) {
    // As child_process does: an AbortError only when there was still a process to kill.
    const abort = () => {
      if (p.kill(options.killSignal ?? 'SIGTERM')) {
        p.emit('error', Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
      }
    };
    if (signal.aborted) queueMicrotask(abort);
    else {
      signal.addEventListener('abort', abort, { once: true });
      p.once('exit', () => signal.removeEventListener('abort', abort));
    }
  }
  return p;
}

export interface ProcessRun {
  /** null when it was killed (a timeout, an abort) or its host died. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** Its last `stderrKeep` characters, trimmed. */
  stderr: string;
  /** Set when it did not start at all (ENOENT, EACCES) or was aborted (an AbortError). */
  error?: NodeJS.ErrnoException;
  timedOut: boolean;
}

/**
 * Runs a program to its end with spawnProcess and gives what it printed: stdout whole (up to
 * `maxStdoutBytes`, beyond which it is killed), stderr's tail. Never rejects.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; signal?: AbortSignal; maxStdoutBytes?: number; stderrKeep?: number } = {},
): Promise<ProcessRun> {
  const maxStdout = options.maxStdoutBytes ?? 16 * 1024 * 1024;
  const keep = options.stderrKeep ?? 8000;
  return new Promise((resolve) => {
    const child = spawnProcess(command, args, {
      ...(options.signal ? { signal: options.signal } : {}),
      killSignal: 'SIGKILL',
    });
    if (!child.stdin || !child.stdout || !child.stderr) {
      // Started directly with no descriptors left for pipes (EMFILE): the error comes as an event.
      child.on('error', (error) =>
        resolve({ code: null, signal: null, stdout: '', stderr: '', error, timedOut: false }),
      );
      return;
    }
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let error: NodeJS.ErrnoException | undefined;
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes <= maxStdout) out.push(b);
      else child.kill('SIGKILL');
    });
    child.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-keep);
    });
    child.on('error', (e) => {
      error ??= e;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: err.trim(),
        ...(error ? { error } : {}),
        timedOut,
      });
    });
    child.stdin.end();
  });
}
