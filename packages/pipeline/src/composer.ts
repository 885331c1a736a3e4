import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, truncate } from '@framesmith/core';
import { type ProbeResult, probeVideo, probeVideoHeader } from '@framesmith/media';
import {
  type ClipInfo,
  canStreamCopy,
  concatList,
  expectedDuration,
  frameRateValue,
  normalizeArgs,
  type OutputFormat,
  streamCopyArgs,
} from './ffmpeg-args.ts';
import { FfmpegError, probeClip, runFfmpeg } from './ffmpeg.ts';
import { concatMp4 } from './mp4-concat.ts';
import { clipInfoOf, readMp4Files } from './mp4-header.ts';

/**
 * Joins clips into one video in the given order: stream copy when they allow it, otherwise a
 * normalising re-encode; then checks the result with ffprobe. Failures are COMPOSITION_ERROR with
 * ffmpeg's own words in the detail. Its temp files are always removed; the clips are only read.
 */
export interface ComposeRequest {
  clipPaths: readonly string[];
  /** Output size and rate; unset parts follow the first clip. */
  format: Partial<OutputFormat>;
  crossfadeSeconds: number;
  outPath: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ComposeResult {
  mode: 'copy' | 'reencode';
  durationSeconds: number;
  width: number;
  height: number;
}

export async function composeClips(request: ComposeRequest): Promise<ComposeResult> {
  if (request.clipPaths.length === 0) {
    throw new AppError('COMPOSITION_ERROR', { detail: { reason: 'no clips to compose' } });
  }
  const run = { signal: request.signal, timeoutMs: request.timeoutMs };
  let work: string | undefined; // a directory for ffmpeg's list, made only when ffmpeg runs
  try {
    // The MP4 header answers in microseconds; ffprobe (a process per clip) only when it cannot.
    // The same read serves the MP4 joiner.
    const files = await readMp4Files(request.clipPaths);
    const clips: ClipInfo[] = [];
    for (const [i, path] of request.clipPaths.entries()) {
      const file = files[i];
      const info =
        (file ? clipInfoOf(file) : null) ??
        (await probeClip(path, run).catch((e: unknown) => {
          throw compositionError(`clip ${i + 1} cannot be read`, e);
        }));
      if (!info) throw compositionError(`clip ${i + 1} has no video stream`);
      clips.push(info);
    }
    const first = clips[0]!;
    const format: OutputFormat = {
      width: request.format.width ?? first.width,
      height: request.format.height ?? first.height,
      fps: request.format.fps ?? (Math.round(frameRateValue(first.frameRate)) || 24),
    };
    const fitsFormat = first.width === format.width && first.height === format.height;
    const copy = canStreamCopy(clips, request.crossfadeSeconds) && fitsFormat;
    // A video joined by the MP4 joiner is checked by its header, while its clips are still being
    // copied: its media data are the clips' own bytes, copied whole, and each clip's first frame
    // was decoded when it was stored; what is new is the header. ffprobe reads it, and its
    // duration must be the sum. Anything ffmpeg wrote is checked whole, its first frame decoded.
    let check: Promise<ProbeResult> | undefined;
    const { promise: whole, resolve: joined } = Promise.withResolvers<void>();
    const startCheck = (headerBytes: number) => {
      // Should it have to check the whole file instead, it waits for the join.
      check = probeVideoHeader(request.outPath, headerBytes, undefined, whole);
      check.catch(() => {}); // awaited below; not unhandled if the join fails first
    };
    try {
      if (copy) {
        // MP4 clips are joined by merging their headers (no decoding at all); others by ffmpeg.
        if (
          !(await concatMp4(
            clips.map((c, i) => files[i] ?? c.path),
            request.outPath,
            { afterHeader: startCheck },
          ))
        ) {
          work = await mkdtemp(join(tmpdir(), 'framesmith-compose-'));
          const list = join(work, 'clips.txt');
          await writeFile(list, concatList(clips.map((c) => c.path)));
          await runFfmpeg(streamCopyArgs(list, request.outPath), run);
        }
      } else {
        await runFfmpeg(normalizeArgs(clips, format, request.outPath, request.crossfadeSeconds), run);
      }
    } catch (e) {
      joined();
      await check?.catch(() => {}); // it reads the file being removed
      await rm(request.outPath, { force: true });
      throw compositionError('ffmpeg could not join the clips', e);
    }
    joined();
    const result = await (check ?? probeVideo(request.outPath)).catch((e: unknown) => {
      throw compositionError('the composed video cannot be read', e);
    });
    if (!result.ok) {
      await rm(request.outPath, { force: true });
      throw compositionError('the composed video cannot be read', new Error(result.error ?? result.reason));
    }
    const expected = expectedDuration(clips, request.crossfadeSeconds);
    const frame = 1 / (copy ? frameRateValue(first.frameRate) || format.fps : format.fps);
    if (Math.abs(result.durationSeconds - expected) > frame + 0.001) {
      await rm(request.outPath, { force: true });
      throw compositionError('the composed video has the wrong length', undefined, {
        expectedSeconds: expected,
        actualSeconds: result.durationSeconds,
      });
    }
    return {
      mode: copy ? 'copy' : 'reencode',
      durationSeconds: result.durationSeconds,
      width: result.width,
      height: result.height,
    };
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
  }
}

function compositionError(reason: string, cause?: unknown, extra: Record<string, unknown> = {}): AppError {
  if (cause instanceof AppError) return cause;
  const stderr = cause instanceof FfmpegError ? cause.stderr : '';
  const message = cause instanceof Error ? cause.message : undefined;
  return new AppError('COMPOSITION_ERROR', {
    cause,
    detail: {
      reason,
      ...(message ? { exceptionMessage: truncate(stderr ? `${message}: ${stderr}` : message, 2000) } : {}),
      ...extra,
    },
  });
}
