import type { FileRef, NodeOutput } from './comfy-types.ts';

/** One video file a finished prompt produced, as history lists it (reference §3). */
export interface MediaOutput {
  nodeId: string;
  /** The history key it came from: `images` (with `animated`), `gifs`, `videos`, `video`. */
  key: string;
  ref: FileRef;
}

const MEDIA_KEYS = ['images', 'gifs', 'videos', 'video'] as const;
const VIDEO_EXT = /\.(mp4|webm|mov|mkv|avi|m4v|gif)$/i;

/**
 * Collects every video among a prompt's outputs. Core SaveVideo and SaveWEBM report videos under
 * `images` (with `animated: [true]`), VideoHelperSuite under `gifs`; still images are not videos
 * and are listed in `other` so an error can say what was produced instead.
 */
export function collectMediaOutputs(outputs: Record<string, NodeOutput> | null | undefined): {
  videos: MediaOutput[];
  other: string[];
} {
  const videos: MediaOutput[] = [];
  const other: string[] = [];
  for (const [nodeId, out] of Object.entries(outputs ?? {})) {
    if (!out || typeof out !== 'object') continue;
    const animated = Array.isArray(out.animated) ? (out.animated as unknown[]) : [];
    for (const [key, list] of Object.entries(out)) {
      if (key === 'animated') continue;
      if (!(MEDIA_KEYS as readonly string[]).includes(key) || !Array.isArray(list)) {
        if (Array.isArray(list) ? list.length > 0 : list != null) other.push(key);
        continue;
      }
      list.forEach((item: unknown, i: number) => {
        const ref = toFileRef(item);
        if (!ref) return;
        const isAnimated = animated[i] === true || (animated.length === 1 && animated[0] === true);
        const isVideo = key !== 'images' || isAnimated || VIDEO_EXT.test(ref.filename);
        if (isVideo) videos.push({ nodeId, key, ref });
        else other.push(`${key}: ${ref.filename}`);
      });
    }
  }
  return { videos, other };
}

function toFileRef(item: unknown): FileRef | null {
  if (!item || typeof item !== 'object') return null;
  const o = item as Record<string, unknown>;
  if (typeof o.filename !== 'string' || o.filename === '') return null;
  return {
    filename: o.filename,
    subfolder: typeof o.subfolder === 'string' ? o.subfolder : '',
    type: typeof o.type === 'string' ? o.type : 'output',
  };
}
