import type { RenderJob } from '@framesmith/core/api-schemas';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest, unwrapList } from '../../../lib/api-client.ts';
import { checkContractLater } from '../../../lib/contract.ts';
import { clock, mergeFetchedRenderJobs } from '../../../lib/project-cache.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export async function getRenderJobs(projectId: string): Promise<RenderJob[]> {
  const path = `/api/projects/${encodeURIComponent(projectId)}/render-jobs`;
  const data = await apiRequest(path);
  const jobs = await checkContractLater(
    (s) => s.RenderJob.array(),
    unwrapList(data, 'renderJobs'),
    `GET ${path}`,
  );
  return [...jobs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export const renderJobsQueryOptions = (projectId: string) =>
  // Kept fresh by the event stream; refetched when the stream reconnects.
  queryOptions({
    queryKey: queryKeys.renderJobs(projectId),
    queryFn: async ({ client }) => {
      const requestedAt = clock();
      return mergeFetchedRenderJobs(client, projectId, await getRenderJobs(projectId), requestedAt);
    },
    staleTime: Number.POSITIVE_INFINITY,
  });

export function useRenderJobs(projectId: string) {
  return useQuery(renderJobsQueryOptions(projectId));
}
