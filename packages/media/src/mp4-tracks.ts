import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Reads an MP4's tracks from its `moov` box in-process: ffprobe costs ~90 ms a call here before
 * it reads a byte (it loads ~200 shared libraries), and a render reads dozens of headers.
 * Anything unusual returns null and the caller falls back to ffprobe.
 */

interface Box {
  type: string;
  start: number;
  /** Offset of the payload (after the header). */
  body: number;
  end: number;
}

function* children(buf: Buffer, from: number, to: number): Generator<Box> {
  let off = from;
  while (off + 8 <= to) {
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    let header = 8;
    if (size === 1) {
      if (off + 16 > to) return;
      size = Number(buf.readBigUInt64BE(off + 8));
      header = 16;
    } else if (size === 0) {
      size = to - off;
    }
    if (size < header || off + size > to) return;
    yield { type, start: off, body: off + header, end: off + size };
    off += size;
  }
}

const child = (buf: Buffer, box: Box, type: string, skip = 0) => {
  for (const c of children(buf, box.body + skip, box.end)) if (c.type === type) return c;
  return undefined;
};

export interface Mp4Track {
  handler: string;
  timescale: number;
  duration: number;
  fourcc: string;
  /** The decoder configuration box of a video sample entry (avcC, hvcC, av1C, vpcC), if any. */
  config: Buffer | null;
  width: number;
  height: number;
  channels: number;
  sampleRate: number;
  /** Constant frame rate as "num/den", or null when sample durations vary. */
  frameRate: string | null;
}

/** Boxes holding the decoder configuration (SPS/PPS and the like), unlike btrt or pasp. */
const CONFIG_BOXES = new Set(['avcC', 'hvcC', 'av1C', 'vpcC']);

/**
 * The DecoderSpecificInfo of an MPEG-4 ES descriptor (for AAC, the AudioSpecificConfig: object
 * type, sample rate, channels), skipping the bitrates that differ from file to file.
 */
export function decoderSpecificInfo(descriptors: Buffer): Buffer | null {
  let off = 0;
  const readHeader = (): { tag: number; length: number } | null => {
    if (off >= descriptors.length) return null;
    const tag = descriptors[off++]!;
    let length = 0;
    for (let i = 0; i < 4 && off < descriptors.length; i++) {
      const b = descriptors[off++]!;
      length = (length << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    return { tag, length };
  };
  const es = readHeader();
  if (es?.tag !== 0x03) return null;
  const flags = descriptors[off + 2] ?? 0;
  off += 3; // ES_ID, flags
  if (flags & 0x80) off += 2; // dependsOn_ES_ID
  if (flags & 0x40) off += 1 + (descriptors[off] ?? 0); // URL
  if (flags & 0x20) off += 2; // OCR_ES_Id
  const dc = readHeader();
  if (dc?.tag !== 0x04) return null;
  off += 13; // objectTypeIndication, streamType, bufferSize, maxBitrate, avgBitrate
  const dsi = readHeader();
  if (dsi?.tag !== 0x05 || off + dsi.length > descriptors.length) return null;
  return descriptors.subarray(off, off + dsi.length);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Tracks of a `moov` box (the buffer holds exactly that box). */
export function parseMoov(moov: Buffer): Mp4Track[] {
  const root = [...children(moov, 0, moov.length)][0];
  if (root?.type !== 'moov') return [];
  const tracks: Mp4Track[] = [];
  for (const trak of children(moov, root.body, root.end)) {
    if (trak.type !== 'trak') continue;
    const mdia = child(moov, trak, 'mdia');
    if (!mdia) continue;
    const mdhd = child(moov, mdia, 'mdhd');
    const hdlr = child(moov, mdia, 'hdlr');
    const stbl = (() => {
      const minf = child(moov, mdia, 'minf');
      return minf ? child(moov, minf, 'stbl') : undefined;
    })();
    if (!mdhd || !hdlr || !stbl) continue;
    const v1 = moov[mdhd.body] === 1;
    const timescale = moov.readUInt32BE(mdhd.body + (v1 ? 20 : 12));
    const duration = v1 ? Number(moov.readBigUInt64BE(mdhd.body + 24)) : moov.readUInt32BE(mdhd.body + 16);
    const handler = moov.toString('latin1', hdlr.body + 8, hdlr.body + 12);
    const stsd = child(moov, stbl, 'stsd');
    // stsd: version/flags (4) and entry count (4) before the entries.
    const entry = stsd ? [...children(moov, stsd.body + 8, stsd.end)][0] : undefined;
    if (!entry || timescale === 0) continue;
    const e = entry.body;
    const stts = child(moov, stbl, 'stts');
    let frameRate: string | null = null;
    if (stts && moov.readUInt32BE(stts.body + 4) === 1) {
      const delta = moov.readUInt32BE(stts.body + 12);
      if (delta > 0) {
        const g = gcd(timescale, delta);
        frameRate = `${timescale / g}/${delta / g}`;
      }
    }
    let config: Buffer | null = null;
    if (handler === 'vide') {
      // Child boxes of a VisualSampleEntry follow its 78 bytes of fixed fields.
      for (const c of children(moov, e + 78, entry.end)) {
        if (CONFIG_BOXES.has(c.type)) config = moov.subarray(c.start, c.end);
      }
    } else if (handler === 'soun') {
      // ...and those of an AudioSampleEntry its 28 bytes; esds holds the real channel layout.
      for (const c of children(moov, e + 28, entry.end)) {
        if (c.type === 'esds') config = decoderSpecificInfo(moov.subarray(c.body + 4, c.end));
      }
    }
    tracks.push({
      handler,
      timescale,
      duration,
      fourcc: entry.type,
      config,
      // VisualSampleEntry: 6 reserved + 2 index + 16 predefined, then width, height.
      width: handler === 'vide' ? moov.readUInt16BE(e + 24) : 0,
      height: handler === 'vide' ? moov.readUInt16BE(e + 26) : 0,
      // AudioSampleEntry: 6 reserved + 2 index + 8 reserved, channels, sample size, 4 reserved, rate 16.16.
      channels: handler === 'soun' ? moov.readUInt16BE(e + 16) : 0,
      sampleRate: handler === 'soun' ? moov.readUInt32BE(e + 24) >>> 16 : 0,
      frameRate,
    });
  }
  return tracks;
}

/** One top-level box of an MP4 file: where it is, and its bytes when they were asked for. */
export interface TopLevelBox {
  type: string;
  start: number;
  headerSize: number;
  size: number;
  bytes?: Buffer;
}

const MAX_READ_BOX = 64 * 1024 * 1024;
/**
 * Bytes read at once: the boxes before the media data, or a short `moov`; a longer box takes one
 * read of its own size. Small on purpose: every page of a fresh buffer costs a fault, and a
 * composition reads dozens of headers (50 clips: 64 KB reads took ~3× as long).
 */
const READ_AHEAD = 4 * 1024;

type TopLevelBoxes = { fileSize: number; boxes: TopLevelBox[] };

/** A read the walk needs: `length` bytes at `at`, or fewer at the end of the file. */
interface ReadRequest {
  at: number;
  length: number;
}

/**
 * Walks an MP4's top-level boxes, reading the whole of those named in `read`. Stops after the
 * box named `stopAfter`, if given (the rest of the file may still be being written). Null when
 * a box header is malformed or runs past the end of the file, or a box to read is over 64 MB.
 */
export async function readTopLevelBoxes(
  path: string,
  read: readonly string[],
  stopAfter?: string,
): Promise<TopLevelBoxes | null> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const walk = walkTopLevelBoxes(size, read, stopAfter);
    for (let step = walk.next(); ; ) {
      if (step.done) return step.value && { fileSize: size, boxes: step.value };
      const buffer = Buffer.allocUnsafe(step.value.length);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, step.value.at);
      step = walk.next(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
}

/**
 * `readTopLevelBoxes` without waiting: for many files whose headers are in the page cache (a
 * composition's clips, just written), a few system calls each cost microseconds, while a trip
 * through the thread pool per call costs far more. The caller bounds how long it holds the thread.
 */
export function readTopLevelBoxesSync(
  path: string,
  read: readonly string[],
  stopAfter?: string,
): TopLevelBoxes | null {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    const walk = walkTopLevelBoxes(size, read, stopAfter);
    for (let step = walk.next(); ; ) {
      if (step.done) return step.value && { fileSize: size, boxes: step.value };
      const buffer = Buffer.allocUnsafe(step.value.length);
      const bytesRead = readSync(fd, buffer, 0, buffer.length, step.value.at);
      step = walk.next(buffer.subarray(0, bytesRead));
    }
  } finally {
    closeSync(fd);
  }
}

/** The walk itself, asking its driver for the bytes it needs: the same walk reads with or without waiting. */
function* walkTopLevelBoxes(
  size: number,
  read: readonly string[],
  stopAfter: string | undefined,
): Generator<ReadRequest, TopLevelBox[] | null, Buffer> {
  // The last read's bytes: a box that lies inside them costs no further read. Reads are few
  // and whole (a composition reads the headers of dozens of clips at once).
  let window: Buffer = Buffer.alloc(0);
  let windowAt = 0;
  function* bytesAt(off: number, length: number): Generator<ReadRequest, Buffer | null, Buffer> {
    if (off < windowAt || off + length > windowAt + window.length) {
      window = yield { at: off, length: Math.min(Math.max(length, READ_AHEAD), size - off) };
      windowAt = off;
      if (window.length < length) return null;
    }
    return window.subarray(off - windowAt, off - windowAt + length);
  }
  const boxes: TopLevelBox[] = [];
  for (let off = 0; off + 8 <= size; ) {
    const header = yield* bytesAt(off, Math.min(16, size - off));
    if (!header) return null;
    let boxSize = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    let headerSize = 8;
    if (boxSize === 1) {
      if (header.length < 16) return null;
      boxSize = Number(header.readBigUInt64BE(8));
      headerSize = 16;
    } else if (boxSize === 0) boxSize = size - off;
    if (boxSize < headerSize || off + boxSize > size) return null;
    const box: TopLevelBox = { type, start: off, headerSize, size: boxSize };
    if (read.includes(type)) {
      if (boxSize > MAX_READ_BOX) return null;
      const bytes = yield* bytesAt(off, boxSize);
      if (!bytes) return null;
      box.bytes = bytes;
    }
    boxes.push(box);
    if (type === stopAfter) break;
    off += boxSize;
  }
  return boxes;
}

/** The `moov` box at the start of these bytes: before any `mdat` and whole within them; else null. */
export function leadingMoov(bytes: Buffer): Buffer | null {
  for (const box of children(bytes, 0, bytes.length)) {
    if (box.type === 'mdat') return null;
    if (box.type === 'moov') return bytes.subarray(box.start, box.end);
  }
  return null; // no moov, or one (or an mdat) running past these bytes
}

/** The tracks of a plain (unfragmented) MP4, or null when the file is not one this reader understands. */
export async function readMp4Tracks(path: string): Promise<Mp4Track[] | null> {
  const file = await readTopLevelBoxes(path, ['moov'], 'moov');
  const moov = file?.boxes.find((b) => b.type === 'moov')?.bytes;
  return moov ? parseMoov(moov) : null;
}
