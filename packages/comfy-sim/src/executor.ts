/**
 * Runs one queued prompt the way PromptExecutor.execute_async does: execution_start, execution_cached,
 * then per node progress_state / executing / progress / executed, and finally execution_success,
 * execution_error or execution_interrupted. The sampler spends the simulated GPU time; output nodes
 * save real media rendered by ffmpeg. Run faults (OOM, node errors, interrupts, lost prompts, socket
 * drops, bad outputs) fire here.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getSaveImagePath, makePng, type SimDirs } from './files.ts';
import { type GraphNodeLike, type MediaPlan, planGraph } from './graph-plan.ts';
import { isLink } from './links.ts';
import { MODEL_INPUTS, type NodeClass } from './node-catalog.ts';
import { OutputCache } from './output-cache.ts';
import type { QueueItem } from './prompt-queue.ts';
import { findFontFile, renderClip } from './render.ts';
import { type MediaFormat, wrapPromptText } from './render-args.ts';
import {
  exceptionMessage,
  failureFromError,
  fakeExecutionTraceback,
  formatInputValue,
  missingModelFailure,
  type NodeFailure,
  nodeFailure,
  oomFailure,
} from './runtime-errors.ts';
import type { ActiveFault } from './types.ts';
import type { WsHub } from './ws-hub.ts';

export interface ExecutionHost {
  hub: WsHub;
  dirs: SimDirs;
  /** Scratch space for renders in progress. */
  workDir: string;
  generationMs: number;
  steps: number;
  /** ComfyUI's output cache, when enabled. */
  cache: OutputCache | null;
  /** width × height × frames above which the sampler runs out of memory. */
  oomAbovePixels: number;
  catalog: () => Record<string, NodeClass>;
  /** Records the running prompt's client and node (for the reconnect `executing` frame, and system_stats). */
  setExecuting: (clientId: string | null, nodeId: string | null) => void;
  /** Simulated crash + restart (prompt_lost): wipes queue and history, drops sockets. */
  crash: (downMs: number) => void;
  log: (line: string) => void;
}

/** Interrupt requests (POST /interrupt) and the end of the run (restart, close) reach a sleeping step through this. */
export class RunControl {
  interrupted = false;
  lost = false;
  #wakers = new Set<() => void>();

  interrupt(): void {
    this.interrupted = true;
    this.#wake();
  }

  lose(): void {
    this.lost = true;
    this.#wake();
  }

  #wake(): void {
    for (const w of [...this.#wakers]) w();
  }

  /** Waits `ms` (forever when Infinity), returning early on interrupt or loss. */
  sleep(ms: number): Promise<void> {
    if (this.interrupted || this.lost) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (timer) clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : null;
      this.#wakers.add(done);
    });
  }
}

class Interrupted extends Error {}
class Lost extends Error {}

export type RunOutcome =
  | {
      kind: 'done';
      success: boolean;
      /** 'interrupted' and 'error' both have success false; this tells the counters apart. */
      ending: 'success' | 'error' | 'interrupted';
      messages: [string, Record<string, unknown>][];
      outputs: Record<string, unknown>;
      meta: Record<string, unknown>;
    }
  | { kind: 'lost' };

interface Render {
  plan: MediaPlan;
  dir: string;
  /** Rendered file, or the png pattern for SaveImage. */
  file: string;
  format: MediaFormat;
  done: Promise<void>;
}

const pad5 = (n: number) => String(n).padStart(5, '0');

function vhsFormat(format: string): { media: MediaFormat; ext: string } {
  if (format === 'image/gif' || format === 'video/ffmpeg-gif') return { media: 'gif', ext: 'gif' };
  if (format === 'image/webp') return { media: 'webp', ext: 'webp' };
  if (format.endsWith('webm')) return { media: 'webm', ext: 'webm' };
  return { media: 'mp4', ext: 'mp4' };
}

function mediaFormatOf(plan: MediaPlan): MediaFormat {
  switch (plan.kind) {
    case 'SaveVideo':
      return 'mp4';
    case 'SaveAnimatedWEBP':
      return 'webp';
    case 'SaveImage':
      return 'png-sequence';
    case 'VHS_VideoCombine':
      return vhsFormat(plan.vhsFormat ?? 'image/gif').media;
  }
}

function startRender(plan: MediaPlan, promptDir: string, signal: AbortSignal): Render {
  const format = mediaFormatOf(plan);
  const dir = path.join(promptDir, plan.nodeId);
  mkdirSync(dir, { recursive: true });
  const text = wrapPromptText(plan.text, plan.width, plan.height);
  const textFile = text ? path.join(dir, 'prompt.txt') : null;
  if (textFile) writeFileSync(textFile, text);
  const file = path.join(dir, format === 'png-sequence' ? 'frame_%05d.png' : `clip.${format}`);
  const done = renderClip(
    {
      width: plan.width,
      height: plan.height,
      frames: plan.frames,
      fps: plan.fps,
      format,
      outPath: file,
      textFile,
      fontFile: findFontFile(),
      lossless: plan.lossless,
    },
    signal,
  );
  done.catch(() => {}); // awaited (or abandoned) later
  return { plan, dir, file, format, done };
}

/** Moves a finished render into ComfyUI's output layout and returns the node's `ui` dict. */
function saveRender(host: ExecutionHost, r: Render, corrupt: boolean): Record<string, unknown> {
  const { plan } = r;
  const place = (from: string, to: string) => {
    if (corrupt) {
      writeFileSync(to, randomBytes(4096));
      return;
    }
    renameSync(from, to);
  };
  if (plan.kind === 'VHS_VideoCombine') {
    const saveOutput = plan.saveOutput !== false;
    const baseDir = saveOutput ? host.dirs.output : host.dirs.temp;
    const sp = getSaveImagePath(baseDir, plan.filenamePrefix, plan.width, plan.height);
    const { ext } = vhsFormat(plan.vhsFormat ?? 'image/gif');
    const matcher = new RegExp(
      `^${plan.filenamePrefix
        .split('/')
        .pop()!
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_(\\d+)\\D*\\..+$`,
      'i',
    );
    let max = 0;
    for (const f of listDir(sp.fullOutputFolder)) {
      const m = matcher.exec(f);
      if (m) max = Math.max(max, Number(m[1]));
    }
    const counter = max + 1;
    const workflow = `${sp.filename}_${pad5(counter)}.png`;
    writeFileSync(
      path.join(sp.fullOutputFolder, workflow),
      makePng(Math.min(plan.width, 256), Math.min(plan.height, 256)),
    );
    const file = `${sp.filename}_${pad5(counter)}.${ext}`;
    const fullpath = path.join(sp.fullOutputFolder, file);
    place(r.file, fullpath);
    return {
      gifs: [
        {
          filename: file,
          subfolder: sp.subfolder,
          type: saveOutput ? 'output' : 'temp',
          format: plan.vhsFormat,
          frame_rate: plan.fps,
          workflow,
          fullpath,
        },
      ],
    };
  }
  const sp = getSaveImagePath(host.dirs.output, plan.filenamePrefix, plan.width, plan.height);
  if (plan.kind === 'SaveImage') {
    const images = [];
    for (let i = 0; i < plan.frames; i++) {
      const name = `${sp.filename}_${pad5(sp.counter + i)}_.png`;
      place(path.join(r.dir, `frame_${pad5(i + 1)}.png`), path.join(sp.fullOutputFolder, name));
      images.push({ filename: name, subfolder: sp.subfolder, type: 'output' });
    }
    return { images };
  }
  const ext = plan.kind === 'SaveVideo' ? 'mp4' : 'webp';
  const file = `${sp.filename}_${pad5(sp.counter)}_.${ext}`;
  place(r.file, path.join(sp.fullOutputFolder, file));
  return {
    images: [{ filename: file, subfolder: sp.subfolder, type: 'output' }],
    animated: [plan.kind === 'SaveVideo' ? true : plan.frames !== 1],
  };
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The step (0-based, before which the fault fires) for a run fault on a sampler with `steps` steps. */
function faultStep(f: ActiveFault, steps: number): number {
  const at = f.atStep ?? Math.floor(steps / 2);
  return Math.min(Math.max(0, at), Math.max(0, steps - 1));
}

export async function executePrompt(
  host: ExecutionHost,
  item: QueueItem,
  faults: ActiveFault[],
  control: RunControl,
): Promise<RunOutcome> {
  const [, promptId, rawPrompt, extra, outputs] = item;
  const prompt = rawPrompt as unknown as Record<string, GraphNodeLike>;
  const clientId: string | null =
    'client_id' in extra && extra['client_id'] !== null && extra['client_id'] !== undefined
      ? String(extra['client_id'])
      : null;
  const hub = host.hub;
  const messages: [string, Record<string, unknown>][] = [];
  const addMessage = (event: string, data: Record<string, unknown>, broadcast: boolean) => {
    const stamped = { ...data, timestamp: Date.now() };
    messages.push([event, stamped]);
    if (clientId !== null || broadcast) hub.send(event, stamped, clientId);
  };
  const catalog = host.catalog();
  const abort = new AbortController();
  const promptDir = path.join(host.workDir, `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);

  const plan = planGraph(prompt, outputs);
  const runFaults = faults.filter((f) => f.kind !== 'ws_drop' && f.kind !== 'ws_silent');
  const tooBig = [...plan.media.values()].find((m) => m.width * m.height * m.frames > host.oomAbovePixels);
  // Faulted prompts neither use nor fill the cache, so a retry after a one-off fault really runs again.
  const cache = host.cache && faults.length === 0 && !tooBig ? host.cache : null;
  const sigs = cache ? OutputCache.signatures(prompt) : new Map<string, string>();
  const cachedIds = cache ? Object.keys(prompt).filter((id) => cache.has(sigs.get(id)!)) : [];
  const cached = new Set(cachedIds);
  const ran = new Map<string, Record<string, unknown> | null>();

  const startedAt = performance.now();
  /** Time the injected faults took before the sampler: it moves the sampler's schedule. */
  let faultMsBeforeSampler = 0;
  addMessage('execution_start', { prompt_id: promptId }, false);
  addMessage('execution_cached', { nodes: cachedIds, prompt_id: promptId }, false);

  if (tooBig) {
    // Like a real GPU: a job far beyond the card's memory fails at the sampler's first step.
    runFaults.unshift({ kind: 'oom', variant: 'size', atStep: 0, id: 0, fired: 1, remaining: null });
  }
  const noOutput = faults.some((f) => f.kind === 'no_output');
  const corrupt = faults.some((f) => f.kind === 'corrupt_output');
  const defaultTarget = plan.samplers[0] ?? plan.order.at(-1) ?? null;
  const targetOf = (f: ActiveFault) => {
    if (f.kind === 'missing_model') {
      return f.node ?? plan.order.find((id) => MODEL_INPUTS[prompt[id]!.class_type]) ?? null;
    }
    return f.node ?? defaultTarget;
  };
  const terminal = runFaults.filter((f) =>
    ['oom', 'node_error', 'interrupt', 'prompt_lost', 'hang', 'missing_model'].includes(f.kind),
  );
  const socketFaults = faults.filter((f) => f.kind === 'ws_drop' || f.kind === 'ws_silent');

  const renders = new Map<string, Render>();

  const progress = new Map<string, { value: number; max: number; state: 'running' | 'finished' }>();
  const sendProgressState = () => {
    const nodes: Record<string, unknown> = {};
    for (const [id, p] of progress) {
      nodes[id] = {
        value: p.value,
        max: p.max,
        state: p.state,
        node_id: id,
        prompt_id: promptId,
        display_node_id: id,
        parent_node_id: null,
        real_node_id: id,
      };
    }
    hub.send('progress_state', { prompt_id: promptId, nodes }, clientId);
  };

  const executed = new Set<string>();
  const ui = new Map<string, { output: Record<string, unknown>; meta: Record<string, unknown> }>();
  let current: string | null = null;
  let ending: 'success' | 'error' | 'interrupted' = 'success';

  /** Fires a terminal run fault: throws the node's exception, interrupts, loses the prompt or hangs. */
  const fire = async (f: ActiveFault, nodeId: string): Promise<void> => {
    host.log(`fault ${f.kind} fires on node ${nodeId} of prompt ${promptId}`);
    switch (f.kind) {
      case 'oom':
        throw failureError(oomFailure(f.variant));
      case 'node_error':
        throw failureError(nodeFailure(f.exceptionType, f.message));
      case 'missing_model': {
        const cls = prompt[nodeId]!.class_type;
        const [input, folder] = Object.entries(MODEL_INPUTS[cls] ?? {})[0] ?? ['ckpt_name', 'checkpoints'];
        throw failureError(missingModelFailure(folder, String(prompt[nodeId]!.inputs[input] ?? '')));
      }
      case 'interrupt':
        control.interrupt();
        return;
      case 'prompt_lost':
        host.crash(f.ms ?? 0);
        throw new Lost();
      case 'hang':
        await control.sleep(Number.POSITIVE_INFINITY);
        return;
    }
  };
  const check = () => {
    if (control.lost) throw new Lost();
    if (control.interrupted) throw new Interrupted();
  };

  try {
    if (!noOutput && !tooBig) {
      for (const m of plan.media.values()) {
        if (!cached.has(m.nodeId)) renders.set(m.nodeId, startRender(m, promptDir, abort.signal));
      }
    }
    for (const nodeId of plan.order) {
      if (cached.has(nodeId)) {
        // Cached: intermediate nodes are not scheduled; an output node replays its UI.
        if (catalog[prompt[nodeId]!.class_type]?.output_node) {
          const cachedUi = cache!.ui(sigs.get(nodeId)!);
          if (clientId !== null) {
            hub.send(
              'executed',
              { node: nodeId, display_node: nodeId, output: cachedUi, prompt_id: promptId },
              clientId,
            );
          }
          if (cachedUi) ui.set(nodeId, { output: cachedUi, meta: nodeMeta(nodeId) });
        }
        continue;
      }
      current = nodeId;
      check();
      progress.set(nodeId, { value: 0, max: 1, state: 'running' });
      sendProgressState();
      if (clientId !== null) {
        host.setExecuting(clientId, nodeId);
        hub.send('executing', { node: nodeId, display_node: nodeId, prompt_id: promptId }, clientId);
      }
      const nodeFaults = terminal.filter((f) => targetOf(f) === nodeId);
      const isSampler = plan.samplers[0] === nodeId;
      if (!isSampler) {
        const faultsFrom = performance.now();
        for (const f of nodeFaults) await fire(f, nodeId);
        if (!plan.samplers.length || !executed.has(plan.samplers[0]!)) {
          faultMsBeforeSampler += performance.now() - faultsFrom;
        }
        check();
      }
      if (isSampler) {
        const steps = host.steps;
        const stepMs = host.generationMs / steps;
        // Steps keep to a schedule that ends `generationMs` after execution started, as a GPU
        // prompt would: this host's own bookkeeping before the sampler (spawning the render,
        // a busy event loop) and timers firing late are absorbed instead of adding up. Time
        // spent in injected faults moves the schedule.
        let due = Math.min(performance.now(), startedAt + faultMsBeforeSampler);
        for (let k = 0; k < steps; k++) {
          const faultsFrom = performance.now();
          for (const f of nodeFaults) if (faultStep(f, steps) === k) await fire(f, nodeId);
          due += performance.now() - faultsFrom + stepMs;
          for (const f of socketFaults) {
            if (faultStep(f, steps) !== k || clientId === null) continue;
            host.log(`fault ${f.kind} fires on the socket of ${clientId}`);
            if (f.kind === 'ws_drop') hub.drop(clientId);
            else hub.silence(clientId);
          }
          await control.sleep(Math.max(0, due - performance.now()));
          check();
          progress.set(nodeId, { value: k + 1, max: steps, state: 'running' });
          hub.send('progress', { value: k + 1, max: steps, prompt_id: promptId, node: nodeId }, clientId);
          sendProgressState();
        }
      } else {
        const render = renders.get(nodeId);
        if (render) {
          await render.done;
          check();
          const out = saveRender(host, render, corrupt);
          ui.set(nodeId, { output: out, meta: nodeMeta(nodeId) });
          if (clientId !== null) {
            hub.send(
              'executed',
              { node: nodeId, display_node: nodeId, output: out, prompt_id: promptId },
              clientId,
            );
          }
        } else {
          await new Promise((resolve) => setImmediate(resolve));
          check();
        }
      }
      const p = progress.get(nodeId)!;
      progress.set(nodeId, { value: p.max, max: p.max, state: 'finished' });
      sendProgressState();
      executed.add(nodeId);
      if (cache) ran.set(sigs.get(nodeId)!, ui.get(nodeId)?.output ?? null);
    }
    addMessage('execution_success', { prompt_id: promptId }, false);
  } catch (err) {
    if (err instanceof Lost || control.lost) {
      abort.abort();
      rmSync(promptDir, { recursive: true, force: true });
      return { kind: 'lost' };
    }
    const nodeId = current ?? plan.order[0] ?? '';
    const classType = prompt[nodeId]?.class_type ?? '';
    if (err instanceof Interrupted) {
      ending = 'interrupted';
      addMessage(
        'execution_interrupted',
        { prompt_id: promptId, node_id: nodeId, node_type: classType, executed: [...executed] },
        true,
      );
    } else {
      ending = 'error';
      const failure = err instanceof FailureError ? err.failure : failureFromError(err);
      addMessage(
        'execution_error',
        {
          prompt_id: promptId,
          node_id: nodeId,
          node_type: classType,
          executed: [...executed],
          exception_message: exceptionMessage(failure),
          exception_type: failure.exceptionType,
          traceback: fakeExecutionTraceback(classType),
          current_inputs: currentInputs(catalog, prompt, nodeId),
          current_outputs: cachedIds,
        },
        false,
      );
    }
  } finally {
    abort.abort();
    host.setExecuting(null, null);
  }
  if (cache) cache.update(sigs.values(), ran);
  rmSync(promptDir, { recursive: true, force: true });

  const outputsUi: Record<string, unknown> = {};
  const meta: Record<string, unknown> = {};
  for (const [id, v] of ui) {
    outputsUi[id] = v.output;
    meta[id] = v.meta;
  }
  return { kind: 'done', success: ending === 'success', ending, messages, outputs: outputsUi, meta };
}

function nodeMeta(nodeId: string): Record<string, unknown> {
  return { node_id: nodeId, display_node: nodeId, parent_node: null, real_node_id: nodeId };
}

class FailureError extends Error {
  readonly failure: NodeFailure;
  constructor(failure: NodeFailure) {
    super(failure.text);
    this.failure = failure;
  }
}

function failureError(f: NodeFailure): FailureError {
  return new FailureError(f);
}

/** input_data_formatted: each input as a one-item list (one batch), links shown as their object's str(). */
function currentInputs(
  catalog: Record<string, NodeClass>,
  prompt: Record<string, GraphNodeLike>,
  nodeId: string,
): Record<string, unknown[]> {
  const node = prompt[nodeId];
  if (!node) return {};
  const out: Record<string, unknown[]> = {};
  for (const [name, value] of Object.entries(node.inputs ?? {})) {
    if (isLink(value)) {
      const source = prompt[String(value[0])];
      const type = source ? (catalog[source.class_type]?.output[value[1]] ?? 'UNKNOWN') : 'UNKNOWN';
      out[name] = [formatInputValue(value, type)];
    } else {
      out[name] = [formatInputValue(value, null)];
    }
  }
  return out;
}
