/**
 * ffmpeg argument lists for the simulated "generation": the prompt text drawn over a moving test
 * pattern. Pure functions (no I/O), so the exact argv is unit-tested; render.ts runs them.
 */

export type MediaFormat = 'mp4' | 'webm' | 'webp' | 'gif' | 'png-sequence';

export interface RenderSpec {
  width: number;
  height: number;
  frames: number;
  fps: number;
  format: MediaFormat;
  /** Output file; for 'png-sequence' a pattern containing `%05d`. */
  outPath: string;
  /** A file holding the (already wrapped) prompt text; no text when null. */
  textFile: string | null;
  fontFile: string | null;
  /** First number of a png sequence (ComfyUI's counter). */
  startNumber?: number;
  /** animated webp: lossless or lossy. */
  lossless?: boolean;
}

/** Escapes a value for an option inside a filter, inside a filtergraph (ffmpeg-filters "Filtergraph escaping"). */
export function escapeFilterValue(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return optionLevel.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** Font size used for the prompt text, from the frame height. */
export function promptFontSize(height: number): number {
  return Math.max(10, Math.round(height / 20));
}

/** Wraps the prompt into lines that fit the frame, cutting it with an ellipsis when it is too long. */
export function wrapPromptText(text: string, width: number, height: number): string {
  const fontSize = promptFontSize(height);
  const perLine = Math.max(8, Math.floor((width * 0.9) / (fontSize * 0.6)));
  const maxLines = Math.max(1, Math.floor((height * 0.45) / (fontSize * 1.3)));
  const words = text.replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const w = word.length > perLine ? `${word.slice(0, perLine - 1)}…` : word;
    if (line && line.length + 1 + w.length > perLine) {
      lines.push(line);
      line = w;
    } else {
      line = line ? `${line} ${w}` : w;
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    const last = kept[maxLines - 1]!;
    kept[maxLines - 1] = `${last.length >= perLine ? last.slice(0, perLine - 1) : last}…`;
    return kept.join('\n');
  }
  return lines.join('\n');
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6)));
}

function videoFilter(spec: RenderSpec): string {
  const parts: string[] = [];
  if (spec.textFile !== null) {
    const size = promptFontSize(spec.height);
    const opts = [
      ...(spec.fontFile ? [`fontfile=${escapeFilterValue(spec.fontFile)}`] : []),
      `textfile=${escapeFilterValue(spec.textFile)}`,
      'expansion=none',
      `fontsize=${size}`,
      'fontcolor=white',
      'box=1',
      'boxcolor=black@0.6',
      `boxborderw=${Math.max(2, Math.round(size / 3))}`,
      `line_spacing=${Math.round(size / 4)}`,
      'x=(w-text_w)/2',
      `y=h-text_h-${size}`,
    ];
    parts.push(`drawtext=${opts.join(':')}`);
  }
  if (spec.format === 'mp4' || spec.format === 'webm') parts.push('format=yuv420p');
  if (spec.format === 'png-sequence') parts.push('format=rgb24');
  return parts.length > 0 ? parts.join(',') : 'null';
}

function codecArgs(spec: RenderSpec): string[] {
  switch (spec.format) {
    case 'mp4':
      return [
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
      ];
    case 'webm':
      return ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-f', 'webm'];
    case 'webp':
      return [
        '-c:v',
        'libwebp_anim',
        '-lossless',
        spec.lossless ? '1' : '0',
        '-quality',
        '80',
        '-loop',
        '0',
        '-f',
        'webp',
      ];
    case 'gif':
      return ['-f', 'gif'];
    case 'png-sequence':
      return ['-c:v', 'png', '-start_number', String(spec.startNumber ?? 1), '-f', 'image2'];
  }
}

/** The complete ffmpeg argv (without the binary) that renders one clip. */
export function buildRenderArgs(spec: RenderSpec): string[] {
  const size = `${spec.width}x${spec.height}`;
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=${formatNumber(spec.fps)}`,
    '-frames:v',
    String(spec.frames),
    '-vf',
    videoFilter(spec),
    ...codecArgs(spec),
    spec.outPath,
  ];
}
