import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type CopyPiece, copyFilesInto } from '../../src/file-copier.ts';

const dir = mkdtempSync(join(tmpdir(), 'file-copier-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Files of the given sizes, and where each goes: one after another from `start`, each on a page. */
function piecesOf(name: string, sizes: number[], start = 4096): { pieces: CopyPiece[]; size: number } {
  let at = start;
  const pieces = sizes.map((length, i) => {
    const path = join(dir, `${name}-${i}.bin`);
    writeFileSync(path, randomBytes(length));
    const piece = { path, at, length };
    at += Math.ceil(length / 4096) * 4096;
    return piece;
  });
  const last = pieces.at(-1)!;
  return { pieces, size: last.at + last.length };
}

/** What the output must hold: the leading bytes as they were, each piece at its place, zeros between. */
function expected(lead: Buffer, pieces: CopyPiece[], size: number): Buffer {
  const out = Buffer.alloc(size);
  lead.copy(out, 0);
  for (const p of pieces) readFileSync(p.path).copy(out, p.at);
  return out;
}

/** Our own copy helpers: the children of this process (from /proc: field 4 of a stat is the parent). */
function helperPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false; // it ended meanwhile
      }
    })
    .map(Number);
}

function killHelpers(): void {
  for (const pid of helperPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // it left by itself
    }
  }
}

test('copies whole files to their places, after leading bytes it leaves alone, with zeros between', async () => {
  const { pieces, size } = piecesOf('a', [5000, 4096, 1, 300_000, 777]);
  const out = join(dir, 'a.out');
  const lead = Buffer.from('leading bytes written by the caller');
  writeFileSync(out, lead);
  await copyFilesInto(out, pieces, { size });
  assert.ok(readFileSync(out).equals(expected(lead, pieces, size)));
  // A second copy reuses the helper; two at once each get one.
  const outs = [join(dir, 'b.out'), join(dir, 'c.out')];
  for (const o of outs) writeFileSync(o, '');
  await Promise.all(outs.map((o) => copyFilesInto(o, pieces, { size })));
  for (const o of outs) assert.ok(readFileSync(o).equals(expected(Buffer.alloc(0), pieces, size)));
  assert.ok(helperPids().length >= 1, 'a helper is kept for the next copy');
});

test('a file that is not the length given, or is missing, fails the copy and names the clip', async () => {
  const { pieces, size } = piecesOf('d', [10_000, 20_000]);
  const out = join(dir, 'd.out');
  writeFileSync(out, '');
  const grown = pieces.map((p, i) => (i === 1 ? { ...p, length: p.length - 100 } : p));
  await assert.rejects(copyFilesInto(out, grown, { size }), /clip 2 changed while it was copied/);
  const shrunk = pieces.map((p, i) => (i === 0 ? { ...p, length: p.length + 100 } : p));
  await assert.rejects(copyFilesInto(out, shrunk, { size }), /clip 1 changed while it was copied/);
  const missing = [...pieces, { path: join(dir, 'nowhere.bin'), at: size + 4096, length: 10 }];
  await assert.rejects(copyFilesInto(out, missing, { size: size + 4106 }), /copying clip 3 failed/);
  // A helper that answered with a failure serves the next copy: none is left behind per failure.
  writeFileSync(out, '');
  await copyFilesInto(out, pieces, { size });
  assert.ok(readFileSync(out).equals(expected(Buffer.alloc(0), pieces, size)));
  assert.ok(helperPids().length <= 1, `helpers left: ${helperPids().length}`);
});

test('a helper killed while it waits, or with a job in hand, does not lose the copy', async () => {
  const { pieces, size } = piecesOf('e', [3_000_000, 3_000_000, 3_000_000]);
  const out = join(dir, 'e.out');
  writeFileSync(out, '');
  await copyFilesInto(out, pieces, { size }); // a helper now waits
  killHelpers();
  rmSync(out);
  writeFileSync(out, '');
  await copyFilesInto(out, pieces, { size });
  assert.ok(readFileSync(out).equals(expected(Buffer.alloc(0), pieces, size)));
  // A helper that takes its time to start is killed with the job written to it: the copy is
  // then made in this process.
  killHelpers();
  const slow = join(dir, 'slow-bin');
  execFileSync('mkdir', ['-p', slow]);
  const perl = execFileSync('sh', ['-c', 'command -v perl']).toString().trim();
  writeFileSync(join(slow, 'perl'), `#!/bin/sh\nsleep 2\nexec ${perl} "$@"\n`, { mode: 0o755 });
  const path = process.env.PATH;
  process.env.PATH = `${slow}:${path}`;
  rmSync(out);
  writeFileSync(out, '');
  let copying: Promise<void>;
  try {
    copying = copyFilesInto(out, pieces, { size });
  } finally {
    process.env.PATH = path;
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(readFileSync(out).length, 0, 'nothing copied yet');
  killHelpers();
  await copying;
  assert.ok(readFileSync(out).equals(expected(Buffer.alloc(0), pieces, size)));
});

test('between file systems the kernel will not copy across, the helper reads and writes', {
  skip: !existsSync('/dev/shm'),
}, async () => {
  const shm = mkdtempSync('/dev/shm/file-copier-test-');
  try {
    const paths = [join(shm, 'a.bin'), join(shm, 'b.bin')];
    for (const p of paths) writeFileSync(p, randomBytes(2_000_000));
    const pieces = paths.map((path, i) => ({ path, at: 4096 + i * 2_000_896, length: 2_000_000 }));
    const size = pieces[1]!.at + 2_000_000;
    const out = join(dir, 'shm.out');
    writeFileSync(out, '');
    await copyFilesInto(out, pieces, { size });
    assert.ok(readFileSync(out).equals(expected(Buffer.alloc(0), pieces, size)));
  } finally {
    rmSync(shm, { recursive: true, force: true });
  }
});

test('without Perl the copy is made in this process: the same bytes', () => {
  const { pieces, size } = piecesOf('f', [70_000, 5_000_000, 12]);
  const out = join(dir, 'f.out');
  writeFileSync(out, 'lead');
  const copier = fileURLToPath(new URL('../../src/file-copier.ts', import.meta.url));
  const script = `import { copyFilesInto } from ${JSON.stringify(copier)};
    await copyFilesInto(${JSON.stringify(out)}, ${JSON.stringify(pieces)}, { size: ${size} });`;
  // No PATH: perl cannot be found.
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: '' } });
  assert.equal(statSync(out).size, size);
  assert.ok(readFileSync(out).equals(expected(Buffer.from('lead'), pieces, size)));
});
