import { ProjectWithSegments } from '@framesmith/core/api-schemas';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export async function getProject(id: string): Promise<ProjectWithSegments> {
  const project = await apiRequest(`/api/projects/${encodeURIComponent(id)}`, {
    schema: ProjectWithSegments,
  });
  return { ...project, segments: [...project.segments].sort((a, b) => a.position - b.position) };
}

export const projectQueryOptions = (id: string) =>
  // Live events keep this entry fresh; a refetch happens only when the stream reconnects.
  queryOptions({
    queryKey: queryKeys.project(id),
    queryFn: () => getProject(id),
    staleTime: Number.POSITIVE_INFINITY,
  });

export function useProject(id: string) {
  return useQuery(projectQueryOptions(id));
}
