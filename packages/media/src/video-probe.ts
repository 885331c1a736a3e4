import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { AppError } from '@framesmith/core';
import { leadingMoov, type Mp4Track, parseMoov, readMp4Tracks } from './mp4-tracks.ts';
import { runProcess } from './spawner.ts';
import { type FfprobeRun, WarmFfprobe } from './warm-ffprobe.ts';

export type ProbeResult =
  | { ok: true; durationSeconds: number; width: number; height: number; codec: string; sizeBytes: number }
  | { ok: false; reason: 'empty_file' | 'undecodable' | 'no_video_stream' | 'no_duration'; error?: string };

interface FfprobeJson {
  streams?: {
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    duration?: string;
  }[];
  format?: { duration?: string; format_name?: string };
}

/** JSON about the first video stream. */
const JSON_OF_FIRST_VIDEO = ['-v', 'error', '-print_format', 'json', '-select_streams', 'v:0'];

/** What the check asks ffprobe: the first video stream, and its first frame decoded. */
const SHOW_ARGS = [
  ...JSON_OF_FIRST_VIDEO,
  // Decode the first frame too: a file with a valid header but broken data fails here.
  '-read_intervals',
  '%+#1',
  '-show_entries',
  'stream=codec_type,codec_name,width,height,duration:format=duration,format_name:frame=width',
];

const PROBE_TIMEOUT_MS = 30_000;
const spares = new Map<string, WarmFfprobe>();

/**
 * What a header check asks: the first video stream as the container describes it, no frame
 * (ffprobe then reads no media data at all).
 */
const HEADER_SHOW_ARGS = [
  ...JSON_OF_FIRST_VIDEO,
  '-show_entries',
  'stream=codec_type,codec_name,width,height:format=format_name',
];

/**
 * Spare ffprobes, by what they check: a file's first frame (they open it by name, from a concat
 * list), or an MP4's header alone (fed its bytes).
 */
function warmPool(ffprobePath: string, what: 'first frame' | 'header' = 'first frame'): WarmFfprobe {
  const key = `${what}:${ffprobePath}`;
  let pool = spares.get(key);
  if (!pool) {
    pool =
      what === 'header'
        ? new WarmFfprobe({
            binary: ffprobePath,
            args: HEADER_SHOW_ARGS,
            settled: showsVideoStream,
            input: 'bytes',
          })
        : new WarmFfprobe({ binary: ffprobePath, args: SHOW_ARGS, settled: showsDecodedVideo });
    spares.set(key, pool);
  }
  return pool;
}

/** ffprobe's JSON is whole and shows a video stream (a header check's verdict). */
function showsVideoStream(stdout: string): boolean {
  if (!stdout.endsWith('}\n')) return false;
  try {
    return Boolean((JSON.parse(stdout) as FfprobeJson).streams?.some((s) => s.codec_type === 'video'));
  } catch {
    return false; // not whole yet
  }
}

/**
 * ffprobe's JSON is whole and shows a video stream with a decoded frame: the file passed, and
 * nothing ffprobe does after printing it (tearing down) can change that.
 */
function showsDecodedVideo(stdout: string): boolean {
  if (!stdout.endsWith('}\n')) return false;
  try {
    const json = JSON.parse(stdout) as FfprobeJson & { frames?: unknown[] };
    return Boolean(json.streams?.some((s) => s.codec_type === 'video') && json.frames?.length);
  } catch {
    return false; // not whole yet
  }
}

/** Starts spare ffprobe processes now, so that the first check does not wait for one to load. */
export function warmUpProbes(ffprobePath = 'ffprobe'): void {
  warmPool(ffprobePath).warm();
}

/**
 * Checks a video file with ffprobe: non-empty, decodable (its first video frame decodes),
 * a video stream, a duration > 0. A plain MP4 goes to a spare ffprobe that is already loaded,
 * and its duration is read from its own header (what ffprobe would print; the concat demuxer
 * that feeds the spare does not report it). Anything else runs ffprobe directly. ffprobe 5/6
 * cannot decode animated WebP, so such a file is checked by reading its RIFF frames instead.
 */
export async function probeVideo(path: string, ffprobePath = 'ffprobe'): Promise<ProbeResult> {
  const size = (await stat(path)).size;
  if (size === 0) return { ok: false, reason: 'empty_file' };
  const tracks = await readMp4Tracks(path).catch(() => null);
  const mp4Video = tracks?.find((t) => t.handler === 'vide');
  // A fragmented MP4 has no duration in its header: ffprobe works it out.
  if (mp4Video && mp4Video.duration > 0) {
    const run = await warmPool(ffprobePath).probe(path, PROBE_TIMEOUT_MS);
    if (run) return verdictOf(run, mp4Video, path, size);
  }
  return probeDirectly(path, size, ffprobePath);
}

/**
 * Checks an MP4 whose `moov` comes first by its header alone, the file's first `length` bytes
 * (up to its media data), handed to a spare ffprobe: the container parses, with a video stream
 * whose duration is the header's. No frame is decoded: for a file whose media data are the bytes
 * of clips each checked by decoding when stored, copied whole (what composition's MP4 joiner
 * makes), what is new is the header. Anything else goes to probeVideo, once `complete` settles
 * (for a file still being written past its header).
 */
export async function probeVideoHeader(
  path: string,
  length: number,
  ffprobePath = 'ffprobe',
  complete: Promise<unknown> = Promise.resolve(),
): Promise<ProbeResult> {
  const whole = async () => {
    await complete.catch(() => {});
    return probeVideo(path, ffprobePath);
  };
  const { bytes, size } = await readLeadingBytes(path, length);
  const video = leadingMoovVideo(bytes);
  if (!video || video.duration <= 0) return whole();
  const run = await warmPool(ffprobePath, 'header').probeBytes(bytes, PROBE_TIMEOUT_MS);
  return run ? verdictOf(run, video, path, size, false) : whole();
}

/** A file's first `length` bytes (fewer when it is shorter) and its size. */
async function readLeadingBytes(path: string, length: number): Promise<{ bytes: Buffer; size: number }> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const bytes = Buffer.allocUnsafe(Math.min(length, size));
    const { bytesRead } = await file.read(bytes, 0, bytes.length, 0);
    return { bytes: bytes.subarray(0, bytesRead), size };
  } finally {
    await file.close();
  }
}

/**
 * A spare's run on an MP4 whose header we read: ffprobe says whether it decodes and what the
 * stream is; the duration is the header's (what ffprobe would print; the concat demuxer that
 * feeds a spare does not report it).
 */
function verdictOf(
  run: FfprobeRun,
  header: Mp4Track,
  path: string,
  size: number,
  decoded = true,
): ProbeResult {
  let json: FfprobeJson;
  try {
    json = parseRun(run, decoded);
  } catch (e) {
    return { ok: false, reason: 'undecodable', error: publicError(e, path) };
  }
  const stream = json.streams?.find((s) => s.codec_type === 'video');
  if (!stream) return { ok: false, reason: 'no_video_stream' };
  return {
    ok: true,
    durationSeconds: header.duration / header.timescale,
    width: stream.width ?? header.width,
    height: stream.height ?? header.height,
    codec: stream.codec_name ?? 'unknown',
    sizeBytes: size,
  };
}

/** The video track of the `moov` these leading bytes start with, else null. */
function leadingMoovVideo(bytes: Buffer): Mp4Track | null {
  const moov = leadingMoov(bytes);
  try {
    return moov ? (parseMoov(moov).find((t) => t.handler === 'vide') ?? null) : null;
  } catch {
    return null; // a malformed box: the whole-file check says what is wrong with it
  }
}

// Keep the file name, not where it lives.
const publicError = (e: unknown, path: string) =>
  String((e as Error).message ?? e)
    .replaceAll(path, basename(path))
    .replaceAll(`file:${basename(path)}`, basename(path));

async function probeDirectly(path: string, size: number, ffprobePath: string): Promise<ProbeResult> {
  let json: FfprobeJson;
  try {
    json = await runFfprobe(ffprobePath, path);
  } catch (e) {
    if (e instanceof AppError) throw e;
    const webp = await readAnimatedWebp(path);
    if (webp) return { ok: true, ...webp, sizeBytes: size };
    return { ok: false, reason: 'undecodable', error: publicError(e, path) };
  }
  const video = json.streams?.find((s) => s.codec_type === 'video');
  if (!video) return { ok: false, reason: 'no_video_stream' };
  let duration = Number(json.format?.duration ?? video.duration);
  if (video.codec_name === 'webp' && !(duration > 0)) {
    const webp = await readAnimatedWebp(path);
    if (webp) return { ok: true, ...webp, sizeBytes: size };
  }
  if (!Number.isFinite(duration)) duration = 0;
  if (duration <= 0) return { ok: false, reason: 'no_duration' };
  return {
    ok: true,
    durationSeconds: duration,
    width: video.width ?? 0,
    height: video.height ?? 0,
    codec: video.codec_name ?? 'unknown',
    sizeBytes: size,
  };
}

async function runFfprobe(ffprobePath: string, path: string): Promise<FfprobeJson> {
  const run = await runProcess(ffprobePath, [...SHOW_ARGS, path], {
    timeoutMs: PROBE_TIMEOUT_MS,
    maxStdoutBytes: 4 * 1024 * 1024,
  });
  if (run.error && String(run.error.syscall ?? '').startsWith('spawn')) {
    // It did not start (not installed, not executable): our machine's fault, not the output's.
    throw new AppError('INTERNAL_ERROR', {
      cause: run.error,
      detail: {
        reason: 'ffprobe_unavailable',
        errno: String(run.error.code),
        exceptionMessage: run.error.message,
      },
    });
  }
  const failure = run.timedOut ? 'ffprobe took too long' : run.error?.message;
  return parseRun({
    code: run.code,
    stdout: run.stdout,
    stderr: run.stderr,
    ...(failure ? { failure } : {}),
  });
}

/**
 * ffprobe's output, or an Error saying why the file is not a decodable video (with `decoded`,
 * a video stream without a frame is one: ffprobe was asked to decode the first).
 */
function parseRun(run: FfprobeRun & { failure?: string }, decoded = true): FfprobeJson {
  if (run.code !== 0) {
    throw new Error(run.stderr.trim().split('\n').slice(-2).join(' ') || run.failure || 'ffprobe failed');
  }
  const json = JSON.parse(run.stdout) as FfprobeJson & { frames?: unknown[] };
  if (decoded && json.streams?.some((s) => s.codec_type === 'video') && (json.frames?.length ?? 0) === 0) {
    throw new Error(run.stderr.trim() || 'no decodable video frame');
  }
  return json;
}

/** Reads an animated WebP's canvas size and total frame duration from its RIFF chunks. */
export async function readAnimatedWebp(
  path: string,
): Promise<{ durationSeconds: number; width: number; height: number; codec: string } | null> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.min(size, 64 * 1024 * 1024));
    await fh.read(buf, 0, buf.length, 0);
    if (
      buf.length < 30 ||
      buf.toString('ascii', 0, 4) !== 'RIFF' ||
      buf.toString('ascii', 8, 12) !== 'WEBP'
    ) {
      return null;
    }
    let width = 0;
    let height = 0;
    let durationMs = 0;
    let frames = 0;
    let offset = 12;
    while (offset + 8 <= buf.length) {
      const tag = buf.toString('ascii', offset, offset + 4);
      const len = buf.readUInt32LE(offset + 4);
      const data = offset + 8;
      if (data + len > buf.length) return null; // truncated
      if (tag === 'VP8X' && len >= 10) {
        width = buf.readUIntLE(data + 4, 3) + 1;
        height = buf.readUIntLE(data + 7, 3) + 1;
      } else if (tag === 'ANMF' && len >= 16) {
        durationMs += buf.readUIntLE(data + 12, 3);
        frames++;
      }
      offset = data + len + (len % 2);
    }
    if (frames === 0 || durationMs <= 0) return null;
    return { durationSeconds: durationMs / 1000, width, height, codec: 'webp' };
  } finally {
    await fh.close();
  }
}
