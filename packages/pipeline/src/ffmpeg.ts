import { runProcess } from '@framesmith/media';
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

async function run(binary: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  // Started by the spawn host, so this process does not stall while it forks (spawner.ts).
  const r = await runProcess(binary, args, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  if (r.timedOut || r.error?.name === 'AbortError')
    throw new FfmpegError(`${binary} was stopped`, r.stderr, null);
  if (r.error) throw new FfmpegError(`${binary} could not start: ${r.error.message}`, r.stderr, null);
  if (r.code !== 0) throw new FfmpegError(`${binary} exited with code ${r.code}`, r.stderr, r.code);
  return r.stdout;
}

export function runFfmpeg(args: readonly string[], options?: RunOptions): Promise<void> {
  return run('ffmpeg', args, options).then(() => undefined);
}

/** Reads a file's streams; null when it has no video stream. Throws FfmpegError when unreadable. */
export async function probeClip(path: string, options?: RunOptions): Promise<ClipInfo | null> {
  const json = await run('ffprobe', probeArgs(path), options);
  return clipInfoFromProbe(path, JSON.parse(json));
}
