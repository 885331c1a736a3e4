import type { BackendHealth, ComfyHealth } from '@framesmith/core/ops-schemas';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export type { BackendHealth, ComfyHealth };

/**
 * `GET /api/health/comfyui`. A 503 still carries the report: that is when it matters most.
 * Read without zod on purpose: the header is in the initial bundle, the schemas are not.
 */
/** A backend takes work when it is enabled, healthy and its breaker is not open (an open one turns jobs away). */
export function takesWork(b: BackendHealth): boolean {
  return b.enabled && !b.draining && b.status === 'healthy' && b.circuit !== 'open';
}

export async function getBackendsHealth(): Promise<ComfyHealth> {
  const data = await apiRequest<Partial<ComfyHealth>>('/api/health/comfyui', { acceptStatus: [503] });
  return {
    status: data?.status ?? 'unavailable',
    ...(data?.simulated === undefined ? {} : { simulated: data.simulated }),
    backends: Array.isArray(data?.backends)
      ? data.backends.map((b) => ({ ...b, devices: Array.isArray(b.devices) ? b.devices : [] }))
      : [],
  };
}

export const backendsHealthQueryOptions = () =>
  queryOptions({
    queryKey: queryKeys.backendsHealth(),
    queryFn: getBackendsHealth,
    // No timer (ARCHITECTURE §10): read on mount and when the event stream (re)opens; in between,
    // each `event: backend` on the stream is written into this cache (lib/backends-cache.ts).
    staleTime: 5_000,
  });

export function useBackendsHealth() {
  return useQuery(backendsHealthQueryOptions());
}
