import { CreateWorkflowBody, Workflow } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export const createWorkflowInput = CreateWorkflowBody;
export type CreateWorkflowInput = z.input<typeof CreateWorkflowBody>;

export function createWorkflow(body: CreateWorkflowInput): Promise<Workflow> {
  return apiRequest('/api/workflows', { method: 'POST', body, schema: Workflow });
}

/** Imports an API-format graph; missing bindings are inferred by the server. */
export function useCreateWorkflow() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: createWorkflow,
    onSuccess: (w) => {
      qc.setQueryData(queryKeys.workflow(w.id), w);
      return qc.invalidateQueries({ queryKey: queryKeys.workflows(), exact: true });
    },
  });
}
