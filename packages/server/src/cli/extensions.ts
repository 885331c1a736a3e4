import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '@framesmith/core';
import type { Database } from '@framesmith/db';
import type { AppDeps } from '../deps.ts';

/**
 * Parts of the product that live in other packages and are loaded lazily by the bin, so the
 * API runs while they are being built and a missing one is reported, not a crash.
 */

/** What `@framesmith/pipeline` exports as `startPipeline`. */
export interface PipelineStartOptions {
  database: Database;
  config: Config;
  logger: FastifyBaseLogger;
  /** embedded: api + workers in one process; api: producers and routes only; worker: workers only. */
  role: 'embedded' | 'api' | 'worker';
}
export interface RunningPipeline {
  /** Services and route plugins the API gets (render routes, events, storage, …). */
  deps?: Partial<AppDeps>;
  stop(): Promise<void>;
}
export type StartPipeline = (options: PipelineStartOptions) => Promise<RunningPipeline>;

/** What `@framesmith/comfy-sim` exports as `startSimulator`. */
export interface RunningSimulator {
  url?: string;
  port?: number;
  close?(): Promise<void>;
  stop?(): Promise<void>;
}
export type StartSimulator = (options: { port: number; generationMs: number }) => Promise<RunningSimulator>;

/** `@framesmith/comfy-sim/cli` exports `runSimCli(argv)`, resolving to an exit code (or running until stopped). */
export type RunSimCli = (argv: string[]) => Promise<unknown>;

/** Imports a workspace module if its file exists; null when it is not there (yet). Errors inside it propagate. */
export async function importOptional(specifier: string): Promise<Record<string, unknown> | null> {
  let url: string;
  try {
    url = import.meta.resolve(specifier);
  } catch {
    return null;
  }
  if (url.startsWith('file:') && !existsSync(fileURLToPath(url))) return null;
  return (await import(specifier)) as Record<string, unknown>;
}

export async function loadExport<T>(specifier: string, name: string): Promise<T | null> {
  const mod = await importOptional(specifier);
  const value = mod?.[name];
  return typeof value === 'function' ? (value as T) : null;
}

export const loadPipeline = () => loadExport<StartPipeline>('@framesmith/pipeline', 'startPipeline');
export const loadSimulator = () => loadExport<StartSimulator>('@framesmith/comfy-sim', 'startSimulator');
export const loadSimCli = () => loadExport<RunSimCli>('@framesmith/comfy-sim/cli', 'runSimCli');

export function simulatorUrl(sim: RunningSimulator): string {
  if (sim.url) return sim.url.replace(/\/$/, '');
  if (sim.port) return `http://127.0.0.1:${sim.port}`;
  throw new Error('The simulator did not report its address');
}

export async function stopSimulator(sim: RunningSimulator): Promise<void> {
  if (sim.close) await sim.close();
  else if (sim.stop) await sim.stop();
}
