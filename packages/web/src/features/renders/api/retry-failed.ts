import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export function retryFailed(jobId: string): Promise<unknown> {
  return apiRequest(`/api/render-jobs/${encodeURIComponent(jobId)}/retry-failed`, { method: 'POST' });
}

/** Retries every retryable failed segment of a render job at once. */
export function useRetryFailed(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: retryFailed,
    onSuccess: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: queryKeys.project(projectId), exact: true }),
        qc.invalidateQueries({ queryKey: queryKeys.renderJobs(projectId), exact: true }),
      ]),
  });
}
