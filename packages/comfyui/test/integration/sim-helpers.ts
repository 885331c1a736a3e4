import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import { type SimOptions, type Simulator, startSimulator } from '@framesmith/comfy-sim';
import { AppError, BUILTIN_WORKFLOWS, type ErrorCode, type WorkflowGraph } from '@framesmith/core';
import { ComfyClient, type ComfyClientOptions } from '../../src/comfy-client.ts';
import type { GenerationRequest } from '../../src/generation.ts';
import type { Logger } from '../../src/logger.ts';

/** The built-in text-to-video graph at a tiny size, so the simulator renders it fast. */
export function tinyGraph(prompt = 'a fox in the snow'): WorkflowGraph {
  const g = structuredClone(BUILTIN_WORKFLOWS[0]!.graph);
  g['4']!.inputs.text = prompt;
  g['6']!.inputs.width = 160;
  g['6']!.inputs.height = 96;
  g['6']!.inputs.length = 9;
  g['10']!.inputs.fps = 8;
  return g;
}

/** The built-in image-to-video graph at a tiny size; it loads `image` from the server's input folder. */
export function tinyImageGraph(image = 'example.png'): WorkflowGraph {
  const g = structuredClone(BUILTIN_WORKFLOWS[1]!.graph);
  g['5']!.inputs.image = image;
  g['9']!.inputs.width = 160;
  g['9']!.inputs.height = 96;
  g['9']!.inputs.length = 9;
  g['13']!.inputs.fps = 8;
  return g;
}

/** A logger that keeps every line, so a test can see retries and breaker transitions. */
export function recordingLogger(): Logger & { lines: { level: string; msg: string; obj: object }[] } {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, msg: msg ?? '', obj });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function makeClient(baseUrl: string, over: Partial<ComfyClientOptions> = {}): ComfyClient {
  return new ComfyClient({
    name: 'sim',
    baseUrl,
    requestTimeoutMs: 3000,
    retryBaseDelayMs: 200,
    socket: { reconnectBaseMs: 50, reconnectMaxMs: 500, lingerMs: 200 },
    ...over,
  });
}

export interface OutputDirs {
  dir: string;
  request(over?: Partial<GenerationRequest>): GenerationRequest;
  cleanup(): Promise<void>;
}

export async function outputDirs(): Promise<OutputDirs> {
  const dir = await mkdtemp(join(tmpdir(), 'framesmith-comfyui-'));
  return {
    dir,
    request: (over = {}) => ({
      graph: tinyGraph(),
      promptId: randomUUID(),
      generationTimeoutMs: 20_000,
      outputDir: join(dir, randomUUID()),
      tuning: { reconcileIntervalMs: 1000, lostConfirmMs: 500, unreachableGraceMs: 5000 },
      ...over,
    }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Awaits a rejection and checks it is an AppError with this code and the code's retryability. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof AppError, `expected AppError ${code}, got ${String(e)}`);
    assert.equal(
      e.code,
      code,
      `expected ${code}, got ${e.code}: ${e.userMessage} ${JSON.stringify(e.detail)}`,
    );
    const retryable = ![
      'COMFYUI_WORKFLOW_ERROR',
      'COMFYUI_MISSING_NODE',
      'COMFYUI_MISSING_MODEL',
      'COMFYUI_INVALID_PARAMETERS',
      'COMFYUI_INPUT_MISSING',
      'COMFYUI_OUTPUT_ERROR',
      'INTERNAL_ERROR',
    ].includes(code);
    assert.equal(e.retryable, retryable, `${code} retryable`);
    return e;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

/** A localhost port with nothing listening on it. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * For a describe block: a simulator, a client of it and output directories, started before its
 * tests and stopped after them, with faults cleared after each test. `use` receives them.
 */
export function simulatorSuite(
  options: SimOptions,
  use: (suite: { sim: Simulator; client: ComfyClient; out: OutputDirs }) => void,
): void {
  let suite: { sim: Simulator; client: ComfyClient; out: OutputDirs };
  before(async () => {
    const sim = await startSimulator({ port: 0, ...options });
    suite = { sim, client: makeClient(sim.url), out: await outputDirs() };
    use(suite);
  });
  afterEach(() => suite.sim.clearFaults());
  after(async () => {
    suite.client.close();
    await suite.sim.close();
    await suite.out.cleanup();
  });
}
