import { Workflow } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export function duplicateWorkflow(id: string, name?: string): Promise<Workflow> {
  return apiRequest(`/api/workflows/${encodeURIComponent(id)}/duplicate`, {
    method: 'POST',
    body: name ? { name } : {},
    schema: Workflow,
  });
}

/** A built-in cannot be changed; its copy can. */
export function useDuplicateWorkflow() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name }: { id: string; name?: string }) => duplicateWorkflow(id, name),
    onSuccess: (w) => {
      qc.setQueryData(queryKeys.workflow(w.id), w);
      return qc.invalidateQueries({ queryKey: queryKeys.workflows(), exact: true });
    },
  });
}
