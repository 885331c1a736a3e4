import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { COMMAND_HELP, USAGE, parseCliArgs } from '../../src/cli/args.ts';

describe('framesmith arguments', () => {
  test('each command runs; --help gives its help', () => {
    for (const command of ['start', 'api', 'worker', 'migrate'] as const) {
      assert.deepEqual(parseCliArgs([command]), { kind: 'run', command });
      assert.deepEqual(parseCliArgs([command, '--help']), { kind: 'help', text: COMMAND_HELP[command] });
      assert.deepEqual(parseCliArgs([command, '-h']), { kind: 'help', text: COMMAND_HELP[command] });
      assert.deepEqual(parseCliArgs(['help', command]), { kind: 'help', text: COMMAND_HELP[command] });
    }
    assert.deepEqual(parseCliArgs(['--help']), { kind: 'help', text: USAGE });
    assert.deepEqual(parseCliArgs(['--version']), { kind: 'version' });
  });

  test('sim hands its flags over untouched', () => {
    assert.deepEqual(parseCliArgs(['sim', '--port', '8188', '--help']), {
      kind: 'sim',
      args: ['--port', '8188', '--help'],
    });
  });

  test('no command, unknown commands, unknown flags and stray arguments are usage errors', () => {
    const cases: [string[], RegExp][] = [
      [[], /No command/],
      [['deploy'], /Unknown command: deploy/],
      [['--verbose'], /Unknown option: --verbose/],
      [['start', '--port', '8080'], /Unknown option: --port.*PORT=8080/],
      [['api', '-x'], /Unknown option: -x/],
      [['migrate', 'now'], /Unexpected argument: now/],
    ];
    for (const [argv, message] of cases) {
      const parsed = parseCliArgs(argv);
      assert.equal(parsed.kind, 'usage-error', argv.join(' '));
      if (parsed.kind === 'usage-error') {
        assert.match(parsed.message, message);
        assert.match(parsed.text, /^Usage: framesmith/);
      }
    }
  });
});

describe('framesmith bin', () => {
  const bin = resolve(import.meta.dirname, '../../../../bin/framesmith.ts');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 30_000,
    });

  test('unknown command and bad flag: usage on stderr, exit 2', () => {
    for (const args of [['frobnicate'], ['start', '--bogus'], []]) {
      const r = run(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: framesmith/);
    }
  });

  test('--help exits 0 with usage on stdout', () => {
    const r = run(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Commands:/);
    assert.match(run(['worker', '--help']).stdout, /Usage: framesmith worker/);
  });

  test('an invalid setting stops at start with a message naming the variable, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'framesmith-cli-'));
    try {
      const cases: [Record<string, string>, RegExp][] = [
        [{ PORT: 'eighty' }, /PORT: must be a number/],
        [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: must start with postgres/],
        [{ COMFYUI_URL: 'gpu-box' }, /COMFYUI_URL: .*http/],
        [{ GENERATION_MAX_ATTEMPTS: '0' }, /GENERATION_MAX_ATTEMPTS: must be at least 1/],
      ];
      for (const [env, message] of cases) {
        const r = run(['migrate'], { DATA_DIR: dir, ...env });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
