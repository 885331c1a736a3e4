import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { type SpawnedProcess, spawnProcess } from './spawner.ts';

/**
 * ffprobe processes started ahead of need. ffprobe spends ~90 ms here loading ~200 shared
 * libraries before it reads a byte; a spare has done that and waits for its input. The input
 * is ffmpeg's concat demuxer reading a one-line list from stdin, so the file is named only
 * when a check needs it, and the file itself is opened by path (seekable, as a direct probe).
 * Taking a spare starts the next one. When our process ends, the spares' stdin closes and they
 * exit: none is left behind.
 */

export interface FfprobeRun {
  /** null when the process was killed (timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not start at all (ENOENT, EACCES). */
  spawnError?: NodeJS.ErrnoException;
}

interface Spare {
  child: SpawnedProcess;
  result: Promise<FfprobeRun>;
  exited: boolean;
}

const STDOUT_LIMIT = 4 * 1024 * 1024;
const REFILL_DELAY_MS = 250;
/** A spare that printed its verdict but has not exited after this long is killed. */
const LINGER_KILL_MS = 5000;
const STDERR_KEEP = 8000;

/** A list line for the concat demuxer: `file:` keeps the path from being read relative to `pipe:`. */
export function concatScript(path: string): string | null {
  if (/[\n\r\0]/.test(path)) return null;
  return `ffconcat version 1.0\nfile 'file:${path.replaceAll("'", "'\\''")}'\n`;
}

export class WarmFfprobe {
  readonly #binary: string;
  readonly #args: readonly string[];
  readonly #spares: number;
  readonly #settled: ((stdout: string) => boolean) | undefined;
  readonly #input: 'concat' | 'bytes';
  #ready: Spare[] = [];
  #closed = false;
  /** Set after a spare failed to start: no more spares are started, callers run ffprobe cold. */
  #broken = false;

  /**
   * `args` select what to show; the input options are added here. `settled` says of the output
   * so far that it is complete and a verdict (then the run is taken as a success without
   * waiting for the exit: ffprobe spends ~10 ms here tearing down after its last write).
   */
  constructor(options: {
    binary: string;
    args: readonly string[];
    spares?: number;
    settled?: (stdout: string) => boolean;
    /**
     * What a spare reads on stdin: `concat` (default), a list naming the file, which it opens by
     * path; `bytes`, the file's own bytes (`probeBytes`). Bytes suit a file whose `moov` comes
     * first: ffprobe then skips its stream analysis (the header says it all) and decodes only
     * the first frame, 20–30 ms less here for a 832×480 H.264 file.
     */
    input?: 'concat' | 'bytes';
  }) {
    this.#binary = options.binary;
    this.#settled = options.settled;
    this.#input = options.input ?? 'concat';
    this.#args = [
      ...options.args,
      // The concat demuxer has already probed the file it opens (decoding its first frame);
      // probing its own output again would decode that frame a second time.
      '-nofind_stream_info',
      ...(this.#input === 'concat' ? ['-f', 'concat', '-safe', '0', '-protocol_whitelist', 'file,pipe'] : []),
      '-i',
      'pipe:0',
    ];
    this.#spares = options.spares ?? 2;
  }

  /** Starts the spares now, so the first check does not pay for the start. */
  warm(): void {
    this.#fill();
  }

  /** Probes `path` with a spare; null when no spare can be had (then run ffprobe directly). */
  async probe(path: string, timeoutMs: number): Promise<FfprobeRun | null> {
    if (this.#input !== 'concat') throw new Error('this pool probes bytes: use probeBytes');
    const script = concatScript(path);
    if (!script) return null;
    return this.#run(script, timeoutMs);
  }

  /** Probes a file's leading bytes with a spare (`input: 'bytes'`); null when no spare can be had. */
  async probeBytes(bytes: Buffer, timeoutMs: number): Promise<FfprobeRun | null> {
    if (this.#input !== 'bytes') throw new Error('this pool probes files by name: use probe');
    return this.#run(bytes, timeoutMs);
  }

  async #run(input: string | Buffer, timeoutMs: number): Promise<FfprobeRun | null> {
    if (this.#closed || this.#broken) return null;
    // No spare ready (the first check, or several at once): one started now still beats a
    // direct run only by little, but keeps a single code path.
    const spare = this.#take() ?? this.#tryStart();
    if (!spare) return null;
    const { child } = spare;
    keepsProcessAlive(child, true);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // EPIPE when it died first (its exit code tells), or when it had read all it needed.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    try {
      const run = await spare.result;
      // Killed by someone else (it died waiting, unnoticed yet): no verdict on the file.
      if (run.spawnError || (run.code === null && !timedOut)) return null;
      return run;
    } finally {
      clearTimeout(timer);
      // Replacements start after the check, not during it: loading a new ffprobe takes a
      // core for ~90 ms, which would slow the very check it is meant to speed up. Nor right
      // after it: on these two cores that load competes with the caller's own next steps
      // (storing the clip, recording it, telling clients). Measured in bench/pipeline.ts when
      // spares were still forked from this process (which also held this thread 5–15 ms):
      // storing a clip took 22 ms at p50 with the replacement started at once, 0.5 ms with it
      // started a moment later. With no spare left, though, the next check would start one
      // cold: then the replacement starts as soon as the caller has its result.
      const delay = this.#ready.some((s) => !s.exited) ? REFILL_DELAY_MS : 0;
      setTimeout(() => this.#fill(), delay).unref();
    }
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#ready.splice(0)) s.child.kill('SIGKILL');
  }

  #take(): Spare | undefined {
    let spare = this.#ready.shift();
    while (spare?.exited) spare = this.#ready.shift();
    return spare;
  }

  #fill(): void {
    this.#ready = this.#ready.filter((s) => !s.exited);
    while (!this.#closed && !this.#broken && this.#ready.length < this.#spares) {
      const spare = this.#tryStart();
      if (!spare) return;
      this.#ready.push(spare);
    }
  }

  /** A new spare, or null when the system refuses a process now (EAGAIN, EMFILE: spawn throws). */
  #tryStart(): Spare | null {
    try {
      return this.#start();
    } catch {
      return null;
    }
  }

  #start(): Spare {
    // Started by the spawn host: a start from this (large) process would stall it 10-20 ms.
    const child = spawnProcess(this.#binary, this.#args);
    if (!child.stdin || !child.stdout || !child.stderr) {
      // Out of file descriptors (EMFILE): no pipes, and the error comes as an event a tick later,
      // which must not go unheard. #tryStart takes the throw as "no spare now".
      child.on('error', () => {});
      throw new Error('no pipes for a spare ffprobe');
    }
    // A waiting spare must not keep the process alive; probe() refs it while in use.
    keepsProcessAlive(child, false);
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let settle: ((run: FfprobeRun) => void) | undefined;
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes <= STDOUT_LIMIT) out.push(b);
      if (settle && this.#settled && outBytes <= STDOUT_LIMIT) {
        const stdout = Buffer.concat(out).toString('utf8');
        if (this.#settled(stdout)) {
          settle({ code: 0, stdout, stderr: err.trim() });
          settle = undefined;
          // It exits by itself in a few ms; it must neither keep our process alive nor linger.
          keepsProcessAlive(child, false);
          setTimeout(() => spare.exited || child.kill('SIGKILL'), LINGER_KILL_MS).unref();
        }
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-STDERR_KEEP);
    });
    const spare = { child, exited: false } as Spare;
    spare.result = new Promise((resolve) => {
      settle = resolve;
      child.on('error', (e: NodeJS.ErrnoException) => {
        spare.exited = true;
        if (e.syscall?.startsWith('spawn')) this.#broken = true;
        resolve({ code: null, stdout: '', stderr: err, spawnError: e });
      });
      child.on('close', (code) => {
        spare.exited = true;
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: err.trim() });
      });
    });
    return spare;
  }
}

/** A started process as keepsProcessAlive sees it (a ChildProcess with pipes, or a SpawnedProcess). */
interface Refable {
  ref(): void;
  unref(): void;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
}

/** Whether a child (the process and its pipes) keeps our event loop, and so our process, alive. */
export function keepsProcessAlive(child: Refable, keep: boolean): void {
  if (keep) child.ref();
  else child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) {
    const socket = s as unknown as Socket;
    if (keep) socket.ref?.();
    else socket.unref?.();
  }
}
