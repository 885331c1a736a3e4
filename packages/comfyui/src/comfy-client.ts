import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError, type WorkflowGraph } from '@framesmith/core';
import { CircuitState, isBrokenCircuitError, type RetryPolicy } from 'cockatiel';
import { classifyAsError } from './classifier.ts';
import { ComfySocket } from './comfy-socket.ts';
import type {
  FileRef,
  HistoryEntry,
  ObjectInfo,
  PromptResponse,
  QueueItem,
  QueueResponse,
  SystemStats,
} from './comfy-types.ts';
import { type Logger, silentLogger } from './logger.ts';
import { type BreakerHandle, backendBreaker, callRetryPolicy } from './resilience.ts';

export interface ComfyClientOptions {
  /** The backend's name in logs, errors and the pool. */
  name: string;
  /** http(s) URL of the ComfyUI server. */
  baseUrl: string;
  /** COMFYUI_REQUEST_TIMEOUT_MS: the deadline of every HTTP call. */
  requestTimeoutMs: number;
  /** RETRY_BASE_DELAY_MS: call-level backoff is a tenth of it (see resilience.ts). */
  retryBaseDelayMs: number;
  /** Attempts of an idempotent call, the first included. Default 3. */
  maxCallAttempts?: number;
  /** Consecutive connection failures that open the breaker. Default 5. */
  breakerThreshold?: number;
  /** Outputs whose declared size is at most this are read whole, then written; larger are streamed. Default 16 MiB. */
  wholeViewMaxBytes?: number;
  logger?: Logger;
  socket?: Partial<{
    reconnectBaseMs: number;
    reconnectMaxMs: number;
    pingIntervalMs: number;
    lingerMs: number;
  }>;
}

export type CircuitStatus = 'closed' | 'open' | 'halfOpen';

export type HealthStatus = 'healthy' | 'unhealthy' | 'unreachable' | 'timeout';

export interface HealthReport {
  status: HealthStatus;
  latencyMs: number;
  version: string | null;
  devices: { name: string; type: string; vramTotal: number; vramFree: number }[];
  queueRemaining: number | null;
  /** Short technical reason when not healthy (an error code and reason, never a URL). */
  error?: string;
}

export interface QueuePosition {
  state: 'running' | 'pending';
  /** 1 = next to run; only for pending prompts. */
  position?: number;
  /** Prompts ahead of this one, running ones included. */
  ahead: number;
}

export interface SubmitOptions {
  promptId: string;
  /** Defaults to this client's own clientId, so the events come to its socket. */
  clientId?: string;
  extraData?: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface SubmitResult extends PromptResponse {
  /** A newer server answered 409: the id is already queued or done. */
  duplicate: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** A non-2xx answer, kept raw until the classifier reads it. */
class HttpStatusError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
    this.status = status;
    this.body = body;
  }
}

interface SendInit extends CallOptions {
  query?: Record<string, string>;
  json?: unknown;
  body?: FormData;
  timeoutMs?: number;
}

/**
 * Typed calls to one ComfyUI server (reference §1). Every method throws an AppError with a
 * taxonomy code. Idempotent calls retry on connection errors and timeouts (cockatiel); all calls
 * go through this backend's circuit breaker, which opens after consecutive connection failures.
 * POST /prompt is never retried here: runGeneration reconciles through /queue and /history first.
 */
export class ComfyClient {
  readonly name: string;
  readonly baseUrl: string;
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly retryBaseDelayMs: number;
  readonly maxCallAttempts: number;
  readonly logger: Logger;
  readonly socket: ComfySocket;
  readonly #retry: RetryPolicy;
  #breaker!: BreakerHandle;
  #disposeBreakerLog: (() => void) | undefined;
  readonly #circuitListeners = new Set<(circuit: CircuitStatus) => void>();
  readonly #breakerThreshold: number;
  readonly #wholeViewMaxBytes: number;
  #objectInfo: ObjectInfo | undefined;
  #objectInfoLoading: Promise<ObjectInfo> | undefined;
  #openedAt = 0;

  constructor(opts: ComfyClientOptions) {
    this.name = opts.name;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.clientId = `framesmith-${randomUUID()}`;
    this.requestTimeoutMs = opts.requestTimeoutMs;
    this.retryBaseDelayMs = opts.retryBaseDelayMs;
    this.maxCallAttempts = opts.maxCallAttempts ?? 3;
    this.#wholeViewMaxBytes = opts.wholeViewMaxBytes ?? 16 * 1024 * 1024;
    this.logger = opts.logger ?? silentLogger;
    this.#retry = callRetryPolicy(opts.retryBaseDelayMs, this.maxCallAttempts);
    this.#retry.onRetry((e) => {
      const reason = 'error' in e ? String((e.error as Error)?.name ?? e.error) : 'result';
      this.logger.debug(
        { backend: this.name, attempt: e.attempt, delay: e.delay, reason },
        'comfyui call retry',
      );
    });
    this.#breakerThreshold = opts.breakerThreshold ?? 5;
    this.#installBreaker();
    const wsUrl = new URL('/ws', `${this.baseUrl}/`);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    this.socket = new ComfySocket({
      url: wsUrl.toString(),
      clientId: this.clientId,
      logger: this.logger,
      reconnectBaseMs: opts.socket?.reconnectBaseMs ?? Math.max(50, Math.round(opts.retryBaseDelayMs / 10)),
      reconnectMaxMs: opts.socket?.reconnectMaxMs ?? 5000,
      pingIntervalMs: opts.socket?.pingIntervalMs ?? 10_000,
      lingerMs: opts.socket?.lingerMs ?? 30_000,
    });
  }

  // --- circuit breaker ------------------------------------------------------------------------

  get circuit(): CircuitStatus {
    return toCircuitStatus(this.#breaker.policy.state);
  }

  /** When an open breaker lets the next call through as a half-open trial (epoch ms), else null. */
  get circuitRetryAt(): number | null {
    if (this.#breaker.policy.state !== CircuitState.Open) return null;
    return this.#openedAt + this.#breaker.halfOpenAfter.lastDuration;
  }

  /** Last failure that moved the breaker, as short text. */
  get circuitLastFailure(): string | undefined {
    const f = this.#breaker.policy.lastFailure;
    if (!f || !('error' in f)) return undefined;
    return classifyAsError({ kind: 'network', error: f.error }).code;
  }

  onCircuitChange(listener: (circuit: CircuitStatus) => void): () => void {
    this.#circuitListeners.add(listener);
    return () => this.#circuitListeners.delete(listener);
  }

  /**
   * Asks /system_stats directly, past an open breaker. When the backend answers, the breaker is
   * closed at once: a person who brought a server back (and clicked Retry) should not wait out a
   * half-open backoff that grew while it was down. Returns whether the backend answered.
   */
  async probe(timeoutMs: number): Promise<boolean> {
    try {
      await this.#send('GET', '/system_stats', { timeoutMs });
    } catch {
      return false;
    }
    if (this.circuit !== 'closed') {
      this.logger.info({ backend: this.name }, 'comfyui probe answered: circuit closed');
      this.#installBreaker();
      for (const listener of this.#circuitListeners) listener('closed');
    }
    return true;
  }

  /** A fresh breaker (closed), its transitions logged and passed on to onCircuitChange listeners. */
  #installBreaker(): void {
    this.#disposeBreakerLog?.();
    this.#breaker = backendBreaker(this.retryBaseDelayMs, this.#breakerThreshold);
    const subscription = this.#breaker.policy.onStateChange((state) => {
      if (state === CircuitState.Open) this.#openedAt = Date.now();
      const circuit = toCircuitStatus(state);
      const log = circuit === 'open' ? this.logger.warn : this.logger.info;
      log.call(this.logger, { backend: this.name, circuit }, `comfyui circuit ${circuit}`);
      for (const listener of this.#circuitListeners) listener(circuit);
    });
    this.#disposeBreakerLog = () => subscription.dispose();
  }

  // --- routes ---------------------------------------------------------------------------------

  /** POST /prompt with our own prompt_id. Not retried (see runGeneration). */
  async submitPrompt(graph: WorkflowGraph, opts: SubmitOptions): Promise<SubmitResult> {
    return this.#call('submit', false, opts.signal, async (signal) => {
      const body = {
        prompt: graph,
        client_id: opts.clientId ?? this.clientId,
        prompt_id: opts.promptId,
        extra_data: opts.extraData ?? {},
      };
      try {
        const res = await this.#send('POST', '/prompt', { json: body, signal });
        const parsed = (await res.json()) as PromptResponse;
        return { ...parsed, node_errors: parsed.node_errors ?? {}, duplicate: false };
      } catch (e) {
        if (e instanceof HttpStatusError && e.status === 409) {
          return { prompt_id: opts.promptId, number: Number.NaN, node_errors: {}, duplicate: true };
        }
        throw e;
      }
    });
  }

  async getQueue(opts: CallOptions = {}): Promise<QueueResponse> {
    return this.#call('queue', true, opts.signal, async (signal) => {
      const q = (await (await this.#send('GET', '/queue', { signal })).json()) as Partial<QueueResponse>;
      return { queue_running: q.queue_running ?? [], queue_pending: q.queue_pending ?? [] };
    });
  }

  /** Where a prompt is in the queue, or null when it is neither running nor pending. */
  static positionIn(queue: QueueResponse, promptId: string): QueuePosition | null {
    if (queue.queue_running.some((item) => item[1] === promptId)) {
      return { state: 'running', ahead: 0 };
    }
    // Pending items come in heap order: sort by number (lower runs first).
    const pending = [...queue.queue_pending].sort((a: QueueItem, b: QueueItem) => a[0] - b[0]);
    const index = pending.findIndex((item) => item[1] === promptId);
    if (index < 0) return null;
    return { state: 'pending', position: index + 1, ahead: index + queue.queue_running.length };
  }

  async deleteFromQueue(promptIds: string[], opts: CallOptions = {}): Promise<void> {
    await this.#call('queue_delete', true, opts.signal, async (signal) => {
      await this.#send('POST', '/queue', { json: { delete: promptIds }, signal });
    });
  }

  /** The finished entry, or null while unknown or not finished (the server cannot tell those apart). */
  async getHistory(promptId: string, opts: CallOptions = {}): Promise<HistoryEntry | null> {
    return this.#call('history', true, opts.signal, async (signal) => {
      const res = await this.#send('GET', `/history/${encodeURIComponent(promptId)}`, { signal });
      const body = (await res.json()) as Record<string, HistoryEntry>;
      return body[promptId] ?? null;
    });
  }

  /** POST /interrupt; with a prompt id it only stops that prompt if it is the one running. */
  async interrupt(promptId?: string, opts: CallOptions = {}): Promise<void> {
    await this.#call('interrupt', true, opts.signal, async (signal) => {
      await this.#send('POST', '/interrupt', { json: promptId ? { prompt_id: promptId } : {}, signal });
    });
  }

  /** Stops a prompt: interrupts it if running, removes it from the queue if pending. */
  async cancel(promptId: string, opts: CallOptions = {}): Promise<'interrupted' | 'dequeued' | 'none'> {
    const where = ComfyClient.positionIn(await this.getQueue(opts), promptId);
    if (!where) return 'none';
    if (where.state === 'running') {
      await this.interrupt(promptId, opts);
      return 'interrupted';
    }
    await this.deleteFromQueue([promptId], opts);
    // It may have started between the two calls: then it needs an interrupt.
    const after = ComfyClient.positionIn(await this.getQueue(opts), promptId);
    if (after?.state === 'running') {
      await this.interrupt(promptId, opts);
      return 'interrupted';
    }
    return 'dequeued';
  }

  async systemStats(opts: CallOptions & { timeoutMs?: number } = {}): Promise<SystemStats> {
    return this.#call('system_stats', true, opts.signal, async (signal) => {
      return (await (
        await this.#send('GET', '/system_stats', { signal, timeoutMs: opts.timeoutMs })
      ).json()) as SystemStats;
    });
  }

  /** GET /object_info, cached per backend; `refresh` fetches it again. Concurrent callers share one fetch. */
  async objectInfo(opts: CallOptions & { refresh?: boolean } = {}): Promise<ObjectInfo> {
    if (this.#objectInfo && !opts.refresh) return this.#objectInfo;
    // The shared load runs on no caller's signal: one caller giving up must not fail the others.
    this.#objectInfoLoading ??= this.#call('object_info', true, undefined, async (signal) => {
      return (await (await this.#send('GET', '/object_info', { signal })).json()) as ObjectInfo;
    })
      .then((info) => {
        this.#objectInfo = info;
        return info;
      })
      .finally(() => {
        this.#objectInfoLoading = undefined;
      });
    return untilAborted(this.#objectInfoLoading, opts.signal);
  }

  /** The cached /object_info, if any, without a request. */
  get cachedObjectInfo(): ObjectInfo | undefined {
    return this.#objectInfo;
  }

  /** GET /view into `destPath`; returns the byte count. A partial file is removed. */
  async viewToFile(ref: FileRef, destPath: string, opts: CallOptions = {}): Promise<{ sizeBytes: number }> {
    return this.#call('view', true, opts.signal, async (signal) => {
      const query = { filename: ref.filename, subfolder: ref.subfolder ?? '', type: ref.type || 'output' };
      const res = await this.#send('GET', '/view', { query, signal });
      // A small output is read whole and written in one call: fewer hops than a stream pipeline,
      // on the path between a prompt finishing and its segment completing. A large or unsized one
      // is streamed.
      const declared = Number(res.headers.get('content-length') ?? Number.NaN);
      const whole = declared >= 0 && declared <= this.#wholeViewMaxBytes;
      let sizeBytes = 0;
      let writeError: (Error & { code?: string }) | undefined;
      const onWriteError = (e: Error & { code?: string }) => {
        writeError ??= e;
        throw e;
      };
      try {
        if (whole) {
          const bytes = new Uint8Array(await res.arrayBuffer());
          sizeBytes = bytes.length;
          await writeFile(destPath, bytes).catch(onWriteError);
        } else {
          const source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
          source.on('data', (chunk: Buffer) => {
            sizeBytes += chunk.length;
          });
          const file = createWriteStream(destPath);
          file.on('error', (e) => {
            writeError ??= e;
          });
          await pipeline(source, file);
        }
      } catch (e) {
        await rm(destPath, { force: true });
        // A full or unwritable disk here is our fault: not retried, not held against the backend.
        if (writeError) {
          throw new AppError('INTERNAL_ERROR', {
            cause: writeError,
            detail: {
              reason: 'output_write_failed',
              errno: writeError.code,
              exceptionMessage: writeError.message,
            },
          });
        }
        throw e;
      }
      return { sizeBytes };
    });
  }

  /** POST /upload/image (also for video inputs). Always use the returned name: clashes get renamed. */
  async uploadImage(
    data: Uint8Array | Blob,
    filename: string,
    opts: CallOptions & { subfolder?: string; type?: 'input' | 'temp' | 'output'; overwrite?: boolean } = {},
  ): Promise<FileRef> {
    return this.#call('upload', true, opts.signal, async (signal) => {
      const form = new FormData();
      const blob = data instanceof Blob ? data : new Blob([data as Uint8Array<ArrayBuffer>]);
      form.append('image', blob, filename);
      form.append('type', opts.type ?? 'input');
      form.append('subfolder', opts.subfolder ?? '');
      form.append('overwrite', opts.overwrite ? 'true' : 'false');
      const res = await this.#send('POST', '/upload/image', { body: form, signal });
      const body = (await res.json()) as { name: string; subfolder: string; type: string };
      return { filename: body.name, subfolder: body.subfolder ?? '', type: body.type ?? 'input' };
    });
  }

  /** GET /models/{folder}: file names; an unknown folder gives an empty list. */
  async listModels(folder: string, opts: CallOptions = {}): Promise<string[]> {
    try {
      return await this.#call('models', true, opts.signal, async (signal) => {
        return (await (
          await this.#send('GET', `/models/${encodeURIComponent(folder)}`, { signal })
        ).json()) as string[];
      });
    } catch (e) {
      if (e instanceof AppError && e.detail.httpStatus === 404) return [];
      throw e;
    }
  }

  /** /system_stats and the queue length within `timeoutMs`, one attempt, never throws. */
  async health(timeoutMs: number): Promise<HealthReport> {
    const started = performance.now();
    try {
      const [stats, queueRemaining] = await Promise.all([
        this.#call('health', false, undefined, async (signal) => {
          return (await (
            await this.#send('GET', '/system_stats', { signal, timeoutMs })
          ).json()) as SystemStats;
        }),
        this.#call('health', false, undefined, async (signal) => {
          const body = (await (await this.#send('GET', '/prompt', { signal, timeoutMs })).json()) as {
            exec_info?: { queue_remaining?: number };
          };
          return body.exec_info?.queue_remaining ?? null;
        }),
      ]);
      return {
        status: 'healthy',
        latencyMs: Math.round(performance.now() - started),
        version: stats.system?.comfyui_version ?? null,
        devices: (stats.devices ?? []).map((d) => ({
          name: d.name,
          type: d.type,
          vramTotal: d.vram_total,
          vramFree: d.vram_free,
        })),
        queueRemaining,
      };
    } catch (e) {
      const err = e instanceof AppError ? e : classifyAsError({ kind: 'network', error: e });
      const reason = String(err.detail.reason ?? '');
      // An open breaker did not ask: the backend is in the state of the failures that opened it.
      const code = reason === 'circuit_open' ? (this.circuitLastFailure ?? err.code) : err.code;
      const status: HealthStatus =
        code === 'COMFYUI_TIMEOUT'
          ? 'timeout'
          : reason === 'unreachable' || reason === 'circuit_open'
            ? 'unreachable'
            : 'unhealthy';
      return {
        status,
        latencyMs: Math.round(performance.now() - started),
        version: null,
        devices: [],
        queueRemaining: null,
        error: reason ? `${err.code}: ${reason}` : err.code,
      };
    }
  }

  /** Closes the WebSocket; HTTP calls still work. */
  close(): void {
    this.socket.close();
  }

  // --- plumbing -------------------------------------------------------------------------------

  async #call<T>(
    operation: string,
    idempotent: boolean,
    signal: AbortSignal | undefined,
    fn: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const once = () => this.#breaker.policy.execute(() => fn(signal), signal);
    try {
      return idempotent ? await this.#retry.execute(once, signal) : await once();
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw this.#classify(e, operation);
    }
  }

  #classify(e: unknown, operation: string): AppError {
    const context = { backend: this.name };
    if (e instanceof AppError) return e;
    if (isBrokenCircuitError(e)) return classifyAsError({ kind: 'circuit_open' }, context);
    if (e instanceof HttpStatusError) {
      return classifyAsError({ kind: 'http', status: e.status, body: e.body, operation }, context);
    }
    return classifyAsError({ kind: 'network', error: e, operation }, context);
  }

  async #send(method: string, path: string, init: SendInit): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    const timeout = AbortSignal.timeout(init.timeoutMs ?? this.requestTimeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const headers: Record<string, string> = {};
    let body: string | FormData | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body) {
      body = init.body;
    }
    const res = await fetch(url, { method, headers, body, signal });
    if (!res.ok) throw new HttpStatusError(res.status, await readBody(res));
    return res;
  }
}

/** `promise`, or the signal's reason as soon as it aborts (the work itself goes on for others). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function toCircuitStatus(state: CircuitState): CircuitStatus {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'halfOpen';
  return 'open';
}
