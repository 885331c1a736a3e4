import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** Our own Perl helpers: the children of this process running perl. */
function helperPids(): number[] {
  const out = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)]).stdout.toString();
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'perl')
    .map(([pid]) => Number(pid));
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
});

test('a helper killed while it copies, or while it waits, does not lose the copy', async () => {
  const { pieces, size } = piecesOf('e', [3_000_000, 3_000_000, 3_000_000]);
  const out = join(dir, 'e.out');
  writeFileSync(out, '');
  await copyFilesInto(out, pieces, { size }); // a helper now waits
  for (const pid of helperPids()) process.kill(pid, 'SIGKILL');
  rmSync(out);
  writeFileSync(out, '');
  await copyFilesInto(out, pieces, { size });
  assert.ok(readFileSync(out).equals(expected(Buffer.alloc(0), pieces, size)));
  // Killed with the job in hand: the copy is made here instead.
  rmSync(out);
  writeFileSync(out, '');
  const copying = copyFilesInto(out, pieces, { size });
  for (const pid of helperPids()) process.kill(pid, 'SIGKILL');
  await copying;
  assert.ok(readFileSync(out).equals(expected(Buffer.alloc(0), pieces, size)));
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
