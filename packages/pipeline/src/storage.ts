import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Where clips and final videos live. A local directory by default (STORAGE_DIR); the interface
 * is small so an object store can stand in. Keys are relative paths such as
 * `projects/<id>/clips/<segment>-<attempt>.mp4`.
 */
export interface Storage {
  /** Moves a finished local file into storage under `key` (copying across file systems). */
  putFile(key: string, sourcePath: string): Promise<{ sizeBytes: number }>;
  /** Reads a stored file, optionally a byte range (inclusive end). */
  createReadStream(key: string, range?: { start: number; end: number }): Readable;
  /** Size of a stored file, or null when there is none. */
  stat(key: string): Promise<{ sizeBytes: number } | null>;
  delete(key: string): Promise<void>;
  deleteProjectFiles(projectId: string): Promise<void>;
  /** A path ffmpeg can read the file at. */
  localPath(key: string): string;
}

export const storageKeys = {
  clip: (projectId: string, segmentId: string, attempt: number, extension = 'mp4') =>
    `projects/${projectId}/clips/${segmentId}-${attempt}.${extension}`,
  final: (projectId: string, renderJobId: string) => `projects/${projectId}/renders/${renderJobId}.mp4`,
  project: (projectId: string) => `projects/${projectId}`,
};

export class LocalStorage implements Storage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  localPath(key: string): string {
    const clean = normalize(key);
    if (isAbsolute(clean) || clean === '..' || clean.startsWith(`..${sep}`) || clean.includes('\0')) {
      throw new Error(`Invalid storage key: ${key}`);
    }
    return join(this.root, clean);
  }

  async putFile(key: string, sourcePath: string): Promise<{ sizeBytes: number }> {
    const target = this.localPath(key);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(sourcePath, target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      // Another file system: copy to a temporary name first so a reader never sees half a file.
      const tmp = `${target}.part`;
      await copyFile(sourcePath, tmp);
      await rename(tmp, target);
      await unlink(sourcePath).catch(() => {});
    }
    return { sizeBytes: (await stat(target)).size };
  }

  createReadStream(key: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.localPath(key), range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<{ sizeBytes: number } | null> {
    try {
      const s = await stat(this.localPath(key));
      return s.isFile() ? { sizeBytes: s.size } : null;
    } catch {
      return null;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }

  async deleteProjectFiles(projectId: string): Promise<void> {
    await rm(this.localPath(storageKeys.project(projectId)), { recursive: true, force: true });
  }
}
