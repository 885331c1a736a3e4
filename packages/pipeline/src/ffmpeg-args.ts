/**
 * ffmpeg and ffprobe argument lists, as pure functions (STYLE §11): unit-tested for exact argv;
 * only ffmpeg.ts runs the binaries.
 */

/** What composition needs to know about one clip, read from ffprobe. */
export interface ClipInfo {
  path: string;
  videoCodec: string;
  width: number;
  height: number;
  /** Frame rate as ffprobe gives it, e.g. "24/1". */
  frameRate: string;
  timeBase: string;
  pixelFormat: string;
  durationSeconds: number;
  audio: { codec: string; sampleRate: number; channels: number } | null;
}

export interface OutputFormat {
  width: number;
  height: number;
  fps: number;
}

const QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];

export function probeArgs(path: string): string[] {
  return ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path];
}

/** ffprobe's JSON → ClipInfo; null when the file has no video stream. */
export function clipInfoFromProbe(path: string, probe: unknown): ClipInfo | null {
  const p = probe as {
    streams?: Record<string, unknown>[];
    format?: { duration?: string };
  };
  const video = p.streams?.find((s) => s.codec_type === 'video');
  if (!video) return null;
  const audio = p.streams?.find((s) => s.codec_type === 'audio');
  const duration = Number(video.duration ?? p.format?.duration);
  return {
    path,
    videoCodec: String(video.codec_name ?? ''),
    width: Number(video.width),
    height: Number(video.height),
    frameRate: String(video.r_frame_rate ?? video.avg_frame_rate ?? '0/0'),
    timeBase: String(video.time_base ?? ''),
    pixelFormat: String(video.pix_fmt ?? ''),
    durationSeconds: Number.isFinite(duration) ? duration : 0,
    audio: audio
      ? {
          codec: String(audio.codec_name ?? ''),
          sampleRate: Number(audio.sample_rate),
          channels: Number(audio.channels),
        }
      : null,
  };
}

export function frameRateValue(rate: string): number {
  const [n, d] = rate.split('/').map(Number);
  if (!n || !d) return Number(rate) || 0;
  return n / d;
}

/**
 * Stream copy is exact and fast, but only when every clip shares codec, size, frame rate, time base
 * and pixel format (and the same audio layout, or none), and no crossfade is asked for.
 */
export function canStreamCopy(clips: readonly ClipInfo[], crossfadeSeconds: number): boolean {
  if (crossfadeSeconds > 0 || clips.length === 0) return false;
  const first = clips[0]!;
  const sameAudio = (a: ClipInfo['audio'], b: ClipInfo['audio']) =>
    a === null || b === null
      ? a === b
      : a.codec === b.codec && a.sampleRate === b.sampleRate && a.channels === b.channels;
  return clips.every(
    (c) =>
      c.videoCodec === first.videoCodec &&
      c.width === first.width &&
      c.height === first.height &&
      c.frameRate === first.frameRate &&
      c.timeBase === first.timeBase &&
      c.pixelFormat === first.pixelFormat &&
      sameAudio(c.audio, first.audio),
  );
}

/** The concat demuxer's list: one `file '<path>'` per clip, single quotes escaped. */
export function concatList(paths: readonly string[]): string {
  return paths.map((p) => `file '${p.replaceAll("'", "'\\''")}'\n`).join('');
}

export function streamCopyArgs(listPath: string, outPath: string): string[] {
  return [
    ...QUIET,
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    listPath,
    '-map',
    '0',
    '-c',
    'copy',
    '-movflags',
    '+faststart',
    outPath,
  ];
}

/** Crossfade no longer than half the shortest clip, so every clip stays visible. */
export function effectiveCrossfade(clips: readonly ClipInfo[], crossfadeSeconds: number): number {
  if (clips.length < 2 || crossfadeSeconds <= 0) return 0;
  const shortest = Math.min(...clips.map((c) => c.durationSeconds));
  return round3(Math.min(crossfadeSeconds, shortest / 2));
}

/** Duration the composed video must have: the sum of the clips, less one crossfade per joint. */
export function expectedDuration(clips: readonly ClipInfo[], crossfadeSeconds: number): number {
  const fade = effectiveCrossfade(clips, crossfadeSeconds);
  return clips.reduce((sum, c) => sum + c.durationSeconds, 0) - fade * Math.max(0, clips.length - 1);
}

/**
 * Re-encode: every clip scaled and padded to the output size, one frame rate, one pixel format,
 * its audio or silence (when any clip has audio), then joined by concat or by xfade/acrossfade.
 */
export function normalizeArgs(
  clips: readonly ClipInfo[],
  format: OutputFormat,
  outPath: string,
  crossfadeSeconds = 0,
): string[] {
  return [
    ...QUIET,
    ...clips.flatMap((c) => ['-i', c.path]),
    ...normalizeFilterArgs(clips, format, crossfadeSeconds),
    ...encodeArgs(
      outPath,
      clips.some((c) => c.audio !== null),
    ),
  ];
}

function encodeArgs(outPath: string, audio: boolean): string[] {
  return [
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    ...(audio ? ['-c:a', 'aac', '-b:a', '128k'] : []),
    '-movflags',
    '+faststart',
    outPath,
  ];
}

export function normalizeFilterArgs(
  clips: readonly ClipInfo[],
  format: OutputFormat,
  crossfadeSeconds = 0,
): string[] {
  const { width: w, height: h, fps } = format;
  const withAudio = clips.some((c) => c.audio !== null);
  const fade = effectiveCrossfade(clips, crossfadeSeconds);
  const chains: string[] = [];
  clips.forEach((c, i) => {
    chains.push(
      `[${i}:v]scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps},format=yuv420p,settb=AVTB[v${i}]`,
    );
    if (withAudio) {
      chains.push(
        c.audio
          ? `[${i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=0:${seconds(c.durationSeconds)}[a${i}]`
          : `anullsrc=r=48000:cl=stereo:d=${seconds(c.durationSeconds)},aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`,
      );
    }
  });
  const maps = ['-map', '[v]', ...(withAudio ? ['-map', '[a]'] : [])];
  if (clips.length === 1) {
    chains.push('[v0]null[v]');
    if (withAudio) chains.push('[a0]anull[a]');
    return ['-filter_complex', chains.join(';'), ...maps];
  }
  if (fade === 0) {
    const inputs = clips.map((_, i) => (withAudio ? `[v${i}][a${i}]` : `[v${i}]`)).join('');
    chains.push(
      `${inputs}concat=n=${clips.length}:v=1:a=${withAudio ? 1 : 0}${withAudio ? '[v][a]' : '[v]'}`,
    );
    return ['-filter_complex', chains.join(';'), ...maps];
  }
  // xfade: each offset is where the next clip starts fading in, measured on the joined output so far.
  let joined = clips[0]!.durationSeconds;
  let vPrev = 'v0';
  let aPrev = 'a0';
  for (let i = 1; i < clips.length; i++) {
    const last = i === clips.length - 1;
    const vOut = last ? 'v' : `vx${i}`;
    const aOut = last ? 'a' : `ax${i}`;
    chains.push(
      `[${vPrev}][v${i}]xfade=transition=fade:duration=${seconds(fade)}:offset=${seconds(joined - fade)}[${vOut}]`,
    );
    if (withAudio) chains.push(`[${aPrev}][a${i}]acrossfade=d=${seconds(fade)}[${aOut}]`);
    joined += clips[i]!.durationSeconds - fade;
    vPrev = vOut;
    aPrev = aOut;
  }
  return ['-filter_complex', chains.join(';'), ...maps];
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Seconds with at most millisecond precision and no exponent, as ffmpeg expects. */
function seconds(n: number): string {
  return String(round3(n));
}
