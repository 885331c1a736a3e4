import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export function deleteWorkflow(id: string): Promise<void> {
  return apiRequest(`/api/workflows/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function useDeleteWorkflow() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteWorkflow,
    onSuccess: (_, id) => {
      qc.removeQueries({ queryKey: queryKeys.workflow(id) });
      return qc.invalidateQueries({ queryKey: queryKeys.workflows(), exact: true });
    },
  });
}
