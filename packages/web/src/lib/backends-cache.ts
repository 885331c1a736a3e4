import type { BackendHealth, ComfyHealth } from '@framesmith/core/ops-schemas';
import type { QueryClient } from '@tanstack/react-query';
import { queryKeys } from './query-keys.ts';

/**
 * Writes one backend's health, as an `event: backend` on the live stream carries it (the shape
 * `GET /api/health/comfyui` lists), into the cached health report, so the header's indicator
 * changes without a request. Shared (lib) because the events feature receives it and the backends
 * feature shows it. Checked by hand, not zod: the header is in the initial bundle.
 */
export function isBackendHealth(value: unknown): value is BackendHealth {
  if (!value || typeof value !== 'object') return false;
  const b = value as Record<string, unknown>;
  return typeof b.name === 'string' && typeof b.status === 'string' && typeof b.enabled === 'boolean';
}

/** The overall status as the server derives it from its enabled backends. */
function overall(backends: readonly BackendHealth[]): ComfyHealth['status'] {
  const enabled = backends.filter((b) => b.enabled);
  if (enabled.length === 0) return 'unavailable';
  const healthy = enabled.filter((b) => b.status === 'healthy').length;
  if (healthy === enabled.length) return 'healthy';
  return healthy > 0 ? 'degraded' : 'unhealthy';
}

/** Returns false when there is no report to update yet (the caller fetches one instead). */
export function upsertBackendHealth(qc: QueryClient, backend: BackendHealth): boolean {
  const current = qc.getQueryData<ComfyHealth>(queryKeys.backendsHealth());
  if (!current) return false;
  const next = { ...backend, devices: Array.isArray(backend.devices) ? backend.devices : [] };
  const known = current.backends.some((b) => b.name === backend.name);
  const backends = known
    ? current.backends.map((b) => (b.name === backend.name ? next : b))
    : [...current.backends, next];
  qc.setQueryData<ComfyHealth>(queryKeys.backendsHealth(), {
    ...current,
    status: overall(backends),
    backends,
  });
  return true;
}
