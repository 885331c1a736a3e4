import { Segment, UpdateSegmentBody } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../../../lib/api-client.ts';
import { clock, upsertSegment } from '../../../lib/project-cache.ts';

export const updateSegmentInput = UpdateSegmentBody;
export type UpdateSegmentInput = z.input<typeof UpdateSegmentBody>;

export function updateSegment(id: string, body: UpdateSegmentInput): Promise<Segment> {
  return apiRequest(`/api/segments/${encodeURIComponent(id)}`, { method: 'PATCH', body, schema: Segment });
}

export function useUpdateSegment() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: UpdateSegmentInput }) => updateSegment(id, body),
    onMutate: () => ({ requestedAt: clock() }),
    onSuccess: (segment, _vars, sent) =>
      upsertSegment(qc, segment, { kind: 'answer', requestedAt: sent.requestedAt }),
  });
}
