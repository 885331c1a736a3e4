import { EventEmitter } from 'node:events';
import { AppError, type WorkflowGraph } from '@framesmith/core';
import { type CircuitStatus, ComfyClient, type HealthReport, type HealthStatus } from './comfy-client.ts';
import { type Logger, silentLogger } from './logger.ts';
import { preflight } from './preflight.ts';

export interface BackendConfig {
  name: string;
  url: string;
}

export interface BackendPoolOptions {
  backends: BackendConfig[];
  requestTimeoutMs: number;
  retryBaseDelayMs: number;
  healthCheckTimeoutMs: number;
  healthCheckIntervalMs: number;
  /** A backend whose load (our in-flight jobs + others' queued prompts) reaches this is busy. Default 2. */
  busyThreshold?: number;
  maxCallAttempts?: number;
  breakerThreshold?: number;
  logger?: Logger;
}

export interface BackendState {
  name: string;
  url: string;
  status: HealthStatus | 'unknown';
  latencyMs: number | null;
  version: string | null;
  queueRemaining: number | null;
  devices: HealthReport['devices'];
  circuit: CircuitStatus;
  /** Epoch ms when an open breaker lets a trial call through. */
  circuitRetryAt: number | null;
  inFlight: number;
  lastCheckedAt: string | null;
  lastError: string | null;
  enabled: boolean;
  draining: boolean;
}

export type LeaseOutcome = 'ok' | 'error' | 'connection_error';

export interface Lease {
  name: string;
  client: ComfyClient;
  /** Frees the slot; idempotent. A connection error triggers an immediate health check. */
  release(outcome?: LeaseOutcome): void;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Prefer a backend that has every node type and model file this graph needs. */
  requirements?: { graph: WorkflowGraph };
}

interface Backend {
  name: string;
  url: string;
  client: ComfyClient;
  health: HealthReport | null;
  lastCheckedAt: Date | null;
  inFlight: number;
  /** Our in-flight count when queue_remaining was read (it already counts those). */
  inFlightAtCheck: number;
  enabled: boolean;
  draining: boolean;
  removed: boolean;
  checking: Promise<void> | null;
  halfOpenTimer: NodeJS.Timeout | null;
  disposeCircuit: () => void;
  /** Epoch ms of the last probe past an open breaker (acquire probes at most once a second). */
  lastProbeAt: number;
}

/**
 * The ComfyUI servers of COMFYUI_URL (seed's enhancements 3 and 5): health on an interval, a
 * circuit breaker each (in its client), least-loaded routing, throttling when every backend is
 * busy, and routing by installed nodes and models. Emits 'change' (BackendState) on every
 * health or breaker transition, and 'throttled' ({waiting}) when a job starts waiting for a slot.
 */
export class BackendPool extends EventEmitter {
  readonly #opts: BackendPoolOptions;
  readonly #logger: Logger;
  readonly #busyThreshold: number;
  readonly #backends = new Map<string, Backend>();
  #interval: NodeJS.Timeout | null = null;
  #waiters = new Set<() => void>();
  #stopped = false;
  #roundRobin = 0;

  constructor(opts: BackendPoolOptions) {
    super();
    this.setMaxListeners(0);
    this.#opts = opts;
    this.#logger = opts.logger ?? silentLogger;
    this.#busyThreshold = Math.max(1, opts.busyThreshold ?? 2);
    for (const b of opts.backends) this.add(b);
  }

  start(): void {
    this.#stopped = false;
    if (this.#interval) return;
    void this.checkNow();
    this.#interval = setInterval(() => void this.checkNow(), this.#opts.healthCheckIntervalMs);
    this.#interval.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#interval) clearInterval(this.#interval);
    this.#interval = null;
    for (const b of this.#backends.values()) this.#dispose(b);
    this.#wake();
  }

  add(config: BackendConfig): void {
    if (this.#backends.has(config.name)) throw new Error(`backend ${config.name} already exists`);
    const client = new ComfyClient({
      name: config.name,
      baseUrl: config.url,
      requestTimeoutMs: this.#opts.requestTimeoutMs,
      retryBaseDelayMs: this.#opts.retryBaseDelayMs,
      maxCallAttempts: this.#opts.maxCallAttempts,
      breakerThreshold: this.#opts.breakerThreshold,
      logger: this.#logger,
    });
    const backend: Backend = {
      name: config.name,
      url: config.url,
      client,
      health: null,
      lastCheckedAt: null,
      inFlight: 0,
      inFlightAtCheck: 0,
      enabled: true,
      draining: false,
      removed: false,
      checking: null,
      halfOpenTimer: null,
      lastProbeAt: 0,
      disposeCircuit: () => {},
    };
    backend.disposeCircuit = client.onCircuitChange((circuit) => this.#onCircuit(backend, circuit));
    this.#backends.set(config.name, backend);
    if (this.#interval) void this.checkNow(config.name);
    this.#changed(backend);
  }

  remove(name: string): void {
    const b = this.#backends.get(name);
    if (!b) return;
    this.#backends.delete(name);
    b.removed = true;
    if (b.inFlight === 0) this.#dispose(b);
    this.#wake();
  }

  setEnabled(name: string, enabled: boolean): void {
    this.#set(name, (b) => {
      b.enabled = enabled;
    });
  }

  setDraining(name: string, draining: boolean): void {
    this.#set(name, (b) => {
      b.draining = draining;
    });
  }

  get(name: string): ComfyClient | undefined {
    return this.#backends.get(name)?.client;
  }

  snapshot(): BackendState[] {
    return [...this.#backends.values()].map((b) => this.#state(b));
  }

  /** Health-checks one backend (or all) now; resolves when done. Concurrent calls share a check. */
  async checkNow(name?: string): Promise<void> {
    const targets = name
      ? [this.#backends.get(name)].filter((b): b is Backend => !!b)
      : [...this.#backends.values()];
    await Promise.all(targets.map((b) => this.#check(b)));
  }

  /**
   * Picks the least-loaded healthy backend with a closed or half-open breaker. Waits while every
   * candidate is busy (throttling); fails with COMFYUI_CONNECTION_ERROR when none is usable at all.
   */
  async acquire(opts: AcquireOptions = {}): Promise<Lease> {
    const { signal } = opts;
    for (;;) {
      signal?.throwIfAborted();
      if (this.#stopped) throw this.#noBackend('pool_stopped');
      // Never route on guesses: backends not checked yet are checked first.
      const unchecked = [...this.#backends.values()].filter((b) => b.health === null && b.enabled);
      if (unchecked.length) await Promise.all(unchecked.map((b) => this.#check(b)));
      let candidates = [...this.#backends.values()].filter((b) => this.#usable(b));
      if (candidates.length === 0) {
        // Before failing a job, ask the unusable backends once more: one may be back already.
        await this.#probeUnusable();
        candidates = [...this.#backends.values()].filter((b) => this.#usable(b));
      }
      if (candidates.length === 0) throw this.#noBackend('no_healthy_backend');
      if (opts.requirements?.graph) candidates = await this.#capable(candidates, opts.requirements.graph);
      const free = candidates.filter((b) => this.#load(b) < this.#busyThreshold);
      if (free.length > 0) {
        const picked = this.#pick(free);
        return this.#lease(picked);
      }
      this.emit('throttled', { waiting: this.#waiters.size + 1 });
      await this.#waitForSlot(signal);
    }
  }

  // --- internals ------------------------------------------------------------------------------

  #usable(b: Backend): boolean {
    return (
      b.enabled && !b.draining && !b.removed && b.health?.status === 'healthy' && b.client.circuit !== 'open'
    );
  }

  /**
   * Probes enabled backends that are down or whose breaker is open (past the breaker), at most
   * once a second each, then re-checks the ones that answered.
   */
  async #probeUnusable(): Promise<void> {
    const now = Date.now();
    const targets = [...this.#backends.values()].filter(
      (b) => b.enabled && !b.draining && !b.removed && !this.#usable(b) && now - b.lastProbeAt >= 1000,
    );
    await Promise.all(
      targets.map(async (b) => {
        b.lastProbeAt = now;
        if (!(await b.client.probe(this.#opts.healthCheckTimeoutMs))) return;
        // A check already under way may have started before the backend came back.
        await b.checking;
        await this.#check(b);
      }),
    );
  }

  #load(b: Backend): number {
    const others = Math.max(0, (b.health?.queueRemaining ?? 0) - b.inFlightAtCheck);
    return b.inFlight + others;
  }

  #pick(free: Backend[]): Backend {
    const minLoad = Math.min(...free.map((b) => this.#load(b)));
    const best = free.filter((b) => this.#load(b) === minLoad);
    return best[this.#roundRobin++ % best.length]!;
  }

  /** Backends that have the graph's nodes and models; all candidates if none has (runGeneration then names what is missing). */
  async #capable(candidates: Backend[], graph: WorkflowGraph): Promise<Backend[]> {
    const checks = await Promise.all(
      candidates.map(async (b) => {
        try {
          const info = b.client.cachedObjectInfo ?? (await b.client.objectInfo());
          return preflight(graph, info) === null;
        } catch {
          return false;
        }
      }),
    );
    const capable = candidates.filter((_, i) => checks[i]);
    return capable.length > 0 ? capable : candidates;
  }

  #lease(b: Backend): Lease {
    b.inFlight++;
    let released = false;
    this.#changed(b);
    return {
      name: b.name,
      client: b.client,
      release: (outcome: LeaseOutcome = 'ok') => {
        if (released) return;
        released = true;
        b.inFlight = Math.max(0, b.inFlight - 1);
        if (b.removed && b.inFlight === 0) this.#dispose(b);
        if (outcome === 'connection_error' && !b.removed) void this.#check(b);
        this.#changed(b);
        this.#wake();
      },
    };
  }

  #waitForSlot(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters.delete(done);
        reject(signal?.reason);
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  #check(b: Backend): Promise<void> {
    if (b.checking) return b.checking;
    b.checking = (async () => {
      const before = this.#state(b);
      const inFlight = b.inFlight;
      const report = await b.client.health(this.#opts.healthCheckTimeoutMs);
      b.health = report;
      b.inFlightAtCheck = inFlight;
      b.lastCheckedAt = new Date();
      if (report.status === 'healthy' && (!b.client.cachedObjectInfo || before.version !== report.version)) {
        // Routing by nodes and models needs it; a new version may have new nodes.
        void b.client.objectInfo({ refresh: true }).catch(() => {});
      }
      if (before.status !== report.status) {
        const log = report.status === 'healthy' ? this.#logger.info : this.#logger.warn;
        log.call(
          this.#logger,
          { backend: b.name, from: before.status, to: report.status, error: report.error },
          'comfyui backend health changed',
        );
      }
      this.#changed(b);
      this.#wake();
    })().finally(() => {
      b.checking = null;
    });
    return b.checking;
  }

  #onCircuit(b: Backend, circuit: CircuitStatus): void {
    if (b.halfOpenTimer) clearTimeout(b.halfOpenTimer);
    b.halfOpenTimer = null;
    if (circuit === 'open') {
      // Probe as soon as the breaker allows a trial, rather than at the next interval.
      const retryAt = b.client.circuitRetryAt;
      if (retryAt !== null && !b.removed) {
        b.halfOpenTimer = setTimeout(() => void this.#check(b), Math.max(0, retryAt - Date.now()) + 10);
        b.halfOpenTimer.unref();
      }
    }
    this.#changed(b);
    this.#wake();
  }

  #set(name: string, fn: (b: Backend) => void): void {
    const b = this.#backends.get(name);
    if (!b) throw new Error(`unknown backend ${name}`);
    fn(b);
    this.#changed(b);
    this.#wake();
  }

  #changed(b: Backend): void {
    this.emit('change', this.#state(b));
  }

  #state(b: Backend): BackendState {
    return {
      name: b.name,
      url: b.url,
      status: b.health?.status ?? 'unknown',
      latencyMs: b.health?.latencyMs ?? null,
      version: b.health?.version ?? null,
      queueRemaining: b.health?.queueRemaining ?? null,
      devices: b.health?.devices ?? [],
      circuit: b.client.circuit,
      circuitRetryAt: b.client.circuitRetryAt,
      inFlight: b.inFlight,
      lastCheckedAt: b.lastCheckedAt?.toISOString() ?? null,
      lastError: b.health?.error ?? null,
      enabled: b.enabled,
      draining: b.draining,
    };
  }

  #noBackend(reason: string): AppError {
    return new AppError('COMFYUI_CONNECTION_ERROR', {
      message: 'No GPU server is available right now.',
      detail: {
        reason,
        backends: [...this.#backends.values()].map((b) => ({
          name: b.name,
          status: b.health?.status ?? 'unknown',
          circuit: b.client.circuit,
          enabled: b.enabled,
          draining: b.draining,
        })),
      },
    });
  }

  #dispose(b: Backend): void {
    if (b.halfOpenTimer) clearTimeout(b.halfOpenTimer);
    b.halfOpenTimer = null;
    b.disposeCircuit();
    b.client.close();
  }
}
