import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

/** `/api/meta`: how this server runs. `simulated` means the built-in simulator stands in for a GPU. */
export interface ServerMeta {
  backendMode: 'simulated' | 'comfyui';
  version?: string;
  [key: string]: unknown;
}

export function getMeta(): Promise<ServerMeta> {
  return apiRequest<ServerMeta>('/api/meta');
}

export const metaQueryOptions = () =>
  queryOptions({ queryKey: queryKeys.meta(), queryFn: getMeta, staleTime: Number.POSITIVE_INFINITY });

export function useMeta() {
  return useQuery(metaQueryOptions());
}
