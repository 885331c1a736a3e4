import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

/** `GET /api/health/comfyui` (issue 6). 503 still carries the report: that is when it matters most. */
export interface BackendDevice {
  name: string;
  vramTotal: number | null;
  vramFree: number | null;
}

export interface BackendHealth {
  name: string;
  status: 'healthy' | 'unhealthy' | 'unreachable' | 'unknown' | string;
  latencyMs: number | null;
  version?: string | null;
  queueRemaining: number | null;
  devices: BackendDevice[];
  circuit: 'closed' | 'open' | 'halfOpen' | string;
  lastCheckedAt: string | null;
  lastError?: string | null;
  draining?: boolean;
}

export interface BackendsHealth {
  status: 'healthy' | 'degraded' | 'unhealthy' | 'unavailable' | string;
  backends: BackendHealth[];
}

export async function getBackendsHealth(): Promise<BackendsHealth> {
  const data = await apiRequest<Partial<BackendsHealth>>('/api/health/comfyui', { acceptStatus: [503] });
  return {
    status: typeof data?.status === 'string' ? data.status : 'unavailable',
    backends: Array.isArray(data?.backends)
      ? data.backends.map((b) => ({ ...b, devices: Array.isArray(b.devices) ? b.devices : [] }))
      : [],
  };
}

export const backendsHealthQueryOptions = () =>
  queryOptions({
    queryKey: queryKeys.backendsHealth(),
    queryFn: getBackendsHealth,
    // Backend changes arrive on the event stream; this slow refresh only covers a server that
    // does not publish them, and it stops while the tab is hidden.
    refetchInterval: 30_000,
    refetchIntervalInBackground: false,
    staleTime: 5_000,
  });

export function useBackendsHealth() {
  return useQuery(backendsHealthQueryOptions());
}
