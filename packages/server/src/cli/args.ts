import { parseArgs } from 'node:util';

/**
 * The `framesmith` command line: which subcommand, and whether help was asked for. Pure, so the
 * exit codes (2 for a usage error) are unit-tested without starting anything.
 */
export const COMMANDS = ['start', 'api', 'worker', 'migrate', 'sim'] as const;
export type Command = (typeof COMMANDS)[number];

const ENV_NOTE = `Configuration comes from environment variables (PORT, DATA_DIR, DATABASE_URL, COMFYUI_URL, …);
see README.md for the full list and defaults.`;

export const USAGE = `Usage: framesmith <command> [--help]

Commands:
  start     Everything on one machine: API, worker and an embedded database in DATA_DIR
            (or PostgreSQL with DATABASE_URL); starts the ComfyUI simulator when COMFYUI_URL is unset
  api       The HTTP API and web UI only (scale-out: run several, with DATABASE_URL)
  worker    The render worker only (scale-out: run several, with DATABASE_URL and COMFYUI_URL)
  migrate   Apply database migrations and exit
  sim       The ComfyUI simulator (see framesmith sim --help)

Options:
  -h, --help     Show help for a command
  -v, --version  Show the version

${ENV_NOTE}
`;

export const COMMAND_HELP: Record<Exclude<Command, 'sim'>, string> = {
  start: `Usage: framesmith start

Runs Framesmith on one machine: the API and web UI on PORT (8000), the render worker, and an
embedded PostgreSQL (PGlite) in DATA_DIR (./data), migrated at start. With DATABASE_URL it uses that
PostgreSQL server instead. When COMFYUI_URL is unset, a ComfyUI simulator runs in the same process
and the UI marks the backend as simulated.

${ENV_NOTE}
`,
  api: `Usage: framesmith api

Runs the HTTP API and web UI on PORT (8000) without a worker. For scale-out, set DATABASE_URL
and run as many as you like behind a load balancer, with \`framesmith worker\` processes beside them.

${ENV_NOTE}
`,
  worker: `Usage: framesmith worker

Runs the render worker without the API: it takes segment and composition jobs from the queue
in the database and drives the ComfyUI servers listed in COMFYUI_URL. For scale-out, set
DATABASE_URL and STORAGE_DIR to storage every process shares.

${ENV_NOTE}
`,
  migrate: `Usage: framesmith migrate

Applies pending database migrations (to DATABASE_URL, or the embedded database in DATA_DIR) and
exits. Applying them again is a no-op. The other commands also migrate at start.

${ENV_NOTE}
`,
};

export type ParsedArgs =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'usage-error'; message: string; text: string }
  | { kind: 'run'; command: Exclude<Command, 'sim'> }
  /** `sim` takes its own flags, handed over untouched. */
  | { kind: 'sim'; args: string[] };

function isCommand(value: string): value is Command {
  return (COMMANDS as readonly string[]).includes(value);
}

export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'usage-error', message: 'No command given.', text: USAGE };
  if (first === '-h' || first === '--help' || first === 'help') {
    const topic = rest[0];
    if (topic && isCommand(topic) && topic !== 'sim') return { kind: 'help', text: COMMAND_HELP[topic] };
    return { kind: 'help', text: USAGE };
  }
  if (first === '-v' || first === '--version') return { kind: 'version' };
  if (!isCommand(first)) {
    const message = first.startsWith('-') ? `Unknown option: ${first}` : `Unknown command: ${first}`;
    return { kind: 'usage-error', message, text: USAGE };
  }
  if (first === 'sim') return { kind: 'sim', args: rest };
  const help = COMMAND_HELP[first];
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) return { kind: 'help', text: help };
    if (positionals.length > 0) {
      return { kind: 'usage-error', message: `Unexpected argument: ${positionals[0]}`, text: help };
    }
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const option = /'([^']+)'/.exec(text)?.[1];
    const message = option
      ? `Unknown option: ${option} (settings such as the port are environment variables, e.g. PORT=8080)`
      : text.split('\n')[0]!;
    return { kind: 'usage-error', message, text: help };
  }
  return { kind: 'run', command: first };
}
