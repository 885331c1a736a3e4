import type { ProjectWithSegments } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { setSegmentOrder } from '../../../lib/project-cache.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export function reorderSegments(projectId: string, segmentIds: readonly string[]): Promise<unknown> {
  return apiRequest(`/api/projects/${encodeURIComponent(projectId)}/segments/reorder`, {
    method: 'POST',
    body: { segmentIds },
  });
}

/** Optimistic: the cards move at once; a refusal puts them back and says why. */
export function useReorderSegments(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (segmentIds: readonly string[]) => reorderSegments(projectId, segmentIds),
    onMutate: async (segmentIds) => {
      await qc.cancelQueries({ queryKey: queryKeys.project(projectId), exact: true });
      const before = qc.getQueryData<ProjectWithSegments>(queryKeys.project(projectId));
      setSegmentOrder(qc, projectId, segmentIds);
      return { before };
    },
    onError: (_err, _ids, context) => {
      if (context?.before) qc.setQueryData(queryKeys.project(projectId), context.before);
    },
  });
}
