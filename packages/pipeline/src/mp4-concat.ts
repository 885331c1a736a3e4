import { spawn } from 'node:child_process';
import { type FileHandle, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Mp4File, readMp4File } from './mp4-header.ts';

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

function box(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

function serialize(node: Node): Buffer {
  if (!node.children) return node.raw;
  return box(node.type, Buffer.concat(node.children.map(serialize)));
}

const find = (nodes: Node[] | undefined, type: string) => nodes?.find((n) => n.type === type);
const body = (n: Node) => n.raw.subarray(8);

/** A full box's payload after version and flags. */
const fullBox = (n: Node) => ({ version: n.raw[8]!, data: n.raw.subarray(12) });

interface Clip {
  path: string;
  ftyp: Buffer;
  moov: Node[];
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
  if (!moov) return null;
  const data = mdat[0]!;
  return {
    path: file.path,
    ftyp: ftyp.bytes,
    moov,
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

/** What the output's `moov` and `mdat` are made of, before offsets are known. */
interface Merged {
  moov: (chunkBase: number) => Buffer;
  /** Whole clip files, in order: the output's media data is the clips' bytes as they are, each starting on a page. */
  ranges: { path: string; length: number }[];
}

function merge(clips: Clip[]): Merged | null {
  const tracks = clips.map((c) => trackOf(c.moov));
  if (tracks.some((t) => t === null)) return null;
  const ts = tracks as Track[];
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
  let dataBefore = 0;
  let mediaDuration = 0;
  let trackDuration = 0;
  const ranges: Merged['ranges'] = [];
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
      chunkOffsets.push(offset + dataBefore);
    }
    samples += count;
    chunks += offsets.length;
    dataBefore += alignUp(clip.fileSize);
    mediaDuration += readDuration(t.mdhd, ...MDHD);
    trackDuration += readDuration(t.tkhd, ...TKHD);
    ranges.push({ path: clip.path, length: clip.fileSize });
  }

  if (sizes.length === 0) return null;
  const allSame = sizes.every((s) => s === sizes[0]);
  // Only the chunk offsets depend on where the media data lands; the rest is built once.
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

  const moov = (chunkBase: number): Buffer => {
    const wide = chunkBase + dataBefore > 0xffffffff;
    const co = table(
      wide ? 'co64' : 'stco',
      0,
      chunkOffsets.length,
      chunkOffsets.map((o) => o + chunkBase),
      wide,
    );
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
    return serialize({ type: 'moov', raw: Buffer.alloc(0), children: replace(clips[0]!.moov) });
  };
  return { moov, ranges };
}

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
 * Joins the clips into `outPath`; false (nothing written) when they are not eligible. Clips are
 * given by path, or as already read with `readMp4File` (a composer reads them once for both).
 *
 * The output is our `ftyp` and `moov`, then one `mdat` holding every clip file whole, as it is
 * on disk (its own small header boxes included: inside `mdat` they are opaque bytes). The new
 * chunk offsets point at the samples where they sit in that copy. Copying whole files lets
 * `cat` do it, without the bytes passing through this process. A check can start as soon as
 * the first clip is on disk, while the rest is still being copied (`afterFirstClip`).
 */
export async function concatMp4(
  inputs: readonly (string | Mp4File)[],
  outPath: string,
  options: {
    /**
     * Called once the header and the first clip are on disk, while the others are still being
     * copied, with how many leading bytes of the file they are: a check that reads only the
     * header and the first frames can run alongside.
     */
    afterFirstClip?: (leadingBytes: number) => void;
    /**
     * Where the system does not show how far a copy has got (no /proc), a first clip up to this
     * size is copied through this process, so that `afterFirstClip` can be called before the rest.
     */
    inProcessFirstClipMaxBytes?: number;
  } = {},
): Promise<boolean> {
  if (inputs.length === 0) return false;
  const files = await Promise.all(inputs.map((f) => (typeof f === 'string' ? readMp4File(f) : f)));
  const clips = files.map((f) => (f ? clipOf(f) : null));
  if (clips.some((c) => c === null)) return false;
  let merged: Merged | null;
  try {
    merged = merge(clips as Clip[]);
  } catch {
    merged = null; // a table shorter than its count says: not a file this joiner handles
  }
  if (!merged) return false;
  const ftyp = clips[0]!.ftyp;
  // Each clip starts on a page boundary: the kernel copies whole pages then, not straddling ones
  // (measured here: 15–20 % faster). The gaps are zeros inside the mdat, which nothing reads.
  const last = merged.ranges.length - 1;
  const gaps = merged.ranges.map((r, i) => (i < last ? alignUp(r.length) - r.length : 0));
  const dataLength = merged.ranges.reduce((sum, r, i) => sum + r.length + gaps[i]!, 0);
  const headerFor = (moov: Buffer) => {
    let gap = (PAGE - ((ftyp.length + moov.length + 16) % PAGE)) % PAGE;
    if (gap > 0 && gap < 8) gap += PAGE; // a `free` box needs its 8-byte header
    const free = Buffer.alloc(gap);
    if (gap > 0) {
      free.writeUInt32BE(gap, 0);
      free.write('free', 4, 'latin1');
    }
    const mdatHead = Buffer.alloc(16);
    mdatHead.writeUInt32BE(1, 0);
    mdatHead.write('mdat', 4, 'latin1');
    mdatHead.writeBigUInt64BE(BigInt(16 + dataLength), 8);
    return Buffer.concat([ftyp, moov, free, mdatHead]);
  };
  // The moov's size does not depend on the offsets it holds (stco or co64 aside, which the
  // final offsets decide), so its length with placeholder offsets places the media data.
  let head = headerFor(merged.moov(0));
  head = headerFor(merged.moov(head.length));
  head = headerFor(merged.moov(head.length));
  const out = await open(outPath, 'w');
  const pads = padFiles(gaps); // made while the header is written
  pads.catch(() => {}); // awaited below
  try {
    const total = head.length + dataLength;
    // Where the system shows how far a copy has got, every clip is copied by the kernel and a
    // check starts once the first is on disk; elsewhere a small first clip passes through here.
    const tracked = (await positionOf(out)) !== null;
    const first = merged.ranges[0]!;
    const firstEnd = head.length + first.length + gaps[0]!;
    const firstInProcess =
      !tracked && first.length <= (options.inProcessFirstClipMaxBytes ?? IN_PROCESS_CLIP_MAX);
    if (firstInProcess) {
      // The header and a first clip of a few MB in one write.
      await out.writev([head, await readWhole(first), Buffer.alloc(gaps[0]!)]);
      options.afterFirstClip?.(firstEnd);
    } else {
      await out.write(head);
    }
    const { path: padPath } = await pads;
    const copied = merged.ranges.flatMap((r, i) => (gaps[i] ? [r.path, padPath(gaps[i]!)] : [r.path]));
    const copying = appendFiles(
      out,
      firstInProcess ? copied.slice(gaps[0] ? 2 : 1) : copied,
      // The final length set first only where the copy's end can be read back (see below).
      tracked ? { path: outPath, length: total } : undefined,
    );
    copying.catch(() => {}); // awaited below
    const firstOnDisk =
      options.afterFirstClip && !firstInProcess
        ? untilPast(out, firstEnd, copying).then((reached) => reached && options.afterFirstClip?.(firstEnd))
        : undefined;
    await copying;
    await firstOnDisk;
    // Where the copies left off: with the length set ahead, the size alone would not show a short copy.
    const written = (await positionOf(out)) ?? (await out.stat()).size;
    if (written !== total) {
      throw new Error(
        `the joined file has ${written} bytes, not ${total}: a clip changed while it was copied`,
      );
    }
  } finally {
    await out.close();
    await pads.then(
      (p) => p.remove(),
      () => {},
    );
  }
  return true;
}

/** A file of known length, in one read (readFile reads in 512 KB steps). */
async function readWhole(range: { path: string; length: number }): Promise<Buffer> {
  const file = await open(range.path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(range.length);
    const { bytesRead } = await file.read(buffer, 0, range.length, 0);
    if (bytesRead !== range.length) throw new Error('a clip changed while it was copied');
    return buffer;
  } finally {
    await file.close();
  }
}

/**
 * Appends the files at the handle's position: `cat` (a kernel copy) when it runs, else through
 * this process. With `preallocate` (for a caller that reads back where the copy ended: the size
 * no longer shows it), the file gets its final length and its blocks first (`fallocate`, where
 * the system has it): copying into allocated blocks of a file that does not grow is 10–20 %
 * faster here than appending.
 */
async function appendFiles(
  out: FileHandle,
  paths: readonly string[],
  preallocate?: { path: string; length: number },
): Promise<void> {
  if (paths.length === 0) return;
  const [command, args] = preallocate
    ? [
        'sh',
        [
          '-c',
          'fallocate -l "$0" -- "$1" 2>/dev/null; shift; exec cat -- "$@"',
          String(preallocate.length),
          preallocate.path,
          ...paths,
        ],
      ]
    : ['cat', ['--', ...paths]];
  const started = await new Promise<boolean>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', out.fd, 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-2000);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.syscall?.startsWith('spawn')) resolve(false);
      else reject(e);
    });
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      else reject(new Error(`copying the clips failed: ${stderr.trim() || `cat exited with ${code}`}`));
    });
  });
  if (started) return;
  // At the handle's position, moving it as `cat` would: the caller reads it back.
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (const path of paths) {
    const input = await open(path, 'r');
    try {
      for (;;) {
        const { bytesRead } = await input.read(buffer, 0, CHUNK);
        if (bytesRead === 0) break;
        await out.write(buffer, 0, bytesRead);
      }
    } finally {
      await input.close();
    }
  }
}

/**
 * Resolves true once the handle's position (moved by `copying`) reaches `offset`, or once the
 * copy succeeded; false when it failed. Polled: the kernel copies ~3 MB a millisecond here.
 */
async function untilPast(out: FileHandle, offset: number, copying: Promise<void>): Promise<boolean> {
  let settled: boolean | undefined;
  copying.then(
    () => {
      settled = true;
    },
    () => {
      settled = false;
    },
  );
  for (;;) {
    if (settled !== undefined) return settled;
    const at = await positionOf(out);
    if (at === null || at >= offset) return true;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * The handle's file position (Linux: /proc/self/fdinfo), which `cat` moved as it wrote: it
 * shares the open file with us. null where the system does not show it.
 */
async function positionOf(out: FileHandle): Promise<number | null> {
  try {
    const info = await readFile(`/proc/self/fdinfo/${out.fd}`, 'latin1');
    const pos = /^pos:\s*(\d+)/m.exec(info)?.[1];
    return pos === undefined ? null : Number(pos);
  } catch {
    return null;
  }
}

const CHUNK = 4 * 1024 * 1024;
/** Default of `inProcessFirstClipMaxBytes`: clips are a few MB; a long one is not read into memory. */
const IN_PROCESS_CLIP_MAX = 32 * 1024 * 1024;
const PAGE = 4096;
const alignUp = (n: number) => Math.ceil(n / PAGE) * PAGE;

/** Files of zeros, one per gap length, for `cat` to copy between the clips. */
async function padFiles(lengths: readonly number[]) {
  const distinct = [...new Set(lengths.filter((n) => n > 0))];
  const dir = distinct.length ? await mkdtemp(join(tmpdir(), 'framesmith-join-')) : null;
  const path = (n: number) => join(dir!, `zeros-${n}`);
  if (dir) await Promise.all(distinct.map((n) => writeFile(path(n), Buffer.alloc(n))));
  return { path, remove: () => (dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve()) };
}
