import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export function deleteProject(id: string): Promise<void> {
  return apiRequest(`/api/projects/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function useDeleteProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteProject,
    onSuccess: (_, id) => {
      qc.removeQueries({ queryKey: queryKeys.project(id) });
      return qc.invalidateQueries({ queryKey: queryKeys.projects(), exact: true });
    },
  });
}
