/**
 * ComfyUI's folders (output/, input/, temp/) and its file rules: /view path checks, /upload/image
 * naming, and folder_paths.get_save_image_path's subfolder and counter.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { PyError } from './py.ts';

export interface SimDirs {
  output: string;
  input: string;
  temp: string;
}

export function makeDirs(root: string): SimDirs {
  const dirs = {
    output: path.resolve(root, 'output'),
    input: path.resolve(root, 'input'),
    temp: path.resolve(root, 'temp'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return dirs;
}

export function dirByType(dirs: SimDirs, type: string): string | null {
  if (type === 'output') return dirs.output;
  if (type === 'input') return dirs.input;
  if (type === 'temp') return dirs.temp;
  return null;
}

/** Python os.path.commonpath((a, b)) === a, for absolute paths. */
function isWithin(base: string, target: string): boolean {
  const rel = path.relative(base, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** folder_paths.annotated_filepath: "name.png [output]" → ["name.png", output dir]. */
export function annotatedFilepath(name: string, dirs: SimDirs): [string, string | null] {
  if (name.endsWith('[output]')) return [name.slice(0, -9), dirs.output];
  if (name.endsWith('[input]')) return [name.slice(0, -8), dirs.input];
  if (name.endsWith('[temp]')) return [name.slice(0, -7), dirs.temp];
  return [name, null];
}

/** folder_paths.exists_annotated_filepath (LoadImage's VALIDATE_INPUTS). */
export function existsAnnotatedFilepath(name: string, dirs: SimDirs): boolean {
  const [file, base] = annotatedFilepath(name, dirs);
  return existsSync(path.join(base ?? dirs.input, file));
}

export type ViewResolution = { status: 400 | 403 | 404 } | { status: 200; file: string; filename: string };

/** GET /view's rules (server.py view_image), without the image conversions. */
export function resolveView(dirs: SimDirs, query: URLSearchParams): ViewResolution {
  if (!query.has('filename')) return { status: 404 };
  const [filename, annotatedDir] = annotatedFilepath(query.get('filename')!, dirs);
  if (!filename) return { status: 400 };
  if (filename.startsWith('/') || filename.includes('..')) return { status: 400 };
  let outputDir = annotatedDir ?? dirByType(dirs, query.get('type') ?? 'output');
  if (outputDir === null) return { status: 400 };
  if (query.has('subfolder')) {
    const full = path.resolve(outputDir, query.get('subfolder')!);
    if (!isWithin(outputDir, full)) return { status: 403 };
    outputDir = full;
  }
  const base = path.basename(filename);
  const file = path.join(outputDir, base);
  try {
    if (statSync(file).isFile()) return { status: 200, file, filename: base };
  } catch {
    // missing: 404 below
  }
  return { status: 404 };
}

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mkv': 'video/x-matroska',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.bmp': 'image/bmp',
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.wav': 'audio/x-wav',
  '.mp3': 'audio/mpeg',
  '.flac': 'audio/flac',
};

/** mimetypes.guess_type, with html/js/css forced to octet-stream as ComfyUI does. */
export function contentTypeFor(filename: string): string {
  return CONTENT_TYPES[path.extname(filename).toLowerCase()] ?? 'application/octet-stream';
}

/** Python os.path.normpath for a relative path ('' → '.'). */
function normpath(p: string): string {
  if (p === '') return '.';
  const n = path.normalize(p);
  return n.length > 1 && n.endsWith(path.sep) ? n.slice(0, -1) : n;
}

export interface SavePath {
  fullOutputFolder: string;
  filename: string;
  counter: number;
  subfolder: string;
}

/** folder_paths.get_save_image_path: where a save node writes and which counter it uses. */
export function getSaveImagePath(
  outputDir: string,
  filenamePrefix: string,
  width: number,
  height: number,
): SavePath {
  let prefix = filenamePrefix;
  if (prefix.includes('%')) {
    const now = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    prefix = prefix
      .replaceAll('%width%', String(width))
      .replaceAll('%height%', String(height))
      .replaceAll('%year%', String(now.getFullYear()))
      .replaceAll('%month%', pad(now.getMonth() + 1))
      .replaceAll('%day%', pad(now.getDate()))
      .replaceAll('%hour%', pad(now.getHours()))
      .replaceAll('%minute%', pad(now.getMinutes()))
      .replaceAll('%second%', pad(now.getSeconds()));
  }
  const norm = normpath(prefix);
  const dir = path.dirname(norm);
  const subfolder = dir === '.' ? '' : dir;
  const filename = path.basename(norm);
  const fullOutputFolder = path.join(outputDir, subfolder);
  if (!isWithin(outputDir, path.resolve(fullOutputFolder))) {
    throw new PyError(
      'Exception',
      `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${path.resolve(fullOutputFolder)}\n         output_dir: ${outputDir}`,
    );
  }
  const prefixLen = path.basename(prefix).length;
  let counter = 1;
  if (existsSync(fullOutputFolder)) {
    let best: [number, string] | null = null;
    for (const f of readdirSync(fullOutputFolder)) {
      const p = f.slice(0, prefixLen + 1);
      const digitsText = f.slice(prefixLen + 1).split('_')[0] ?? '';
      const digits = /^\s*[+-]?\d+\s*$/.test(digitsText) ? Number.parseInt(digitsText, 10) : 0;
      if (p.slice(0, -1).toLowerCase() !== filename.toLowerCase() || !p.endsWith('_')) continue;
      if (!best || digits > best[0] || (digits === best[0] && p > best[1])) best = [digits, p];
    }
    if (best) counter = best[0] + 1;
  } else {
    mkdirSync(fullOutputFolder, { recursive: true });
  }
  return { fullOutputFolder, filename, counter, subfolder };
}

export type UploadOutcome =
  | { status: 200; body: { name: string; subfolder: string; type: string } }
  | { status: 400 }
  | { status: 500 };

/** POST /upload/image (server.py image_upload). */
export function storeUpload(
  dirs: SimDirs,
  fields: {
    image: { name: string; bytes: Buffer } | null;
    imageIsText: boolean;
    type: string | null;
    subfolder: string | null;
    overwrite: string | null;
  },
): UploadOutcome {
  const type = fields.type ?? 'input';
  const uploadDir = dirByType(dirs, type);
  // An unknown type hits an unbound local in get_dir_by_type; a text field named image has no .file.
  if (uploadDir === null || fields.imageIsText) return { status: 500 };
  if (!fields.image) return { status: 400 };
  let filename = fields.image.name;
  if (!filename) return { status: 400 };
  const subfolder = fields.subfolder ?? '';
  const fullOutputFolder = path.join(uploadDir, normpath(subfolder));
  let filepath = path.resolve(fullOutputFolder, filename);
  if (!isWithin(uploadDir, filepath)) return { status: 400 };
  mkdirSync(fullOutputFolder, { recursive: true });
  const ext = path.extname(filename);
  const stem = filename.slice(0, filename.length - ext.length);
  let duplicate = false;
  if (fields.overwrite !== 'true' && fields.overwrite !== '1') {
    let i = 1;
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    while (existsSync(filepath)) {
      if (digest(readFileSync(filepath)) === digest(fields.image.bytes)) {
        duplicate = true;
        break;
      }
      filename = `${stem} (${i})${ext}`;
      filepath = path.join(fullOutputFolder, filename);
      i += 1;
    }
  }
  if (!duplicate) writeFileSync(filepath, fields.image.bytes);
  return { status: 200, body: { name: filename, subfolder, type } };
}

/** A small valid PNG (a colour gradient), for input/example.png as a fresh ComfyUI ships one. */
export function makePng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = Math.round((x / width) * 255);
      raw[row + 2 + x * 3] = Math.round((y / height) * 255);
      raw[row + 3 + x * 3] = 160;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function listInputFiles(dirs: SimDirs): string[] {
  try {
    return readdirSync(dirs.input).filter((f) => statSync(path.join(dirs.input, f)).isFile());
  } catch {
    return [];
  }
}
