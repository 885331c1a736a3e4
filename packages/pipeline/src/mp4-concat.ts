import { closeSync, openSync, readSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { copyFilesInto } from './file-copier.ts';
import { type Mp4File, readMp4Files } from './mp4-header.ts';

/**
 * Joins MP4 clips by stream copy without ffmpeg: the sample tables of the clips are merged into
 * one `moov` and their media data copied behind it, byte for byte. ffmpeg's concat demuxer spends
 * tens of milliseconds of decoding per input just to probe it; this reads only the headers.
 *
 * Deliberately narrow: every clip must have exactly one track (video), one `mdat`, no fragments,
 * the same codec configuration, timescales and edit list, and only the sample tables listed
 * below. Anything else returns false and the caller uses ffmpeg. The result is identical, packet
 * for packet, to ffmpeg's concat (the tests compare decoded frames).
 */

interface Node {
  type: string;
  /** Raw bytes of the whole box (leaves) — containers are rebuilt from children. */
  raw: Buffer;
  children?: Node[];
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts']);
const SAMPLE_TABLES = new Set(['stsd', 'stts', 'ctts', 'stss', 'stsz', 'stsc', 'stco', 'co64']);

function parseBoxes(buf: Buffer, from: number, to: number): Node[] | null {
  const nodes: Node[] = [];
  let off = from;
  while (off < to) {
    if (off + 8 > to) return null;
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(off + 8));
      header = 16;
    } else if (size === 0) size = to - off;
    if (size < header || off + size > to) return null;
    const raw = buf.subarray(off, off + size);
    if (CONTAINERS.has(type)) {
      const children = parseBoxes(buf, off + header, off + size);
      if (!children) return null;
      nodes.push({ type, raw, children });
    } else {
      nodes.push({ type, raw });
    }
    off += size;
  }
  return nodes;
}

/** A box's size: a leaf's bytes, or a container's header and children. */
function sizeOf(node: Node): number {
  return node.children ? node.children.reduce((sum, c) => sum + sizeOf(c), 8) : node.raw.length;
}

/**
 * Writes a box at `off` in `out` and returns where it ends. One buffer for the whole header:
 * every fresh allocation costs page faults, and a box per level would copy the tables again.
 */
function writeBox(node: Node, out: Buffer, off: number): number {
  if (!node.children) return off + node.raw.copy(out, off);
  out.write(node.type, off + 4, 'latin1');
  let end = off + 8;
  for (const child of node.children) end = writeBox(child, out, end);
  out.writeUInt32BE(end - off, off); // its size, now that its children are written
  return end;
}

const find = (nodes: Node[] | undefined, type: string) => nodes?.find((n) => n.type === type);
const body = (n: Node) => n.raw.subarray(8);

/** A full box's payload after version and flags. */
const fullBox = (n: Node) => ({ version: n.raw[8]!, data: n.raw.subarray(12) });

interface Clip {
  path: string;
  ftyp: Buffer;
  moov: Node[];
  moovSize: number;
  track: Track;
  /** The media data: where it starts in the file and how long it is. */
  dataStart: number;
  dataLength: number;
  fileSize: number;
}

function clipOf(file: Mp4File): Clip | null {
  const at = (type: string) => file.boxes.filter((b) => b.type === type);
  const [ftyp, moovBox, mdat] = [at('ftyp')[0], at('moov')[0], at('mdat')];
  // Fragmented, or several mdat boxes: not a file this joiner handles.
  if (at('moof').length > 0 || mdat.length !== 1 || !ftyp?.bytes || !moovBox?.bytes) return null;
  const moov = parseBoxes(moovBox.bytes, 8, moovBox.size);
  const track = moov && trackOf(moov);
  if (!moov || !track) return null;
  const data = mdat[0]!;
  return {
    path: file.path,
    ftyp: ftyp.bytes,
    moov,
    moovSize: moovBox.size,
    track,
    dataStart: data.start + data.headerSize,
    dataLength: data.size - data.headerSize,
    fileSize: file.fileSize,
  };
}

interface Track {
  mvhd: Node;
  tkhd: Node;
  elst: Node | null;
  mdhd: Node;
  stbl: Node;
  tables: Map<string, Node>;
}

function trackOf(moov: Node[]): Track | null {
  const traks = moov.filter((n) => n.type === 'trak');
  const mvhd = find(moov, 'mvhd');
  if (traks.length !== 1 || !mvhd) return null;
  const trak = traks[0]!;
  const tkhd = find(trak.children, 'tkhd');
  const mdia = find(trak.children, 'mdia');
  const mdhd = find(mdia?.children, 'mdhd');
  const hdlr = find(mdia?.children, 'hdlr');
  const stbl = find(find(mdia?.children, 'minf')?.children, 'stbl');
  if (!tkhd || !mdhd || !hdlr || !stbl?.children) return null;
  if (hdlr.raw.toString('latin1', 16, 20) !== 'vide') return null;
  const tables = new Map<string, Node>();
  for (const t of stbl.children) {
    if (!SAMPLE_TABLES.has(t.type)) return null; // a table we would not know how to merge
    tables.set(t.type, t);
  }
  const edts = find(trak.children, 'edts');
  const elst = find(edts?.children, 'elst') ?? null;
  return { mvhd, tkhd, elst, mdhd, stbl, tables };
}

const readDuration = (n: Node, v0At: number, v1At: number) => {
  const { version } = fullBox(n);
  return version === 1 ? Number(n.raw.readBigUInt64BE(8 + v1At)) : n.raw.readUInt32BE(8 + v0At);
};
const writeDuration = (n: Node, v0At: number, v1At: number, value: number): Node => {
  const raw = Buffer.from(n.raw);
  if (raw[8] === 1) raw.writeBigUInt64BE(BigInt(value), 8 + v1At);
  else {
    if (value > 0xffffffff) throw new RangeError('duration too long for a version 0 box');
    raw.writeUInt32BE(value, 8 + v0At);
  }
  return { type: n.type, raw };
};
// Offsets of the duration field after the 8-byte box header (version/flags included).
const MVHD = [16, 24] as const;
const TKHD = [20, 28] as const;
const MDHD = [16, 24] as const;
const timescaleOf = (n: Node) => n.raw.readUInt32BE(8 + (n.raw[8] === 1 ? 20 : 12));

/** The first elst entry (media_time, rate) as a comparable string, or '' without an edit list. */
function editKey(elst: Node | null): string | null {
  if (!elst) return '';
  const { version, data } = fullBox(elst);
  if (data.readUInt32BE(0) !== 1) return null; // only a single edit is understood
  return version === 1
    ? `${data.readBigInt64BE(12)}:${data.readUInt32BE(20)}`
    : `${data.readInt32BE(8)}:${data.readUInt32BE(12)}`;
}

/** The `count` rows of `width` 32-bit fields of a sample table, flattened. */
function rows(n: Node, width: number): number[] {
  const { data } = fullBox(n);
  const count = data.readUInt32BE(0);
  const out: number[] = new Array(count * width);
  for (let i = 0; i < count * width; i++) out[i] = data.readUInt32BE(4 + i * 4);
  return out;
}

/** A full box holding `count` then the given 32-bit fields (64-bit ones when `wide`), written in one buffer. */
function table(type: string, version: number, count: number, fields: readonly number[], wide = false): Node {
  const raw = Buffer.alloc(16 + fields.length * (wide ? 8 : 4));
  raw.writeUInt32BE(raw.length, 0);
  raw.write(type, 4, 'latin1');
  raw[8] = version;
  raw.writeUInt32BE(count, 12);
  for (let i = 0; i < fields.length; i++) {
    if (wide) raw.writeBigUInt64BE(BigInt(fields[i]!), 16 + i * 8);
    else raw.writeUInt32BE(fields[i]!, 16 + i * 4);
  }
  return { type, raw };
}

/** Where a clip's first chunk is in its own file, and where the joined header says it is. */
export interface Placement {
  path: string;
  sourceOffset: number;
  outputOffset: number;
}

/**
 * The output's `moov`, for media data that are the clip files whole, as they are, each at its
 * offset in `starts`, and where it places each clip's first chunk. Null when the clips cannot be
 * joined so.
 */
function merge(clips: Clip[], starts: readonly number[]): { moov: Node; placements: Placement[] } | null {
  const ts = clips.map((c) => c.track);
  const first = ts[0]!;
  const stsd = first.tables.get('stsd')!;
  const sameConfig = ts.every((t) => {
    const s = t.tables.get('stsd');
    return s && configOf(s)?.equals(configOf(stsd)!) && sampleEntryHead(s).equals(sampleEntryHead(stsd));
  });
  const movieScale = timescaleOf(first.mvhd);
  const mediaScale = timescaleOf(first.mdhd);
  const edit = editKey(first.elst);
  if (
    !configOf(stsd) ||
    !sameConfig ||
    edit === null ||
    ts.some(
      (t) =>
        timescaleOf(t.mvhd) !== movieScale ||
        timescaleOf(t.mdhd) !== mediaScale ||
        editKey(t.elst) !== edit ||
        t.tables.has('ctts') !== first.tables.has('ctts') ||
        t.tables.has('stss') !== first.tables.has('stss') ||
        (t.tables.has('ctts') && t.tables.get('ctts')!.raw[8] !== first.tables.get('ctts')!.raw[8]) ||
        !t.tables.has('stts') ||
        !t.tables.has('stsz') ||
        !t.tables.has('stsc') ||
        !(t.tables.has('stco') || t.tables.has('co64')),
    )
  ) {
    return null;
  }

  // Sample tables as flat 32-bit fields: stts and ctts [count, value]…, stsc [first chunk,
  // samples per chunk, description]…, stss [sample]…
  const stts: number[] = [];
  const ctts: number[] = [];
  const stss: number[] = [];
  const stsc: number[] = [];
  const sizes: number[] = [];
  const chunkOffsets: number[] = [];
  let samples = 0;
  let chunks = 0;
  let mediaDuration = 0;
  let trackDuration = 0;
  const firsts: { path: string; sourceOffset: number; chunk: number }[] = [];
  for (const [i, t] of ts.entries()) {
    const clip = clips[i]!;
    // Runs of equal durations are merged, as a muxer would write them.
    const durations = rows(t.tables.get('stts')!, 2);
    for (let k = 0; k < durations.length; k += 2) {
      if (stts.length > 0 && stts.at(-1) === durations[k + 1]) stts[stts.length - 2]! += durations[k]!;
      else stts.push(durations[k]!, durations[k + 1]!);
    }
    if (t.tables.has('ctts')) for (const field of rows(t.tables.get('ctts')!, 2)) ctts.push(field);
    if (t.tables.has('stss'))
      for (const sample of rows(t.tables.get('stss')!, 1)) stss.push(sample + samples);
    const chunking = rows(t.tables.get('stsc')!, 3);
    for (let k = 0; k < chunking.length; k += 3) {
      if (chunking[k + 2] !== 1) return null; // one sample description only
      stsc.push(chunking[k]! + chunks, chunking[k + 1]!, 1);
    }
    const stsz = fullBox(t.tables.get('stsz')!).data;
    const constant = stsz.readUInt32BE(0);
    const count = stsz.readUInt32BE(4);
    for (let k = 0; k < count; k++) sizes.push(constant || stsz.readUInt32BE(8 + k * 4));
    const co = t.tables.get('co64') ?? t.tables.get('stco')!;
    const offsets =
      co.type === 'co64'
        ? rows(co, 2).flatMap((v, k, all) => (k % 2 ? [] : [v * 2 ** 32 + all[k + 1]!]))
        : rows(co, 1);
    for (const offset of offsets) {
      if (offset < clip.dataStart || offset >= clip.dataStart + clip.dataLength) return null;
      chunkOffsets.push(offset + starts[i]!);
    }
    if (offsets.length > 0) firsts.push({ path: clip.path, sourceOffset: offsets[0]!, chunk: chunks });
    samples += count;
    chunks += offsets.length;
    mediaDuration += readDuration(t.mdhd, ...MDHD);
    trackDuration += readDuration(t.tkhd, ...TKHD);
  }

  if (sizes.length === 0) return null;
  const allSame = sizes.every((s) => s === sizes[0]);
  const fixedTables: Node[] = [stsd, table('stts', 0, stts.length / 2, stts)];
  if (first.tables.has('stss')) fixedTables.push(table('stss', 0, stss.length, stss));
  if (first.tables.has('ctts')) {
    fixedTables.push(table('ctts', first.tables.get('ctts')!.raw[8]!, ctts.length / 2, ctts));
  }
  fixedTables.push(table('stsc', 0, stsc.length / 3, stsc));
  // stsz: a constant size (and no list) when every sample has it.
  fixedTables.push(
    table('stsz', 0, allSame ? sizes[0]! : 0, allSame ? [sizes.length] : [sizes.length, ...sizes]),
  );

  const wide = chunkOffsets.some((o) => o > 0xffffffff);
  const co = table(wide ? 'co64' : 'stco', 0, chunkOffsets.length, chunkOffsets, wide);
  const newTables = [...fixedTables, co];
  const replace = (nodes: Node[]): Node[] =>
    nodes.map((n) => {
      if (n.type === 'stbl') return { type: 'stbl', raw: n.raw, children: newTables };
      if (n.type === 'mvhd') return writeDuration(n, ...MVHD, trackDuration);
      if (n.type === 'tkhd') return writeDuration(n, ...TKHD, trackDuration);
      if (n.type === 'mdhd') return writeDuration(n, ...MDHD, mediaDuration);
      if (n.type === 'elst') return withEditDuration(n, trackDuration);
      if (n.children) return { ...n, children: replace(n.children) };
      return n;
    });
  // Read back from the table as written: what a player will follow.
  const entry = (k: number) =>
    wide ? Number(co.raw.readBigUInt64BE(16 + k * 8)) : co.raw.readUInt32BE(16 + k * 4);
  return {
    moov: { type: 'moov', raw: Buffer.alloc(0), children: replace(clips[0]!.moov) },
    placements: firsts.map((f) => ({
      path: f.path,
      sourceOffset: f.sourceOffset,
      outputOffset: entry(f.chunk),
    })),
  };
}

/**
 * A check of the header against the copy: the bytes that begin the first chunk of the first and
 * of the last clip are read from them now (while the copy runs), and the returned check throws
 * unless the joined file holds them where its header places them. An error in where the header
 * places a clip moves every clip after it, so the last one shows it; reading every clip would
 * cost the composition a few per cent more for little.
 */
export function placementCheck(placements: readonly Placement[]): (outPath: string) => void {
  const checked = [...new Set([0, placements.length - 1])].filter((i) => i >= 0);
  const expected = checked.map((i) => {
    const p = placements[i]!;
    const clip = openSync(p.path, 'r');
    try {
      const bytes = Buffer.alloc(PLACEMENT_BYTES);
      return bytes.subarray(0, readSync(clip, bytes, 0, PLACEMENT_BYTES, p.sourceOffset));
    } finally {
      closeSync(clip);
    }
  });
  return (outPath) => {
    const out = openSync(outPath, 'r');
    try {
      const found = Buffer.alloc(PLACEMENT_BYTES);
      for (const [k, i] of checked.entries()) {
        const want = expected[k]!;
        const n = readSync(out, found, 0, want.length, placements[i]!.outputOffset);
        if (n !== want.length || !want.equals(found.subarray(0, n))) {
          throw new Error(`clip ${i + 1} is not where the joined header places it`);
        }
      }
    } finally {
      closeSync(out);
    }
  };
}

const PLACEMENT_BYTES = 32;

function withEditDuration(elst: Node, duration: number): Node {
  const raw = Buffer.from(elst.raw);
  if (raw[8] === 1) raw.writeBigUInt64BE(BigInt(duration), 16);
  else raw.writeUInt32BE(duration, 16);
  return { type: 'elst', raw };
}

/** The decoder configuration box inside the (single) sample entry. */
function configOf(stsd: Node): Buffer | null {
  const data = body(stsd);
  if (data.readUInt32BE(4) !== 1) return null;
  const entry = data.subarray(8);
  const size = entry.readUInt32BE(0);
  for (let off = 8 + 78; off + 8 <= size; ) {
    const s = entry.readUInt32BE(off);
    const type = entry.toString('latin1', off + 4, off + 8);
    if (s < 8) return null;
    if (type === 'avcC' || type === 'hvcC' || type === 'av1C' || type === 'vpcC')
      return entry.subarray(off, off + s);
    off += s;
  }
  return null;
}

/** The sample entry's fixed fields (codec, width, height, depth), without its optional boxes. */
function sampleEntryHead(stsd: Node): Buffer {
  return body(stsd).subarray(8 + 4, 8 + 8 + 78);
}

/**
 * Joins the clips into `outPath`; false (nothing left written) when they are not eligible. Clips are
 * given by path, or as already read with `readMp4Files` (a composer reads them once for both).
 *
 * The output is our `ftyp` and `moov`, then one `mdat` holding every clip file whole, as it is
 * on disk (its own small header boxes included: inside `mdat` they are opaque bytes). The new
 * chunk offsets point at the samples where they sit in that copy. Copying whole files lets the
 * kernel do it (file-copier.ts), without the bytes passing through this process. A check of the
 * header can start as soon as it is on disk, while the clips are still being copied (`afterHeader`).
 */
export async function concatMp4(
  inputs: readonly (string | Mp4File)[],
  outPath: string,
  options: {
    /**
     * Called once the header is on disk, while the clips may still be being copied, with its
     * length (everything before the media data): a check of the header can run alongside.
     */
    afterHeader?: (headerBytes: number) => void;
  } = {},
): Promise<boolean> {
  if (inputs.length === 0) return false;
  const toRead = inputs.filter((f) => typeof f === 'string');
  const read = toRead.length > 0 ? await readMp4Files(toRead) : [];
  const files = inputs.map((f) => (typeof f === 'string' ? read.shift()! : f));
  const clips = files.map((f) => (f ? clipOf(f) : null));
  if (clips.some((c) => c === null)) return false;
  const ok = clips as Clip[];
  // Each clip starts on a page boundary: the kernel copies whole pages then, not straddling ones
  // (measured here: 15–20 % faster). The gaps are zeros inside the mdat, which nothing reads.
  const dataLength = ok.reduce(
    (sum, c, i) => sum + (i < ok.length - 1 ? alignUp(c.fileSize) : c.fileSize),
    0,
  );
  // The copy starts before the header is made, behind room enough for it: the joined moov is
  // no larger than the clips' moovs together (its tables are theirs, merged; its other boxes the
  // first clip's), plus the sample sizes a clip of one constant size does not list but a join of
  // different ones must, twice that if its chunk offsets may need 64 bits (with a page or two to
  // spare). What the moov leaves of the room is a `free` box.
  const ftyp = ok[0]!.ftyp;
  const moovs = ok.reduce((sum, c) => sum + c.moovSize + unlistedSizesBytes(c), 0);
  const mayBeWide = ftyp.length + moovs * 2 + 3 * PAGE + dataLength > 0xffffffff;
  const room = mayBeWide ? moovs * 2 : moovs;
  const dataStart = alignUp(ftyp.length + room + 8 + 16);
  let at = dataStart;
  const pieces = ok.map((c) => {
    const piece = { path: c.path, at, length: c.fileSize };
    at += alignUp(c.fileSize);
    return piece;
  });
  const out = await open(outPath, 'w');
  let copying: Promise<void> | undefined;
  try {
    copying = copyFilesInto(outPath, pieces, { size: dataStart + dataLength });
    copying.catch(() => {}); // awaited below
    let head: Buffer | null;
    let placements: Placement[] = [];
    try {
      const merged = merge(
        ok,
        pieces.map((p) => p.at),
      );
      head = merged && headerOf(ftyp, merged.moov, dataStart, dataLength);
      placements = merged?.placements ?? [];
    } catch {
      head = null; // a table shorter than its count says: not a file this joiner handles
    }
    if (!head) {
      // Rare: the composer joins only clips whose formats agree. The copy under way is wasted.
      await copying.catch(() => {});
      await rm(outPath, { force: true });
      return false;
    }
    await out.write(head, 0, head.length, 0);
    options.afterHeader?.(head.length);
    const checkPlacement = placementCheck(placements);
    await copying;
    checkPlacement(outPath);
  } catch (e) {
    await copying?.catch(() => {});
    await rm(outPath, { force: true });
    throw e;
  } finally {
    await out.close();
  }
  return true;
}

/** What listing a clip's sample sizes would take, when its `stsz` gives one size for all instead. */
function unlistedSizesBytes(clip: Clip): number {
  const stsz = clip.track.tables.get('stsz');
  if (!stsz || stsz.raw.length < 20) return 0;
  const { data } = fullBox(stsz);
  return data.readUInt32BE(0) === 0 ? 0 : 4 * data.readUInt32BE(4);
}

/**
 * ftyp, moov, a `free` box up to where the media data start, and the mdat's 16-byte header;
 * null should the moov not fit (it cannot, by the bound above: then ffmpeg joins them).
 */
function headerOf(ftyp: Buffer, moov: Node, dataStart: number, dataLength: number): Buffer | null {
  if (ftyp.length + sizeOf(moov) + 8 + 16 > dataStart) return null;
  const head = Buffer.alloc(dataStart);
  const end = writeBox(moov, head, ftyp.copy(head, 0));
  const free = dataStart - 16 - end;
  head.writeUInt32BE(free, end);
  head.write('free', end + 4, 'latin1');
  head.writeUInt32BE(1, dataStart - 16);
  head.write('mdat', dataStart - 12, 'latin1');
  head.writeBigUInt64BE(BigInt(16 + dataLength), dataStart - 8);
  return head;
}

const PAGE = 4096;
const alignUp = (n: number) => Math.ceil(n / PAGE) * PAGE;
