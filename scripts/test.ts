// `npm test`: every suite in order (ARCHITECTURE §14), then one closing line with the totals.
// Usage: npm test [-- --only=unit,integration,...]
import { spawn } from 'node:child_process';
import { existsSync, globSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

interface Step {
  name: string;
  command: string[];
  env?: Record<string, string>;
  /** How to read passed/failed counts from the step's output. */
  counts?: 'node' | 'vitest' | 'playwright';
  files?: string[];
}

const nodeTest = (pattern: string) => globSync(pattern).sort();

const unitFiles = nodeTest('packages/*/test/unit/**/*.test.ts');
const integrationFiles = nodeTest('packages/*/test/integration/**/*.test.ts');
const e2eFiles = nodeTest('packages/*/test/e2e/**/*.test.ts');

const steps: Step[] = [
  { name: 'typecheck', command: ['npx', 'tsc', '--noEmit', '-p', 'tsconfig.json'] },
  { name: 'typecheck-web', command: ['npx', 'tsc', '--noEmit', '-p', 'packages/web/tsconfig.json'] },
  { name: 'lint', command: ['npx', 'biome', 'check', '.'] },
  {
    name: 'unit',
    command: ['node', '--test', '--test-concurrency=2', ...unitFiles],
    counts: 'node',
    files: unitFiles,
  },
  {
    name: 'integration (PGlite)',
    command: ['node', '--test', '--test-concurrency=2', ...integrationFiles],
    env: { TEST_DB: 'pglite' },
    counts: 'node',
    files: integrationFiles,
  },
  {
    name: 'integration (PostgreSQL)',
    command: ['node', '--test', '--test-concurrency=2', ...integrationFiles],
    env: { TEST_DB: 'postgres' },
    counts: 'node',
    files: integrationFiles,
  },
  {
    name: 'end-to-end with the simulator (PGlite)',
    command: ['node', '--test', '--test-concurrency=1', ...e2eFiles],
    env: { TEST_DB: 'pglite' },
    counts: 'node',
    files: e2eFiles,
  },
  {
    name: 'end-to-end with the simulator (PostgreSQL)',
    command: ['node', '--test', '--test-concurrency=1', ...e2eFiles],
    env: { TEST_DB: 'postgres' },
    counts: 'node',
    files: e2eFiles,
  },
  {
    name: 'web components',
    command: ['npm', 'run', 'test', '-w', 'packages/web', '--', '--reporter=default'],
    counts: 'vitest',
  },
  { name: 'build web', command: ['npm', 'run', 'build:web'] },
  {
    name: 'browser',
    command: ['npx', 'playwright', 'test', '-c', 'e2e/playwright.config.ts'],
    counts: 'playwright',
  },
];

const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const selected = steps.filter(
  (s) => (!only || only.some((o) => s.name.startsWith(o))) && (s.files === undefined || s.files.length > 0),
);

let passed = 0;
let failed = 0;
const failures: string[] = [];

function countFrom(kind: Step['counts'], out: string): { passed: number; failed: number } | null {
  const clean = stripVTControlCharacters(out);
  const last = (re: RegExp) => {
    const all = [...clean.matchAll(re)];
    return all.length ? Number(all[all.length - 1]![1]) : null;
  };
  if (kind === 'node') {
    const p = last(/^(?:ℹ|#) pass (\d+)/gm);
    const f = last(/^(?:ℹ|#) fail (\d+)/gm);
    if (p === null) return null;
    return { passed: p, failed: f ?? 0 };
  }
  if (kind === 'vitest') {
    const m = clean.match(/Tests\s+(?:(\d+) failed \| )?(\d+) passed/);
    if (!m) return null;
    return { passed: Number(m[2]), failed: Number(m[1] ?? 0) };
  }
  if (kind === 'playwright') {
    const p = clean.match(/(\d+) passed/);
    const f = clean.match(/(\d+) failed/);
    if (!p && !f) return null;
    return { passed: Number(p?.[1] ?? 0), failed: Number(f?.[1] ?? 0) };
  }
  return null;
}

for (const step of selected) {
  if (step.name === 'typecheck-web' && !existsSync('packages/web/tsconfig.json')) continue;
  if (step.name === 'browser' && !existsSync('e2e/playwright.config.ts')) continue;
  const started = Date.now();
  process.stdout.write(`\n=== ${step.name} ===\n`);
  const [cmd, ...args] = step.command;
  const child = spawn(cmd!, args, {
    env: { ...process.env, ...step.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    process.stdout.write(d);
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
    process.stderr.write(d);
  });
  const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const counts = step.counts ? countFrom(step.counts, out) : null;
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (code !== 0) {
    failures.push(step.name);
    if (!counts || counts.failed === 0) failed += 1;
    process.stdout.write(`=== ${step.name}: FAILED (exit ${code}, ${secs} s) ===\n`);
  } else {
    process.stdout.write(`=== ${step.name}: ok (${secs} s) ===\n`);
  }
}

if (failures.length) process.stdout.write(`\nFailed steps: ${failures.join(', ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failures.length ? 1 : 0);
