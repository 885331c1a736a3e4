import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AppError, KNOWN_OUTPUT_NODES, type WorkflowGraph } from '@framesmith/core';
import { classifyAsError, type RawOutcome } from './classifier.ts';
import { ComfyClient } from './comfy-client.ts';
import type {
  ExecutionErrorData,
  ExecutionInterruptedData,
  HistoryEntry,
  NodeError,
  NodeOutput,
  ObjectInfo,
  WsMessage,
} from './comfy-types.ts';
import { collectMediaOutputs, type MediaOutput } from './media-outputs.ts';
import { outputNodeIds, outputNodeTypes, preflight } from './preflight.ts';
import { jitteredBackoffMs } from './resilience.ts';
import { checkGraph } from './templating.ts';
import { probeVideo } from '@framesmith/media';

export interface GenerationProgress {
  phase: 'queued' | 'running';
  /** While queued: 1 = next to run. */
  queuePosition?: number;
  value?: number;
  max?: number;
  node?: string;
  /** 0..1 of the current progress bar (sampler steps). */
  progress: number;
}

export interface GenerationTuning {
  /** Without a WebSocket event for this long, /queue and /history are checked. Default 2000. */
  reconcileIntervalMs?: number;
  /** A prompt in neither /queue nor /history is lost when a second check this much later agrees. Default 1000. */
  lostConfirmMs?: number;
  /** How long the backend may stay unreachable mid-generation before COMFYUI_CONNECTION_ERROR. Default 15000. */
  unreachableGraceMs?: number;
  /** Wait at most this long for the WebSocket before submitting (polling covers the rest). Default 2000. */
  socketWaitMs?: number;
  ffprobePath?: string;
}

export interface GenerationRequest {
  graph: WorkflowGraph;
  /** Our own id (derived from segment and attempt), so a re-run can find it instead of queueing twice. */
  promptId: string;
  /** Counted from the start of execution; time in ComfyUI's queue is reported, not counted. */
  generationTimeoutMs: number;
  /**
   * How long the prompt may wait in ComfyUI's queue before it starts (default: the generation
   * timeout). A prompt stuck behind a hung one is removed and fails COMFYUI_TIMEOUT (retryable),
   * so the job can go to another backend instead of waiting forever.
   */
  queueTimeoutMs?: number;
  /**
   * The prompt id is new: nobody has sent it anywhere yet (a fresh attempt). The look at /queue
   * and /history before the first send, which could only find nothing, is then skipped.
   */
  neverSent?: boolean;
  /** Where fetched outputs are written (created if needed). */
  outputDir: string;
  signal?: AbortSignal;
  onProgress?: (e: GenerationProgress) => void;
  extraData?: Record<string, unknown>;
  tuning?: GenerationTuning;
}

export interface GenerationOutput {
  path: string;
  filename: string;
  durationSeconds: number;
  width: number;
  height: number;
  codec: string;
  sizeBytes: number;
}

export interface GenerationResult {
  promptId: string;
  backend: string;
  outputs: GenerationOutput[];
  queueMs: number;
  executionMs: number;
  /** How the result was obtained, for logs, tests and the benchmark. */
  trace: {
    /** The prompt was already on the backend (a re-run after a crash): it was not submitted again. */
    resumed: boolean;
    /** POST /prompt sends (0 when resumed). */
    submits: number;
    /** /queue + /history checks made while following. */
    reconciliations: number;
    /** WebSocket losses while following. */
    socketDrops: number;
    /** What told us it finished. */
    completedVia: 'websocket' | 'poll';
    /** Epoch ms (fractional) when the finish was known, outputs fetched, outputs checked. */
    finishedAt: number;
    fetchedAt: number;
    checkedAt: number;
  };
}

type CheckedOutput = GenerationOutput & { fetchedAt: number };

/** Which output this is: the same file of the same node, wherever it was named. */
const outputKey = (v: MediaOutput) =>
  `${v.nodeId}\u0000${v.ref.type}\u0000${v.ref.subfolder}\u0000${v.ref.filename}`;

/** A file name for an output in the attempt's directory, not among `used`. */
function uniqueName(v: MediaOutput, used: ReadonlySet<string>): string {
  let name = safeFileName(`${v.nodeId}-${basename(v.ref.filename)}`);
  for (let i = 1; used.has(name); i++) name = safeFileName(`${v.nodeId}-${i}-${basename(v.ref.filename)}`);
  return name;
}

type Located =
  | { state: 'running' }
  | { state: 'pending'; position: number }
  | { state: 'done'; entry: HistoryEntry };

const now = () => performance.timeOrigin + performance.now();

/**
 * Runs one prompt on one backend, reconcile-then-submit (ARCHITECTURE §8): the prompt id is first
 * looked up in /queue and /history (a re-run after a crash must not queue twice), submitted only
 * if absent, followed over the WebSocket with /queue and /history as the backstop, and its video
 * outputs fetched and checked with ffprobe. Every failure is an AppError with a taxonomy code;
 * an abort cancels the prompt on the backend and rejects with the signal's reason.
 */
export async function runGeneration(client: ComfyClient, req: GenerationRequest): Promise<GenerationResult> {
  return new GenerationRun(client, req).run();
}

class GenerationRun {
  readonly #client: ComfyClient;
  readonly #req: GenerationRequest;
  readonly #id: string;
  readonly #reconcileIntervalMs: number;
  readonly #lostConfirmMs: number;
  readonly #unreachableGraceMs: number;
  #objectInfo: ObjectInfo | undefined;

  // Following state. The outcome exists from the start: a WebSocket event may settle it before following begins.
  #settled = false;
  #resolve!: (v: { entry: HistoryEntry; via: 'websocket' | 'poll' }) => void;
  #reject!: (e: unknown) => void;
  readonly #outcome = new Promise<{ entry: HistoryEntry; via: 'websocket' | 'poll' }>((resolve, reject) => {
    this.#resolve = resolve;
    this.#reject = reject;
  });
  #phase: 'queued' | 'running' = 'queued';
  #submittedAt = now();
  #startedAt: number | null = null;
  #lastEventAt = now();
  #lostSince: number | null = null;
  #unreachableSince: number | null = null;
  #unreachableAttempt = 0;
  #reconciling = false;
  #reconcileAgain = false;
  /**
   * Set once the prompt is known to be on the backend (submitted or found). Before that, a look
   * at /queue and /history proves nothing: a send may still be landing. Reconciling waits.
   */
  #following = false;
  #reconcileDeferred = false;
  #timers = new Set<NodeJS.Timeout>();
  #deadline: NodeJS.Timeout | null = null;
  #queueDeadline: NodeJS.Timeout | null = null;
  #queuePosition: number | undefined;
  #cancelling = false;
  #trace = { resumed: false, submits: 0, reconciliations: 0, socketDrops: 0 };
  /** Outputs announced by `executed`, fetched and checked while history is still being asked for. */
  readonly #early = new Map<string, { name: string; checked: Promise<CheckedOutput> }>();
  /**
   * What the WebSocket told of this prompt since its `execution_start`: each node's UI output by
   * `executed`. Complete only while the socket stayed up (`#socketGap` unset): TCP keeps order,
   * so `execution_success` then follows every `executed` and the result needs no history.
   */
  #seenStart = false;
  #socketGap = false;
  readonly #executedUi = new Map<string, NodeOutput | null>();

  constructor(client: ComfyClient, req: GenerationRequest) {
    this.#client = client;
    this.#req = req;
    this.#id = req.promptId;
    this.#reconcileIntervalMs = req.tuning?.reconcileIntervalMs ?? 2000;
    this.#lostConfirmMs = req.tuning?.lostConfirmMs ?? 1000;
    this.#unreachableGraceMs = req.tuning?.unreachableGraceMs ?? 15_000;
    this.#outcome.catch(() => {}); // observed by #follow; never an unhandled rejection
  }

  async run(): Promise<GenerationResult> {
    const { signal } = this.#req;
    signal?.throwIfAborted();
    await this.#check();
    const socket = this.#client.socket;
    const onMessage = (m: WsMessage) => this.#onMessage(m);
    const onOpen = () => this.#reconcileSoon(0);
    const onClose = (e: { wasOpen: boolean }) => {
      this.#socketGap = true; // messages may have been missed: history decides the outcome
      if (e.wasOpen) this.#trace.socketDrops++;
      this.#reconcileSoon(0);
    };
    socket.retain();
    socket.on('message', onMessage);
    try {
      await socket.ready(this.#req.tuning?.socketWaitMs ?? Math.min(2000, this.#client.requestTimeoutMs));
      socket.on('open', onOpen);
      socket.on('close', onClose);
      const finished = await this.#follow(await this.#submitUnlessPresent());
      return await this.#collect(finished.entry, finished.via);
    } catch (e) {
      if (signal?.aborted) {
        // Aborted while submitting or following: the prompt may be on the backend, so stop it there.
        if (this.#trace.submits > 0 || this.#trace.resumed) await this.#cancelOnBackend();
        throw signal.reason;
      }
      throw this.#withContext(e);
    } finally {
      this.#stopTimers();
      socket.off('message', onMessage);
      socket.off('open', onOpen);
      socket.off('close', onClose);
      socket.release();
    }
  }

  // --- before submitting ----------------------------------------------------------------------

  /** Graph shape and preflight against the cached /object_info (refreshed once before failing). */
  async #check(): Promise<void> {
    const signal = this.#req.signal;
    let info = await this.#client.objectInfo({ signal });
    const problem = checkGraph(this.#req.graph, info);
    if (problem) throw problem;
    let pf = preflight(this.#req.graph, info);
    if (pf) {
      info = await this.#client.objectInfo({ signal, refresh: true });
      pf = preflight(this.#req.graph, info);
      if (pf) throw pf;
    }
    this.#objectInfo = info;
  }

  /** Queue first, then history: a prompt finishing between the two calls is still found. */
  async #locate(): Promise<Located | null> {
    const signal = this.#req.signal;
    const where = ComfyClient.positionIn(await this.#client.getQueue({ signal }), this.#id);
    if (where?.state === 'running') return { state: 'running' };
    if (where?.state === 'pending') return { state: 'pending', position: where.position ?? 1 };
    const entry = await this.#client.getHistory(this.#id, { signal });
    return entry ? { state: 'done', entry } : null;
  }

  /** Looks for the prompt on the backend, again and again with backoff, until found or `windowMs` has passed. */
  async #lookFor(windowMs: number): Promise<Located | null> {
    const until = now() + windowMs;
    for (let i = 0; ; i++) {
      await sleep(jitteredBackoffMs(i, this.#client.retryBaseDelayMs / 10, 1000), this.#req.signal);
      const found = await this.#locate();
      if (found || now() >= until) return found;
    }
  }

  async #submitUnlessPresent(): Promise<Located | null> {
    const existing = this.#req.neverSent ? null : await this.#locate();
    if (existing) {
      this.#trace.resumed = true;
      this.#client.logger.info(
        { backend: this.#client.name, promptId: this.#id },
        'prompt already on backend',
      );
      return existing;
    }
    const attempts = this.#client.maxCallAttempts;
    for (let attempt = 1; ; attempt++) {
      try {
        this.#trace.submits++;
        this.#submittedAt = now();
        const res = await this.#client.submitPrompt(this.#req.graph, {
          promptId: this.#id,
          extraData: this.#req.extraData,
          signal: this.#req.signal,
        });
        await this.#refuseIfOutputsFailed(res.node_errors);
        return null;
      } catch (e) {
        if (!isTransient(e) || attempt >= attempts) throw e;
        // The send may have landed, or may still be in validation on a slow server: look for it
        // for up to one more request timeout before sending again, never queue twice. A refused
        // connection carried nothing, so one look is enough.
        const refused = e instanceof AppError && e.detail.errno === 'ECONNREFUSED';
        const found = await this.#lookFor(refused ? 0 : this.#client.requestTimeoutMs);
        if (found) return found;
        this.#client.logger.warn(
          { backend: this.#client.name, promptId: this.#id, attempt },
          'prompt submit failed and the prompt is not on the backend; sending again',
        );
      }
    }
  }

  /**
   * A 200 can still carry node_errors: only the outputs that passed were queued. If none of our
   * video outputs is among them, the prompt is taken back and the validation error reported.
   */
  async #refuseIfOutputsFailed(nodeErrors: Record<string, NodeError>): Promise<void> {
    const errors = Object.values(nodeErrors ?? {});
    if (errors.length === 0) return;
    const failed = new Set(errors.flatMap((e) => e.dependent_outputs ?? []));
    const wanted = this.#videoOutputNodes();
    if (wanted.length > 0 && wanted.some((id) => !failed.has(id))) {
      this.#client.logger.warn(
        { backend: this.#client.name, promptId: this.#id, failed: [...failed] },
        'some outputs failed validation; the video output was queued',
      );
      return;
    }
    await this.#client.cancel(this.#id).catch(() => 'none');
    throw classifyAsError({ kind: 'prompt_node_errors', nodeErrors }, this.#context());
  }

  #videoOutputNodes(): string[] {
    const outputs = this.#objectInfo ? outputNodeTypes(this.#objectInfo) : new Set<string>();
    const stillOnly = /^(SaveImage|PreviewImage|SaveAudio|PreviewAudio|PreviewAny|SaveText)/;
    return Object.entries(this.#req.graph)
      .filter(
        ([, n]) =>
          (outputs.has(n.class_type) || KNOWN_OUTPUT_NODES.has(n.class_type)) &&
          !stillOnly.test(n.class_type),
      )
      .map(([id]) => id);
  }

  // --- following ------------------------------------------------------------------------------

  #follow(start: Located | null): Promise<{ entry: HistoryEntry; via: 'websocket' | 'poll' }> {
    const promise = this.#outcome;
    const { signal } = this.#req;
    const onAbort = () => void this.#abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    promise.finally(() => signal?.removeEventListener('abort', onAbort)).catch(() => {});
    this.#following = true;
    if (this.#reconcileDeferred) this.#reconcileSoon(0);
    if (start?.state === 'done') this.#finishFromHistory(start.entry, 'poll');
    else if (start?.state === 'running') this.#markStarted();
    else {
      this.#report({ phase: 'queued', queuePosition: start?.position, progress: 0 });
      this.#armQueueDeadline();
    }
    this.#tick();
    return promise;
  }

  #onMessage(msg: WsMessage): void {
    if (this.#settled) return;
    const data = msg.data ?? {};
    if (msg.type === 'status') {
      // The queue moved: refresh our position, unless execution has started meanwhile.
      if (this.#phase === 'queued') this.#later(50, () => this.#phase === 'queued' && void this.#reconcile());
      return;
    }
    if (data.prompt_id !== this.#id) return;
    this.#lastEventAt = now();
    switch (msg.type) {
      case 'execution_start':
        this.#seenStart = true;
        this.#markStarted();
        break;
      case 'execution_cached':
      case 'progress_state':
        this.#markStarted();
        break;
      case 'executing':
        if (data.node === null) {
          // Sent after history is written: the real "done" signal.
          void this.#fetchFinished('websocket');
        } else {
          this.#markStarted();
        }
        break;
      case 'progress': {
        this.#markStarted();
        const value = Number(data.value);
        const max = Number(data.max);
        this.#report({
          phase: 'running',
          value,
          max,
          node: typeof data.node === 'string' ? data.node : undefined,
          progress: max > 0 ? Math.min(1, Math.max(0, value / max)) : 0,
        });
        break;
      }
      case 'executed':
        this.#markStarted();
        if (typeof data.node === 'string')
          this.#executedUi.set(data.node, (data.output ?? null) as NodeOutput | null);
        this.#fetchEarly(data as { node?: unknown; output?: unknown });
        break;
      case 'execution_success': {
        // Every output node told its outputs on an unbroken socket: that is the result, and
        // history (written a moment later, protocol §4's race) adds nothing to wait for.
        const entry = this.#entryFromSocket();
        if (entry) {
          this.#finishFromHistory(entry, 'websocket');
          break;
        }
        // History is written just after; `executing` with node null normally follows at once.
        this.#later(250, () => void this.#fetchFinished('websocket'));
        break;
      }
      case 'execution_error': {
        const d = data as unknown as ExecutionErrorData;
        if (d.exception_type === 'ExecutionBlocked') return; // WebSocket-only; the prompt still succeeds
        this.#fail({ kind: 'execution_error', data: d });
        break;
      }
      case 'execution_interrupted':
        if (!this.#cancelling)
          this.#fail({ kind: 'execution_interrupted', data: data as unknown as ExecutionInterruptedData });
        break;
    }
  }

  /**
   * The history entry the WebSocket has told in full, or null: the socket was up from
   * `execution_start` on and every output node of the graph sent `executed` (a cached one too,
   * with its cached UI). Otherwise (a reconnect, an output node without UI, an older server that
   * stays silent for cached nodes) history is read as before.
   */
  #entryFromSocket(): HistoryEntry | null {
    if (!this.#seenStart || this.#socketGap || !this.#objectInfo) return null;
    const outputNodes = outputNodeIds(this.#req.graph, this.#objectInfo);
    if (outputNodes.length === 0 || outputNodes.some((id) => !this.#executedUi.has(id))) return null;
    const outputs: Record<string, NodeOutput> = {};
    for (const [node, ui] of this.#executedUi) if (ui) outputs[node] = ui;
    return {
      prompt: [0, this.#id, this.#req.graph, {}, outputNodes],
      outputs,
      status: { status_str: 'success', completed: true, messages: [] },
    };
  }

  /** After a finish signal: history, retried briefly on `{}` (the success/history race), then a full check. */
  async #fetchFinished(via: 'websocket' | 'poll'): Promise<void> {
    for (let i = 0; i < 3 && !this.#settled; i++) {
      try {
        const entry = await this.#client.getHistory(this.#id, { signal: this.#req.signal });
        if (this.#settled) return;
        if (entry) {
          this.#finishFromHistory(entry, via);
          return;
        }
      } catch (e) {
        if (!isBackendOutage(e)) {
          this.#failWith(e);
          return;
        }
        break;
      }
      await sleep(50 * (i + 1)).catch(() => {});
    }
    this.#reconcileSoon(0);
  }

  #finishFromHistory(entry: HistoryEntry, via: 'websocket' | 'poll'): void {
    if (this.#settled) return;
    const messages = entry.status?.messages ?? [];
    const last = messages[messages.length - 1]?.[0];
    const failed =
      entry.status?.status_str === 'error' || last === 'execution_error' || last === 'execution_interrupted';
    if (failed) {
      if (this.#cancelling) return;
      this.#fail({ kind: 'history', entry });
      return;
    }
    this.#settle(() => this.#resolve({ entry, via }));
  }

  #armQueueDeadline(): void {
    const timeoutMs = this.#req.queueTimeoutMs ?? this.#req.generationTimeoutMs;
    this.#queueDeadline = setTimeout(() => {
      this.#queueDeadline = null;
      if (this.#settled || this.#phase !== 'queued') return;
      this.#client.logger.warn(
        { backend: this.#client.name, promptId: this.#id, timeoutMs, queuePosition: this.#queuePosition },
        'prompt waited too long in the queue',
      );
      this.#cancelling = true;
      // Removed before we give up, so a retry elsewhere never races this prompt starting late.
      void this.#client
        .cancel(this.#id)
        .catch(() => 'none')
        .then(() => this.#fail({ kind: 'queue_timeout', timeoutMs, position: this.#queuePosition }));
    }, timeoutMs);
  }

  #markStarted(): void {
    if (this.#startedAt !== null) return;
    if (this.#queueDeadline) clearTimeout(this.#queueDeadline);
    this.#queueDeadline = null;
    this.#startedAt = now();
    this.#phase = 'running';
    this.#lostSince = null;
    this.#report({ phase: 'running', progress: 0 });
    const timeoutMs = this.#req.generationTimeoutMs;
    this.#deadline = setTimeout(() => {
      this.#client.logger.warn(
        { backend: this.#client.name, promptId: this.#id, timeoutMs },
        'generation timed out',
      );
      this.#cancelling = true;
      void this.#client.cancel(this.#id).catch(() => 'none');
      this.#fail({ kind: 'generation_timeout', timeoutMs });
    }, timeoutMs);
  }

  /** Periodic backstop: reconcile when the socket is quiet or down, and while queued. */
  #tick(): void {
    if (this.#settled) return;
    this.#later(Math.max(50, Math.round(this.#reconcileIntervalMs / 2)), () => {
      const quiet = now() - this.#lastEventAt >= this.#reconcileIntervalMs;
      if (quiet || !this.#client.socket.isOpen || this.#phase === 'queued') void this.#reconcile();
      this.#tick();
    });
  }

  #reconcileSoon(delayMs: number): void {
    if (this.#settled) return;
    this.#later(delayMs, () => void this.#reconcile());
  }

  async #reconcile(): Promise<void> {
    if (this.#settled) return;
    if (!this.#following) {
      this.#reconcileDeferred = true;
      return;
    }
    if (this.#reconciling) {
      this.#reconcileAgain = true;
      return;
    }
    this.#reconciling = true;
    this.#trace.reconciliations++;
    try {
      const located = await this.#locate();
      if (this.#settled) return;
      this.#unreachableSince = null;
      this.#unreachableAttempt = 0;
      if (!located) {
        // In neither /queue nor /history: lost (restart, history cleared), once a second look agrees.
        const t = now();
        this.#lostSince ??= t;
        if (t - this.#lostSince >= this.#lostConfirmMs) {
          this.#fail({ kind: 'prompt_lost', reason: 'not_in_queue_or_history' });
        } else {
          this.#reconcileSoon(this.#lostConfirmMs);
        }
        return;
      }
      this.#lostSince = null;
      if (located.state === 'done') {
        this.#finishFromHistory(located.entry, 'poll');
        return;
      }
      if (located.state === 'running') this.#markStarted();
      else this.#report({ phase: 'queued', queuePosition: located.position, progress: 0 });
    } catch (e) {
      if (this.#settled) return;
      if (!isBackendOutage(e)) {
        this.#failWith(e);
        return;
      }
      const t = now();
      this.#unreachableSince ??= t;
      if (t - this.#unreachableSince >= this.#unreachableGraceMs) {
        this.#fail({
          kind: 'backend_unreachable',
          error: (e as AppError).cause,
          downForMs: Math.round(t - this.#unreachableSince),
        });
        return;
      }
      this.#reconcileSoon(jitteredBackoffMs(this.#unreachableAttempt++, 250, 2000));
    } finally {
      this.#reconciling = false;
      if (this.#reconcileAgain && !this.#settled) {
        this.#reconcileAgain = false;
        this.#reconcileSoon(0);
      }
    }
  }

  async #abort(): Promise<void> {
    if (this.#settled || this.#cancelling) return;
    const reason =
      this.#req.signal?.reason ?? new DOMException('The generation was cancelled.', 'AbortError');
    await this.#cancelOnBackend();
    this.#settle(() => this.#reject(reason));
  }

  /** Stops the prompt on the backend (interrupt or dequeue) and waits briefly until it has stopped. */
  async #cancelOnBackend(): Promise<void> {
    if (this.#cancelling) return;
    this.#cancelling = true;
    try {
      const action = await this.#client.cancel(this.#id);
      // An interrupt takes effect at the next step: wait (briefly) until the prompt has really stopped.
      for (let i = 0; action === 'interrupted' && i < 40; i++) {
        if (!ComfyClient.positionIn(await this.#client.getQueue(), this.#id)) break;
        await sleep(50);
      }
      this.#client.logger.info(
        { backend: this.#client.name, promptId: this.#id, action },
        'generation cancelled',
      );
    } catch (e) {
      this.#client.logger.warn(
        { backend: this.#client.name, promptId: this.#id, err: String(e) },
        'cancel failed',
      );
    }
  }

  #fail(outcome: RawOutcome): void {
    this.#failWith(classifyAsError(outcome, this.#context()));
  }

  #failWith(e: unknown): void {
    // A call that failed because our own signal fired is a cancel, not a failure.
    if (this.#req.signal?.aborted) {
      void this.#abort();
      return;
    }
    this.#settle(() => this.#reject(e));
  }

  #settle(fn: () => void): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#stopTimers();
    fn();
  }

  // --- after it finished ----------------------------------------------------------------------

  async #collect(entry: HistoryEntry, via: 'websocket' | 'poll'): Promise<GenerationResult> {
    const finishedAt = now();
    const { videos, other } = collectMediaOutputs(entry.outputs);
    if (videos.length === 0) throw classifyAsError({ kind: 'no_output', produced: other }, this.#context());
    await mkdir(this.#req.outputDir, { recursive: true });
    // Outputs fetched and checked since `executed` are taken as they are. The history entry
    // decides which outputs count: one that `executed` never named is fetched now.
    const used = new Set([...this.#early.values()].map((e) => e.name));
    const checks = videos.map((v) => {
      const early = this.#early.get(outputKey(v));
      if (early) {
        // A failed early fetch (not a failed check) is tried once more, now that it has finished.
        return early.checked.catch((e: unknown) => {
          if (e instanceof AppError && e.code === 'COMFYUI_OUTPUT_ERROR') throw e;
          return this.#fetchAndCheck(v, join(this.#req.outputDir, early.name));
        });
      }
      const name = uniqueName(v, used);
      used.add(name);
      return this.#fetchAndCheck(v, join(this.#req.outputDir, name));
    });
    const checked = await Promise.all(checks);
    const startedAt = this.#startedAt ?? this.#submittedAt;
    return {
      promptId: this.#id,
      backend: this.#client.name,
      outputs: checked.map(({ fetchedAt: _, ...o }) => o),
      queueMs: Math.max(0, Math.round(startedAt - this.#submittedAt)),
      executionMs: Math.max(0, Math.round(finishedAt - startedAt)),
      trace: {
        ...this.#trace,
        completedVia: via,
        finishedAt,
        fetchedAt: Math.max(...checked.map((o) => o.fetchedAt)),
        checkedAt: now(),
      },
    };
  }

  /** On `executed`: fetch and check the node's videos while the prompt is finishing. */
  #fetchEarly(data: { node?: unknown; output?: unknown }): void {
    if (typeof data.node !== 'string' || !data.output || typeof data.output !== 'object') return;
    const { videos } = collectMediaOutputs({ [data.node]: data.output } as HistoryEntry['outputs']);
    const taken = new Set([...this.#early.values()].map((e) => e.name));
    for (const v of videos) {
      const key = outputKey(v);
      if (this.#early.has(key)) continue;
      const name = uniqueName(v, taken);
      taken.add(name);
      const checked = mkdir(this.#req.outputDir, { recursive: true }).then(() =>
        this.#fetchAndCheck(v, join(this.#req.outputDir, name)),
      );
      checked.catch(() => {}); // awaited by #collect, or dropped with the run
      this.#early.set(key, { name, checked });
    }
  }

  /** One output through /view into `path`, then the ffprobe check; COMFYUI_OUTPUT_ERROR when it is no usable video. */
  async #fetchAndCheck(v: MediaOutput, path: string): Promise<CheckedOutput> {
    await this.#client.viewToFile(v.ref, path, { signal: this.#req.signal });
    const fetchedAt = now();
    const probe = await probeVideo(path, this.#req.tuning?.ffprobePath);
    if (!probe.ok) {
      throw classifyAsError(
        { kind: 'output_invalid', filename: v.ref.filename, reason: probe.reason, probeError: probe.error },
        this.#context(),
      );
    }
    return {
      path,
      filename: basename(path),
      durationSeconds: probe.durationSeconds,
      width: probe.width,
      height: probe.height,
      codec: probe.codec,
      sizeBytes: probe.sizeBytes,
      fetchedAt,
    };
  }

  // --- helpers --------------------------------------------------------------------------------

  #report(e: GenerationProgress): void {
    if (e.phase === 'queued' && this.#phase === 'running') return;
    if (e.phase === 'queued' && e.queuePosition !== undefined) this.#queuePosition = e.queuePosition;
    try {
      this.#req.onProgress?.(e);
    } catch (err) {
      this.#client.logger.warn({ err: String(err) }, 'onProgress threw');
    }
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#settled) fn();
    }, ms);
    this.#timers.add(t);
  }

  #stopTimers(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (this.#deadline) clearTimeout(this.#deadline);
    this.#deadline = null;
    if (this.#queueDeadline) clearTimeout(this.#queueDeadline);
    this.#queueDeadline = null;
  }

  #context() {
    return { backend: this.#client.name, promptId: this.#id };
  }

  #withContext(e: unknown): unknown {
    if (e instanceof AppError) {
      e.detail.backend ??= this.#client.name;
      e.detail.promptId ??= this.#id;
    }
    return e;
  }
}

/** Connection errors and request timeouts: the request may or may not have arrived. */
function isTransient(e: unknown): boolean {
  return (
    e instanceof AppError &&
    (e.code === 'COMFYUI_CONNECTION_ERROR' || e.code === 'COMFYUI_TIMEOUT') &&
    (e.detail.reason === 'unreachable' || e.detail.reason === 'request_timeout')
  );
}

/**
 * While following a prompt already on the backend: a failed call, a 5xx answer to a read (a
 * handler that raised, a proxy in front of a restarting server), or the breaker such failures
 * opened, is one outage. It is waited out for unreachableGraceMs (the prompt may still finish)
 * rather than failing the generation at the first one.
 */
function isBackendOutage(e: unknown): boolean {
  return (
    isTransient(e) ||
    (e instanceof AppError && (e.detail.reason === 'circuit_open' || e.detail.reason === 'server_error'))
  );
}

function safeFileName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').slice(0, 200);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
