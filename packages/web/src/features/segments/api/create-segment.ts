import { CreateSegmentBody, Segment } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../../../lib/api-client.ts';
import { clock, upsertSegment } from '../../../lib/project-cache.ts';

export const createSegmentInput = CreateSegmentBody;
export type CreateSegmentInput = z.input<typeof CreateSegmentBody>;

export function createSegment(projectId: string, body: CreateSegmentInput): Promise<Segment> {
  return apiRequest(`/api/projects/${encodeURIComponent(projectId)}/segments`, {
    method: 'POST',
    body,
    schema: Segment,
  });
}

/** Adds a segment (at `position`, or at the end); the answer goes straight into the cached timeline. */
export function useCreateSegment(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateSegmentInput) => createSegment(projectId, body),
    onMutate: () => ({ requestedAt: clock() }),
    onSuccess: (segment, _body, sent) =>
      upsertSegment(qc, segment, { kind: 'answer', requestedAt: sent.requestedAt }),
  });
}
