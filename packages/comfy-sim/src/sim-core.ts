/**
 * The simulated ComfyUI process: its queue, history, sockets, node catalog, fault list and the one
 * worker that executes prompts. The HTTP layer (http-handler.ts) calls into this; network life
 * (listening, going down) is simulator.ts's job.
 */
import { randomUUID } from 'node:crypto';
import { type ExecutionHost, executePrompt, RunControl } from './executor.ts';
import { FaultBook } from './faults.ts';
import { existsAnnotatedFilepath, listInputFiles, type SimDirs } from './files.ts';
import {
  MODEL_INPUTS,
  buildCatalog,
  DEFAULT_MODELS,
  type ModelLists,
  type NodeClass,
} from './node-catalog.ts';
import { OutputCache } from './output-cache.ts';
import { PromptQueue, type QueueItem } from './prompt-queue.ts';
import { pyBool, pyContains, pyFloat, pyGetItem, pyStr } from './py.ts';
import { applySubmitFault, type SubmitFaultEffect } from './submit-faults.ts';
import {
  type ActiveFault,
  type FaultKind,
  RUN_FAULT_KINDS,
  SUBMIT_FAULT_KINDS,
  type SimOptions,
  type SimStats,
} from './types.ts';
import { type CustomValidator, validatePrompt } from './validate-prompt.ts';
import { WsHub } from './ws-hub.ts';

/** 1080p × 241 frames: beyond this a job "runs out of GPU memory" (and would take ffmpeg too long). */
export const DEFAULT_OOM_ABOVE_PIXELS = 1920 * 1080 * 241;

/** Thrown for a request ComfyUI would answer with aiohttp's plain-text 500. */
export class ServerCrash extends Error {}

export type SubmitReply = { status: 200 | 400 | 409; body: unknown };

const VALIDATION_FAULTS: readonly FaultKind[] = SUBMIT_FAULT_KINDS.filter((k) => k !== 'submit_500');
const EXECUTION_FAULTS: readonly FaultKind[] = [...RUN_FAULT_KINDS, 'hang', 'missing_model'];

interface Running {
  taskId: number;
  item: QueueItem;
  control: RunControl;
  clientId: string | null;
  nodeId: string | null;
}

export interface CoreDeps {
  dirs: SimDirs;
  workDir: string;
  options: SimOptions;
  /** The network side of a simulated crash: drop connections, refuse them for downMs. */
  onCrash: (downMs: number) => void;
  log: (line: string) => void;
}

export class SimCore {
  readonly queue: PromptQueue;
  readonly hub: WsHub;
  readonly faults: FaultBook;
  readonly dirs: SimDirs;
  readonly stats: SimStats;
  readonly #opts: SimOptions;
  readonly #models: ModelLists;
  readonly #deps: CoreDeps;
  readonly #runFaults = new WeakMap<QueueItem, ActiveFault[]>();
  readonly #cache: OutputCache | null;
  #number = 0;
  #running: Running | null = null;
  #stop = new AbortController();
  #worker: Promise<void> | null = null;

  constructor(deps: CoreDeps) {
    this.#deps = deps;
    this.#opts = deps.options;
    this.dirs = deps.dirs;
    this.#cache = deps.options.cache ? new OutputCache() : null;
    this.#models = { ...DEFAULT_MODELS };
    for (const [folder, files] of Object.entries(deps.options.models ?? {})) {
      if (files) this.#models[folder] = [...files];
    }
    this.stats = {
      submitted: 0,
      rejected: 0,
      executed: 0,
      failed: 0,
      interrupted: 0,
      lost: 0,
      faultsFired: {},
      queueRemaining: 0,
      wsClients: 0,
      restarts: 0,
      httpRequests: 0,
    };
    this.faults = new FaultBook({
      onFire: (f) => {
        this.stats.faultsFired[f.kind] = (this.stats.faultsFired[f.kind] ?? 0) + 1;
        deps.log(`fault fired: ${f.kind}${f.variant ? ` (${f.variant})` : ''}`);
      },
    });
    this.queue = new PromptQueue(() => this.hub.send('status', { status: this.queueInfo() }, null));
    this.hub = new WsHub({
      queueInfo: () => this.queueInfo(),
      executingFor: () => ({
        clientId: this.#running?.clientId ?? null,
        nodeId: this.#running?.nodeId ?? null,
      }),
      sameClientIdBug: deps.options.sameClientIdBug ?? false,
    });
  }

  get models(): ModelLists {
    return this.#models;
  }

  isBusy(): boolean {
    return this.#running !== null;
  }

  queueInfo(): { exec_info: { queue_remaining: number } } {
    return { exec_info: { queue_remaining: this.queue.remaining() } };
  }

  catalog(): Record<string, NodeClass> {
    return buildCatalog({
      models: this.#models,
      inputFiles: listInputFiles(this.dirs),
      removeNodes: this.#opts.removeNodes,
      extraNodes: this.#opts.extraNodes,
    });
  }

  #validators(inputFilesMissing: boolean): Record<string, CustomValidator> {
    return {
      LoadImage: ({ image }) => {
        const name = pyStr(image);
        if (inputFilesMissing || !existsAnnotatedFilepath(name, this.dirs))
          return `Invalid image file: ${name}`;
        return true;
      },
    };
  }

  /** POST /prompt (server.py post_prompt). Throws ServerCrash / PyError for aiohttp's 500. */
  submit(json: unknown): SubmitReply {
    let number: number;
    if (pyContains(json, 'number')) {
      number = pyFloat(pyGetItem(json, 'number'));
    } else {
      number = this.#number;
      if (pyContains(json, 'front') && pyBool(pyGetItem(json, 'front'))) number = -number;
      this.#number += 1;
    }
    if (!pyContains(json, 'prompt')) {
      this.stats.rejected += 1;
      const error = {
        type: 'no_prompt',
        message: 'No prompt provided',
        details: 'No prompt provided',
        extra_info: {},
      };
      return { status: 400, body: { error, node_errors: {} } };
    }
    const body = json as Record<string, unknown>;
    const prompt = pyGetItem(body, 'prompt');
    const rawId = pyContains(body, 'prompt_id') ? body['prompt_id'] : null;
    const promptId = rawId === null || rawId === undefined ? randomUUID() : pyStr(rawId);
    const partial = pyContains(body, 'partial_execution_targets') ? body['partial_execution_targets'] : null;
    if (this.#opts.rejectDuplicatePromptId && this.#knows(promptId)) {
      this.stats.rejected += 1;
      return { status: 409, body: { error: 'prompt_id already exists' } };
    }

    if (this.faults.drawOne(['submit_500'], { promptId })) {
      this.stats.rejected += 1;
      throw new ServerCrash('submit_500 fault');
    }

    const catalog = this.catalog();
    let effect: SubmitFaultEffect | null = null;
    this.faults.drawOne(VALIDATION_FAULTS, { promptId }, (f) => {
      effect = applySubmitFault(f, prompt, catalog);
      return effect !== null;
    });
    const applied = effect as SubmitFaultEffect | null;
    if (applied?.kind === 'respond') {
      this.stats.rejected += 1;
      return { status: applied.status as 400, body: applied.body };
    }
    if (applied?.kind === 'validate') {
      const faulty = validatePrompt(
        { catalog: applied.catalog, customValidators: this.#validators(applied.inputFilesMissing) },
        applied.graph,
        partial,
      );
      if (!faulty.ok) {
        this.stats.rejected += 1;
        return { status: 400, body: { error: faulty.error, node_errors: faulty.nodeErrors } };
      }
    }

    const valid = validatePrompt({ catalog, customValidators: this.#validators(false) }, prompt, partial);
    const extra = (pyContains(body, 'extra_data') ? body['extra_data'] : {}) as Record<string, unknown>;
    if (pyContains(body, 'client_id')) {
      if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
        throw new ServerCrash('extra_data does not support item assignment');
      }
      extra['client_id'] = body['client_id'];
    }
    if (!valid.ok) {
      this.stats.rejected += 1;
      return { status: 400, body: { error: valid.error, node_errors: valid.nodeErrors } };
    }
    const item: QueueItem = [number, promptId, prompt as Record<string, unknown>, extra, valid.outputs];
    const hasClient = extra['client_id'] !== undefined && extra['client_id'] !== null;
    const graph = prompt as Record<string, { class_type: string }>;
    const runFaults = this.faults.draw(EXECUTION_FAULTS, { promptId }, (f) => {
      if (f.node !== undefined && !graph[f.node]) return false;
      if (f.kind === 'hang') return f.variant === 'generation';
      if (f.kind === 'missing_model') {
        return f.variant === 'runtime' && Object.values(graph).some((n) => MODEL_INPUTS[n.class_type]);
      }
      if (f.kind === 'ws_drop' || f.kind === 'ws_silent') return hasClient;
      return true;
    });
    this.#runFaults.set(item, runFaults);
    this.queue.put(item);
    this.stats.submitted += 1;
    this.#deps.log(
      `queued prompt ${promptId}${runFaults.length ? ` with ${runFaults.map((f) => f.kind).join(', ')}` : ''}`,
    );
    return { status: 200, body: { prompt_id: promptId, number, node_errors: valid.nodeErrors } };
  }

  #knows(promptId: string): boolean {
    return (
      this.queue.isPending(promptId) || this.queue.isRunning(promptId) || this.queue.hasHistory(promptId)
    );
  }

  /** POST /interrupt: with a prompt_id only if it is the running one; without, whatever runs. */
  interrupt(promptId: string | null): void {
    const running = this.#running;
    if (!running) return;
    if (promptId && running.item[1] !== promptId) return;
    running.control.interrupt();
  }

  /** A simulated crash and restart: queue, history and sockets are gone. */
  restart(): void {
    this.stats.restarts += 1;
    this.stats.lost += this.queue.pending().length;
    this.#running?.control.lose();
    this.queue.reset();
    this.#cache?.clear();
    this.hub.dropAll();
    this.#number = 0;
  }

  #host(): ExecutionHost {
    return {
      hub: this.hub,
      dirs: this.dirs,
      workDir: this.#deps.workDir,
      generationMs: this.#opts.generationMs ?? 1500,
      steps: Math.max(1, this.#opts.steps ?? 10),
      oomAbovePixels: this.#opts.oomAbovePixels ?? DEFAULT_OOM_ABOVE_PIXELS,
      cache: this.#cache,
      catalog: () => this.catalog(),
      setExecuting: (clientId, nodeId) => {
        if (this.#running) {
          this.#running.clientId = clientId ?? this.#running.clientId;
          this.#running.nodeId = nodeId;
        }
      },
      crash: (downMs) => {
        this.restart();
        this.#deps.onCrash(downMs);
      },
      log: this.#deps.log,
    };
  }

  startWorker(): void {
    if (this.#worker) return;
    this.#worker = this.#work().catch((err) => this.#deps.log(`worker stopped: ${String(err)}`));
  }

  async #work(): Promise<void> {
    const host = this.#host();
    while (!this.#stop.signal.aborted) {
      const next = await this.queue.get(this.#stop.signal);
      if (!next) return;
      const { item, taskId } = next;
      const control = new RunControl();
      const extra = item[3];
      const clientId =
        extra['client_id'] === undefined || extra['client_id'] === null ? null : String(extra['client_id']);
      this.#running = { taskId, item, control, clientId, nodeId: null };
      const outcome = await executePrompt(host, item, this.#runFaults.get(item) ?? [], control);
      if (outcome.kind === 'done' && !control.lost) {
        // ComfyUI writes history in task_done, after execution_success has gone out (protocol §4 race).
        await control.sleep(this.#opts.historyDelayMs ?? 10);
      }
      this.#running = null;
      if (outcome.kind === 'lost' || control.lost) {
        this.stats.lost += 1;
        this.queue.dropRunning(taskId);
        continue;
      }
      this.queue.taskDone(
        taskId,
        { outputs: outcome.outputs, meta: outcome.meta },
        {
          status_str: outcome.success ? 'success' : 'error',
          completed: outcome.success,
          messages: outcome.messages,
        },
      );
      if (clientId !== null) this.hub.send('executing', { node: null, prompt_id: item[1] }, clientId);
      if (outcome.ending === 'success') this.stats.executed += 1;
      else if (outcome.ending === 'interrupted') this.stats.interrupted += 1;
      else this.stats.failed += 1;
    }
  }

  snapshotStats(): SimStats {
    return {
      ...this.stats,
      faultsFired: { ...this.stats.faultsFired },
      queueRemaining: this.queue.remaining(),
      wsClients: this.hub.size,
    };
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#running?.control.lose();
    await this.#worker;
    await this.hub.close();
  }
}
