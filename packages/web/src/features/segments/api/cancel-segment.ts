import { Segment } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { clock, upsertSegment } from '../../../lib/project-cache.ts';

export function cancelSegment(id: string): Promise<unknown> {
  return apiRequest(`/api/segments/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
}

export function useCancelSegment() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: cancelSegment,
    onMutate: () => ({ requestedAt: clock() }),
    onSuccess: (answer, _id, sent) => {
      const parsed = Segment.safeParse(answer);
      if (parsed.success) upsertSegment(qc, parsed.data, { kind: 'answer', requestedAt: sent.requestedAt });
    },
  });
}
