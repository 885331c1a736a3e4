import { createHash } from 'node:crypto';
import { type Mp4Track, parseMoov, readMp4Tracks } from '@framesmith/media';
import type { ClipInfo } from './ffmpeg-args.ts';

/**
 * What composition needs from an MP4's header, without spawning ffprobe. The codec configuration
 * is fingerprinted from the sample entry bytes (avcC/hvcC included), so "same fingerprint" means
 * the clips can be joined by stream copy.
 */

const fingerprint = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex').slice(0, 16);

/** ClipInfo from the MP4 header, or null when the file is not a plain MP4 this reader understands. */
export async function readMp4ClipInfo(path: string): Promise<ClipInfo | null> {
  const tracks = await readMp4Tracks(path);
  return tracks ? toClipInfo(path, tracks) : null;
}

/** ClipInfo from a `moov` box already read (the box's bytes, header included); null when it is not understood. */
export function clipInfoFromMoov(path: string, moov: Buffer): ClipInfo | null {
  try {
    return toClipInfo(path, parseMoov(moov));
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
