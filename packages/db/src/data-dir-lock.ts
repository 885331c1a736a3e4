import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * PGlite does not stop two processes from opening one data directory (and corrupting it), so we
 * take an exclusive lock file. A lock left by a dead process on this host is taken over.
 */
export interface DataDirLock {
  path: string;
  release(): void;
}

export class DataDirLockedError extends Error {
  readonly holder: { pid: number; host: string; command: string; since: string };
  constructor(dataDir: string, holder: DataDirLockedError['holder']) {
    super(
      `The data directory ${dataDir} is in use by another Framesmith process (pid ${holder.pid} on ${holder.host}, ` +
        `"${holder.command}", since ${holder.since}). Stop that process, or set DATA_DIR to another directory, ` +
        'or use DATABASE_URL with PostgreSQL to run several processes.',
    );
    this.name = 'DataDirLockedError';
    this.holder = holder;
  }
}

const LOCK_NAME = 'framesmith.lock';

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_NAME);
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(path, 'wx');
      const info = {
        pid: process.pid,
        host: hostname(),
        command: process.argv.slice(1).join(' ').slice(0, 200),
        since: new Date().toISOString(),
      };
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          const current = JSON.parse(readFileSync(path, 'utf8')) as { pid: number };
          if (current.pid === process.pid) unlinkSync(path);
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return { path, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder && holder.host === hostname() && !isAlive(holder.pid)) {
        // Stale lock from a crashed process: take it over.
        try {
          unlinkSync(path);
        } catch {
          // another process raced us to it; loop and see
        }
        continue;
      }
      throw new DataDirLockedError(
        dataDir,
        holder ?? { pid: -1, host: 'unknown', command: 'unknown', since: 'unknown' },
      );
    }
  }
  throw new Error(`Could not take the lock ${path}`);
}

function readHolder(path: string): DataDirLockedError['holder'] | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
