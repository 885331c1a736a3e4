import { UpdateWorkflowBody, Workflow } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export const updateWorkflowInput = UpdateWorkflowBody;
export type UpdateWorkflowInput = z.input<typeof UpdateWorkflowBody>;

export function updateWorkflow(id: string, body: UpdateWorkflowInput): Promise<Workflow> {
  return apiRequest(`/api/workflows/${encodeURIComponent(id)}`, { method: 'PATCH', body, schema: Workflow });
}

export function useUpdateWorkflow() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: UpdateWorkflowInput }) => updateWorkflow(id, body),
    onSuccess: (w) => {
      qc.setQueryData(queryKeys.workflow(w.id), w);
      return qc.invalidateQueries({ queryKey: queryKeys.workflows(), exact: true });
    },
  });
}
