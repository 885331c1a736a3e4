import { createHash } from 'node:crypto';
import { type Mp4Track, parseMoov, readTopLevelBoxesSync, type TopLevelBox } from '@framesmith/media';
import type { ClipInfo } from './ffmpeg-args.ts';

/**
 * What composition needs from an MP4's header, without spawning ffprobe. The codec configuration
 * is fingerprinted from the sample entry bytes (avcC/hvcC included), so "same fingerprint" means
 * the clips can be joined by stream copy.
 */

const fingerprint = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex').slice(0, 16);

/**
 * An MP4's top-level boxes, with the bytes of its `ftyp` and `moov`: all that composition reads
 * of a clip, both for its format and for the MP4 joiner.
 */
export interface Mp4File {
  path: string;
  fileSize: number;
  boxes: TopLevelBox[];
}

/**
 * Reads the top-level boxes of many clips (null for any that is not an MP4), in batches read
 * without waiting: their headers were just written and are in the page cache, where a few
 * system calls cost microseconds and a trip through the thread pool per call costs far more
 * (50 clips: ~2 ms against 5–15 ms here). The event loop gets its turn between batches.
 */
export async function readMp4Files(paths: readonly string[]): Promise<(Mp4File | null)[]> {
  const files: (Mp4File | null)[] = [];
  for (let i = 0; i < paths.length; i++) {
    if (i > 0 && i % SYNC_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
    const path = paths[i]!;
    let file: ReturnType<typeof readTopLevelBoxesSync> = null;
    try {
      file = readTopLevelBoxesSync(path, ['ftyp', 'moov']);
    } catch {
      // unreadable: the caller's ffprobe says why
    }
    files.push(file ? { path, ...file } : null);
  }
  return files;
}

/** Clips read between two turns of the event loop: well under a millisecond when cached. */
const SYNC_BATCH = 16;

/** ClipInfo from the MP4 header, or null when the file is not a plain MP4 this reader understands. */
export async function readMp4ClipInfo(path: string): Promise<ClipInfo | null> {
  const [file] = await readMp4Files([path]);
  return file ? clipInfoOf(file) : null;
}

/** ClipInfo from a clip's boxes already read; null when its `moov` is missing or not understood. */
export function clipInfoOf(file: Mp4File): ClipInfo | null {
  const moov = file.boxes.find((b) => b.type === 'moov')?.bytes;
  if (!moov) return null;
  try {
    return toClipInfo(file.path, parseMoov(moov));
  } catch {
    return null; // a malformed box: ffprobe gets to say what is wrong with it
  }
}

function toClipInfo(path: string, tracks: Mp4Track[]): ClipInfo | null {
  const video = tracks.find((t) => t.handler === 'vide');
  if (!video?.frameRate || video.width === 0 || !video.config) return null;
  const audio = tracks.find((t) => t.handler === 'soun');
  const config = fingerprint(video.config);
  return {
    path,
    videoCodec: video.fourcc,
    width: video.width,
    height: video.height,
    frameRate: video.frameRate,
    timeBase: `1/${video.timescale}`,
    // Same configuration bytes means the same decoder setup (profile, chroma, bit depth, SPS/PPS).
    pixelFormat: `mp4:${config}`,
    durationSeconds: video.duration / video.timescale,
    audio: audio
      ? {
          // The AudioSpecificConfig names the true channel layout; the sample entry's count is often a fixed 2.
          codec: audio.config ? `${audio.fourcc}:${fingerprint(audio.config)}` : audio.fourcc,
          sampleRate: audio.sampleRate,
          channels:
            audio.config && audio.fourcc === 'mp4a'
              ? (aacChannels(audio.config) ?? audio.channels)
              : audio.channels,
        }
      : null,
  };
}

/** Channel configuration of an AAC AudioSpecificConfig (bits 9–12 after a 5-bit object type and 4-bit rate index). */
function aacChannels(asc: Buffer): number | null {
  if (asc.length < 2) return null;
  const objectType = asc[0]! >> 3;
  const rateIndex = ((asc[0]! & 0x07) << 1) | (asc[1]! >> 7);
  if (objectType === 31 || rateIndex === 15) return null; // escape codes: leave it to the sample entry
  const channels = (asc[1]! >> 3) & 0x0f;
  return channels >= 1 && channels <= 6 ? channels : channels === 7 ? 8 : null;
}
