import { RenderJob } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { clock, upsertRenderJob } from '../../../lib/project-cache.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export function startRender(projectId: string): Promise<RenderJob> {
  return apiRequest(`/api/projects/${encodeURIComponent(projectId)}/render`, {
    method: 'POST',
    schema: RenderJob,
  });
}

/** Starts a render; segments move to queued through the event stream (and a refetch, to be sure). */
export function useStartRender(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => startRender(projectId),
    onMutate: () => ({ requestedAt: clock() }),
    onSuccess: (job, _vars, sent) => {
      upsertRenderJob(qc, job, { kind: 'answer', requestedAt: sent.requestedAt });
      return qc.invalidateQueries({ queryKey: queryKeys.project(projectId), exact: true });
    },
  });
}
