import { spawnProcess } from '@framesmith/media';
import { type ClipInfo, clipInfoFromProbe, probeArgs } from './ffmpeg-args.ts';

/** The one module that runs ffmpeg and ffprobe (STYLE §11). */

export class FfmpegError extends Error {
  readonly stderr: string;
  readonly exitCode: number | null;
  constructor(message: string, stderr: string, exitCode: number | null) {
    super(message);
    this.name = 'FfmpegError';
    this.stderr = stderr;
    this.exitCode = exitCode;
  }
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Kills the process after this long. */
  timeoutMs?: number;
}

const STDERR_KEEP = 8000;

function run(binary: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const signals = [
      options.signal,
      options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined,
    ].filter((s): s is AbortSignal => s !== undefined);
    // Started by the spawn host, so this process does not stall while it forks (spawner.ts).
    const child = spawnProcess(binary, args, {
      ...(signals.length ? { signal: AbortSignal.any(signals) } : {}),
      killSignal: 'SIGKILL',
    });
    child.stdin.end();
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (e) => {
      const aborted = (e as { name?: string }).name === 'AbortError';
      reject(
        new FfmpegError(
          aborted ? `${binary} was stopped` : `${binary} could not start: ${e.message}`,
          err,
          null,
        ),
      );
    });
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new FfmpegError(`${binary} exited with code ${code}`, err.trim(), code));
    });
  });
}

export function runFfmpeg(args: readonly string[], options?: RunOptions): Promise<void> {
  return run('ffmpeg', args, options).then(() => undefined);
}

/** Reads a file's streams; null when it has no video stream. Throws FfmpegError when unreadable. */
export async function probeClip(path: string, options?: RunOptions): Promise<ClipInfo | null> {
  const json = await run('ffprobe', probeArgs(path), options);
  return clipInfoFromProbe(path, JSON.parse(json));
}
