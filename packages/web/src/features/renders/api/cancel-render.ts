import { RenderJob } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { clock, upsertRenderJob } from '../../../lib/project-cache.ts';

export function cancelRender(jobId: string): Promise<unknown> {
  return apiRequest(`/api/render-jobs/${encodeURIComponent(jobId)}/cancel`, { method: 'POST' });
}

export function useCancelRender() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: cancelRender,
    onMutate: () => ({ requestedAt: clock() }),
    onSuccess: (answer, _id, sent) => {
      const job = RenderJob.safeParse(answer);
      if (job.success) upsertRenderJob(qc, job.data, { kind: 'answer', requestedAt: sent.requestedAt });
    },
  });
}
