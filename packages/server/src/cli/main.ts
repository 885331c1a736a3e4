import { parseCliArgs } from './args.ts';
import type { CliContext } from './run.ts';

/**
 * The `framesmith` command line. Help and usage errors answer at once; the modules that start
 * servers and databases load only when a command runs.
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number | 'running'> {
  const parsed = parseCliArgs(argv);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(parsed.text);
      return 0;
    case 'version':
      process.stdout.write(`${ctx.version}\n`);
      return 0;
    case 'usage-error':
      process.stderr.write(`framesmith: ${parsed.message}\n\n${parsed.text}`);
      return 2;
    default: {
      const { runCommand } = await import('./run.ts');
      return runCommand(parsed, ctx);
    }
  }
}
