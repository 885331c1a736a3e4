// A render worker in its own process, for crash and scale-out tests on PostgreSQL:
// `node worker-process.ts` with DATABASE_URL, COMFYUI_URL, STORAGE_DIR, … in the environment.
// Log lines are JSON on stdout; "worker ready" is printed once it takes jobs.
import { parseConfig } from '@framesmith/core';
import { openDb } from '@framesmith/db';
import type { Logger } from '../../src/logger.ts';
import { startPipeline } from '../../src/pipeline.ts';

const config = parseConfig(process.env);
const line = (level: string) => (obj: object, msg?: string) => {
  process.stdout.write(
    `${JSON.stringify({ level, msg, ...obj }, (_k, v) => (v instanceof Error ? v.message : v))}\n`,
  );
};
const logger: Logger = { debug: () => {}, info: line('info'), warn: line('warn'), error: line('error') };
const database = await openDb({ databaseUrl: config.DATABASE_URL, migrate: false, poolSize: 5 });
const pipeline = await startPipeline({
  database,
  config,
  role: 'worker',
  logger,
  tuning: { superviseIntervalSeconds: 1 },
  reaper: { intervalMs: 1000, graceMs: 3000 },
  random: () => 0.5,
  instanceName: `worker-${process.pid}`,
});
logger.info({ pid: process.pid }, 'worker ready');
process.on('SIGTERM', () => {
  void pipeline
    .stop({ graceful: true, timeoutMs: 5000 })
    .then(() => database.close())
    .finally(() => process.exit(0));
});
