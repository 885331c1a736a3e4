/**
 * `framesmith sim`: runs the simulator until SIGINT/SIGTERM. Prints one line (the URL) to stdout;
 * with --verbose, fault and prompt logs go to stderr.
 */
import { readFileSync } from 'node:fs';
import { FaultSpecError, parseFaultArg, parseFaultList } from './faults.ts';
import { startSimulator } from './simulator.ts';
import { FAULT_KINDS, type FaultSpec, type SimOptions } from './types.ts';

export const SIM_USAGE = `Usage: framesmith sim [options]

Runs a simulated ComfyUI server (HTTP + WebSocket) that renders test clips with ffmpeg.

Options:
  --port <n>              port to listen on (default 8188; 0 picks a free one)
  --host <addr>           address to bind (default 127.0.0.1)
  --generation-ms <n>     simulated GPU time per prompt (default 1500)
  --steps <n>             progress steps per prompt (default 10)
  --output-dir <dir>      where output/, input/ and temp/ live (default: a temp directory)
  --fault <kind>[:count[:key=value,...]]
                          inject a fault (repeatable), e.g. --fault oom:2 --fault slow::ms=3000
  --faults-file <file>    JSON file: a list of faults or {"faults": [...]}
  --verbose               log prompts and faults to stderr
  --help                  show this help

Fault kinds: ${FAULT_KINDS.join(', ')}
Control endpoints: GET/POST/PUT/DELETE /sim/faults, GET /sim/stats, POST /sim/restart, POST /sim/down
`;

interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the process should stop (SIGINT/SIGTERM by default). */
  until?: Promise<unknown>;
}

function parseArgs(argv: string[]): { options: SimOptions; help: boolean; verbose: boolean } {
  const options: SimOptions = { port: 8188 };
  const faults: FaultSpec[] = [];
  let help = false;
  let verbose = false;
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new FaultSpecError(`${flag} needs a value`);
    return v;
  };
  const integer = (v: string, flag: string) => {
    if (!/^\d+$/.test(v)) throw new FaultSpecError(`${flag} must be a whole number, got "${v}"`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const take = () => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i += 1;
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        help = true;
        break;
      case '--verbose':
        verbose = true;
        break;
      case '--port':
        options.port = integer(take(), flag);
        break;
      case '--host':
        options.host = take();
        break;
      case '--generation-ms':
        options.generationMs = integer(take(), flag);
        break;
      case '--steps':
        options.steps = Math.max(1, integer(take(), flag));
        break;
      case '--output-dir':
        options.outputDir = take();
        break;
      case '--fault':
        faults.push(parseFaultArg(take()));
        break;
      case '--faults-file': {
        const file = take();
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          throw new FaultSpecError(`cannot read faults file ${file}`);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new FaultSpecError(`faults file ${file} is not valid JSON`);
        }
        faults.push(...parseFaultList(parsed));
        break;
      }
      default:
        throw new FaultSpecError(`unknown option ${raw}`);
    }
  }
  options.faults = faults;
  return { options, help, verbose };
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Runs the simulator CLI; resolves with the exit code (0 after a clean stop, 2 on bad usage, 1 on failure). */
export async function runSimCli(argv: string[], io?: Partial<CliIo>): Promise<number> {
  const out = io?.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io?.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    err(`framesmith sim: ${e instanceof Error ? e.message : String(e)}`);
    err(SIM_USAGE);
    return 2;
  }
  if (parsed.help) {
    out(SIM_USAGE);
    return 0;
  }
  if (parsed.verbose) parsed.options.log = (line) => err(`[comfy-sim] ${line}`);
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  try {
    sim = await startSimulator(parsed.options);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    err(
      code === 'EADDRINUSE'
        ? `framesmith sim: port ${parsed.options.port} is already in use`
        : `framesmith sim: could not start (${e instanceof Error ? e.message : String(e)})`,
    );
    return 1;
  }
  out(`ComfyUI simulator listening on ${sim.url}`);
  await (io?.until ?? signalled());
  await sim.close();
  return 0;
}
