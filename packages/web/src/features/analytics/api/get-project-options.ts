import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest, unwrapList } from '../../../lib/api-client.ts';

export interface ProjectOption {
  id: string;
  name: string;
}

/** Project names for the dashboard's filter (`GET /api/projects`, read as id and name only). */
export async function getProjectOptions(): Promise<ProjectOption[]> {
  const list = unwrapList<{ id: string; name: string }>(await apiRequest('/api/projects'), 'projects');
  return list.map((p) => ({ id: p.id, name: p.name }));
}

export function useProjectOptions() {
  return useQuery(
    queryOptions({
      queryKey: ['analytics', 'project-options'] as const,
      queryFn: getProjectOptions,
      staleTime: 60_000,
    }),
  );
}
