import type { ProjectWithSegments } from '@framesmith/core/api-schemas';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { checkContractLater } from '../../../lib/contract.ts';
import { clock, mergeFetchedProject } from '../../../lib/project-cache.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export async function getProject(id: string): Promise<ProjectWithSegments> {
  const path = `/api/projects/${encodeURIComponent(id)}`;
  const data = await apiRequest(path);
  const project = await checkContractLater((s) => s.ProjectWithSegments, data, `GET ${path}`);
  return { ...project, segments: [...project.segments].sort((a, b) => a.position - b.position) };
}

export const projectQueryOptions = (id: string) =>
  // Live events keep this entry fresh; a refetch happens only when the stream reconnects.
  queryOptions({
    queryKey: queryKeys.project(id),
    queryFn: async ({ client }) => {
      const requestedAt = clock();
      return mergeFetchedProject(client, await getProject(id), requestedAt);
    },
    staleTime: Number.POSITIVE_INFINITY,
  });

export function useProject(id: string) {
  return useQuery(projectQueryOptions(id));
}
