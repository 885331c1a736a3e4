import { Segment } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { clock, upsertSegment } from '../../../lib/project-cache.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export function retrySegment(id: string): Promise<unknown> {
  return apiRequest(`/api/segments/${encodeURIComponent(id)}/retry`, { method: 'POST' });
}

/** One-click retry of a failed segment: the server queues it again at once. */
export function useRetrySegment(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: retrySegment,
    onMutate: () => ({ requestedAt: clock() }),
    onSuccess: (answer, _id, sent) => {
      const parsed = Segment.safeParse(answerSegment(answer));
      if (parsed.success) upsertSegment(qc, parsed.data, { kind: 'answer', requestedAt: sent.requestedAt });
      // The render job is back to generating (or new): its row comes by the event stream, but make sure.
      return qc.invalidateQueries({ queryKey: queryKeys.renderJobs(projectId), exact: true });
    },
  });
}

/** The answer is the segment, or `{segment, renderJob}`. */
function answerSegment(answer: unknown): unknown {
  if (answer && typeof answer === 'object' && 'segment' in answer)
    return (answer as { segment: unknown }).segment;
  return answer;
}
