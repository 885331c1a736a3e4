import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pg from 'pg';
import { type Config, ConfigError, parseConfig } from '@framesmith/core';
import { type Database, DataDirLockedError, openDb } from '@framesmith/db';
import { buildApp } from '../app.ts';
import type { AppDeps, RoutePlugin } from '../deps.ts';
import { createLogger } from '../logger.ts';
import { type OpsPipelineParts, opsFromPipeline, startOps } from '../ops.ts';
import { pipelineRoutes } from '../routes/renders.ts';
import type { ParsedArgs } from './args.ts';
import {
  type RunningPipeline,
  type RunningSimulator,
  type StartSimulator,
  loadPipeline,
  loadSimCli,
  loadSimulator,
  simulatorUrl,
  stopSimulator,
} from './extensions.ts';

export interface CliContext {
  /** The repository root (for the built web UI). */
  rootDir: string;
  version: string;
  env: Record<string, string | undefined>;
}

/** What a command leaves running: stopped in reverse order on SIGINT/SIGTERM. */
type Stopper = () => Promise<void>;

const say = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const complain = (text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

/**
 * Runs one command after the arguments were parsed (cli/main.ts). Resolves to an exit code, or
 * to 'running' when a server or worker was started and the process lives until a signal stops it.
 */
export async function runCommand(
  parsed: Extract<ParsedArgs, { kind: 'run' | 'sim' }>,
  ctx: CliContext,
): Promise<number | 'running'> {
  if (parsed.kind === 'sim') return runSim(parsed.args);
  const stoppers: Stopper[] = [];
  try {
    const config = parseConfig(ctx.env);
    const logger = createLogger(config, { role: parsed.command }) as FastifyBaseLogger;
    switch (parsed.command) {
      case 'migrate': {
        const database = await openConfiguredDb(config);
        await database.close();
        say(`Database is up to date (${describeDb(config)}).`);
        return 0;
      }
      case 'worker':
        await startWorker(config, logger, stoppers);
        break;
      case 'api':
      case 'start':
        await startServer(parsed.command, config, logger, ctx, stoppers);
        break;
    }
    stopOnSignals(stoppers, logger);
    return 'running';
  } catch (err) {
    await stopAll(stoppers);
    complain(startFailure(err, ctx.env));
    return 1;
  }
}

function describeDb(config: Config): string {
  return config.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : `embedded PostgreSQL in ${config.DATA_DIR}`;
}

function startFailure(err: unknown, env: Record<string, string | undefined>): string {
  if (err instanceof ConfigError) return `framesmith: ${err.message}`;
  if (err instanceof DataDirLockedError) return `framesmith: ${err.message}`;
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e?.code === 'EADDRINUSE') {
    return `framesmith: port ${env.PORT ?? 8000} is already in use. Stop what is using it, or set PORT to another port.`;
  }
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOTFOUND' || e?.code === '28P01' || e?.code === '3D000') {
    return 'framesmith: could not connect to the database in DATABASE_URL. Check that PostgreSQL is running and the URL is right.';
  }
  const detail = env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace' ? `\n${e?.stack ?? ''}` : '';
  return `framesmith: could not start: ${e?.message ?? String(err)}${detail}`;
}

/**
 * Opens the configured database and applies migrations. On PostgreSQL several processes may
 * start at once, so migrating is serialized with an advisory lock held on its own connection.
 */
export async function openConfiguredDb(config: Config): Promise<Database> {
  if (!config.DATABASE_URL) return openDb({ dataDir: config.DATA_DIR });
  const lockClient = new pg.Client({ connectionString: config.DATABASE_URL });
  lockClient.on('error', () => {});
  await lockClient.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await openDb({ databaseUrl: config.DATABASE_URL });
  } finally {
    await lockClient.end().catch(() => {});
  }
}

/** An arbitrary, fixed key: "framesmith migrate" for pg_advisory_lock. */
const MIGRATION_LOCK_KEY = 0x46_53_4d_47;

async function startWorker(config: Config, logger: FastifyBaseLogger, stoppers: Stopper[]): Promise<void> {
  const startPipeline = await loadPipeline();
  if (!startPipeline)
    throw new Error('the render worker is not part of this build (no @framesmith/pipeline)');
  if (config.COMFYUI_URL.length === 0) {
    logger.warn('COMFYUI_URL is not set: the worker has no ComfyUI server to send work to');
  }
  const database = await openConfiguredDb(config);
  stoppers.push(() => database.close());
  const pipeline = await startPipeline({ database, config, logger, role: 'worker' });
  stoppers.push(() => pipeline.stop());
  // Webhook deliveries and their triggers, backends changed at run time (issue 6).
  const ops = await startOps({
    database,
    config,
    logger,
    role: 'worker',
    ...opsFromPipeline(partsOf(pipeline)),
  });
  stoppers.push(() => ops.stop());
  say(`Framesmith worker is running (${describeDb(config)}).`);
}

async function startServer(
  role: 'start' | 'api',
  config: Config,
  logger: FastifyBaseLogger,
  ctx: CliContext,
  stoppers: Stopper[],
): Promise<void> {
  const wantSimulator = role === 'start' && config.COMFYUI_URL.length === 0;
  // Loading the other packages' code overlaps with opening the database (PGlite compiles its
  // WebAssembly off the main thread). Nothing starts before the database is open, so a locked
  // data directory still fails fast.
  const loadingPipeline = loadPipeline();
  const loadingSimulator = wantSimulator ? loadSimulator() : Promise.resolve(null);
  loadingPipeline.catch(() => {});
  loadingSimulator.catch(() => {});
  const database = await openConfiguredDb(config);
  stoppers.push(() => database.close());

  let effective = config;
  let backendMode: AppDeps['backendMode'] = config.COMFYUI_URL.length > 0 ? 'comfyui' : 'simulated';

  if (wantSimulator) {
    const sim = await startEmbeddedSimulator(await loadingSimulator, config, logger);
    if (sim) {
      stoppers.push(() => stopSimulator(sim));
      // The pipeline reads backends from config; the simulator is the one backend.
      effective = parseConfig({ ...ctx.env, COMFYUI_URL: simulatorUrl(sim) });
      backendMode = 'simulated';
    }
  }

  let pipeline: RunningPipeline | null = null;
  const startPipeline = await loadingPipeline;
  if (startPipeline) {
    pipeline = await startPipeline({
      database,
      config: effective,
      logger,
      role: role === 'start' ? 'embedded' : 'api',
    });
    stoppers.push(() => pipeline!.stop());
  } else {
    logger.warn('the render pipeline is not part of this build: the API runs without rendering');
  }

  const extra = pipeline?.deps ?? {};
  const routes: RoutePlugin[] = [...(extra.routes ?? [])];
  // Health, metrics, error analytics, webhooks and run-time backends (issue 6).
  const ops = await startOps({
    database,
    config: effective,
    logger,
    role: role === 'start' ? 'all' : 'api',
    simulated: backendMode === 'simulated',
    ...opsFromPipeline(partsOf(pipeline)),
  });
  stoppers.push(() => ops.stop());
  routes.push(...ops.routes);
  // Render, retry/cancel, live events and asset routes, when the pipeline runs in this process.
  if (extra.pipeline) routes.push(...pipelineRoutes);
  const app: FastifyInstance = await buildApp({
    ...extra,
    database,
    config: effective,
    logger,
    version: ctx.version,
    backendMode,
    webDir: join(ctx.rootDir, 'packages/web/dist'),
    routes,
    ...(ops.health ? { backendChanges: ops.health } : {}),
  });
  // The app stops first, so no request meets a closed database.
  stoppers.push(() => app.close());
  await app.listen({ port: effective.PORT, host: effective.HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : effective.PORT;
  const what = role === 'start' ? 'Framesmith' : 'Framesmith API';
  say(
    `${what} is running at http://localhost:${port} (${describeDb(effective)}; ` +
      `${backendMode === 'simulated' ? 'simulated ComfyUI backend' : `${effective.COMFYUI_URL.length} ComfyUI backend(s)`}).`,
  );
}

async function startEmbeddedSimulator(
  startSimulator: StartSimulator | null,
  config: Config,
  logger: FastifyBaseLogger,
): Promise<RunningSimulator | null> {
  if (!startSimulator) {
    logger.warn(
      'COMFYUI_URL is not set and the simulator is not part of this build: nothing can be rendered',
    );
    return null;
  }
  const sim = await startSimulator({ port: 0, generationMs: config.SIM_GENERATION_MS });
  logger.info({ backend: 'simulator' }, 'started the ComfyUI simulator in this process');
  return sim;
}

async function runSim(args: string[]): Promise<number | 'running'> {
  const runSimCli = await loadSimCli();
  if (!runSimCli) {
    if (args.includes('--help') || args.includes('-h')) {
      say('Usage: framesmith sim [options]\n\nRuns the ComfyUI simulator (not part of this build yet).');
      return 0;
    }
    complain('framesmith: the simulator is not part of this build (no @framesmith/comfy-sim/cli).');
    return 1;
  }
  const code = await runSimCli(args);
  return typeof code === 'number' ? code : 'running';
}

async function stopAll(stoppers: Stopper[]): Promise<void> {
  for (const stop of stoppers.splice(0).reverse()) {
    try {
      await stop();
    } catch {
      // keep stopping the rest
    }
  }
}

/** Graceful shutdown: stop in reverse start order; a second signal, or 10 s, forces the exit. */
function stopOnSignals(stoppers: Stopper[], logger: FastifyBaseLogger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      complain('framesmith: shutdown took too long; exiting.');
      process.exit(1);
    }, 10_000).unref();
    stopAll(stoppers).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** The running pipeline's pool, queue and events, as startPipeline hands them to the app. */
function partsOf(pipeline: RunningPipeline | null): OpsPipelineParts | null {
  return ((pipeline?.deps as { pipeline?: OpsPipelineParts } | undefined)?.pipeline ??
    null) as OpsPipelineParts | null;
}
