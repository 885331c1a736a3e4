import { execFileSync } from 'node:child_process';

/** A tiny real clip made by ffmpeg (test pattern, optional tone), for composition tests. */
export function makeClip(
  path: string,
  opts: {
    width?: number;
    height?: number;
    fps?: number;
    seconds?: number;
    audio?: boolean;
    channels?: number;
    codec?: string;
  } = {},
): string {
  const {
    width = 64,
    height = 64,
    fps = 12,
    seconds = 1,
    audio = false,
    channels = 1,
    codec = 'libx264',
  } = opts;
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
    ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`] : []),
    '-c:v',
    codec,
    ...(codec === 'libx264' ? ['-preset', 'ultrafast'] : []),
    '-pix_fmt',
    'yuv420p',
    ...(audio ? ['-c:a', 'aac', '-ac', String(channels), '-shortest'] : []),
    path,
  ]);
  return path;
}
