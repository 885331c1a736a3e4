// The benchmarks that run the server in their own process run it as `npm start` does: with the
// Node flags of package.json's start script. They matter to what is measured: V8's young
// generation size, for one, sets how often the collector stops the server.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The Node flags `npm start` gives the server (those before bin/framesmith.ts). */
export function serverNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const command = pkg.scripts.start!.split('&&').find((c) => c.includes('bin/framesmith.ts')) ?? '';
  const words = command.trim().split(/\s+/);
  return words.slice(0, words.indexOf('bin/framesmith.ts')).filter((w) => w.startsWith('--'));
}

/** Runs this script again with the server's Node flags when it lacks any, and exits with its status. */
export function rerunWithServerFlags(): void {
  const missing = serverNodeFlags().filter((f) => !process.execArgv.includes(f));
  if (missing.length === 0) return;
  const run = spawnSync(process.execPath, [...process.execArgv, ...missing, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(run.status ?? 1);
}
