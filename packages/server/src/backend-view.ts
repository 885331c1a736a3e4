import { scrubText, truncate } from '@framesmith/core';
import type { BackendHealth, BackendHealthStatus, CircuitState } from '@framesmith/core/ops-schemas';

/**
 * What operators see of one ComfyUI backend, from the pool's snapshot: its name and health,
 * never its address (a URL in an error text is replaced, so health never reveals one).
 */
export type BackendView = BackendHealth;

/** The parts of a pool's per-backend snapshot this module reads (the comfyui BackendPool gives more). */
export interface PoolBackendSnapshot {
  name: string;
  status: string;
  latencyMs?: number | null;
  version?: string | null;
  queueRemaining?: number | null;
  devices?: readonly { name: string; vramTotal: number; vramFree: number }[] | null;
  circuit?: string | null;
  inFlight?: number | null;
  lastCheckedAt?: Date | string | number | null;
  lastError?: string | { message?: string } | null;
  enabled?: boolean;
  draining?: boolean;
}

/** The pool as health, metrics and the backends API use it. */
export interface BackendPoolLike {
  snapshot(): readonly PoolBackendSnapshot[];
  checkNow?(name?: string): Promise<unknown>;
}

const STATUSES = new Set<BackendHealthStatus>(['healthy', 'unhealthy', 'unreachable', 'timeout', 'unknown']);
const CIRCUITS = new Set<CircuitState>(['closed', 'open', 'halfOpen']);

function iso(value: Date | string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function errorText(value: PoolBackendSnapshot['lastError']): string | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'string' ? value : (value.message ?? '');
  return text ? truncate(scrubText(text), 300) : null;
}

export function toBackendView(s: PoolBackendSnapshot): BackendView {
  const circuit = (s.circuit ?? 'closed') as CircuitState;
  return {
    name: s.name,
    status: STATUSES.has(s.status as BackendHealthStatus) ? (s.status as BackendHealthStatus) : 'unknown',
    enabled: s.enabled ?? true,
    draining: s.draining ?? false,
    latencyMs: s.latencyMs ?? null,
    version: s.version ?? null,
    queueRemaining: s.queueRemaining ?? null,
    devices: (s.devices ?? []).map((d) => ({ name: d.name, vramTotal: d.vramTotal, vramFree: d.vramFree })),
    circuit: CIRCUITS.has(circuit) ? circuit : 'closed',
    inFlight: s.inFlight ?? 0,
    lastCheckedAt: iso(s.lastCheckedAt),
    lastError: errorText(s.lastError),
  };
}

export function backendViews(pool: BackendPoolLike | undefined): BackendView[] {
  if (!pool) return [];
  return pool.snapshot().map(toBackendView);
}
