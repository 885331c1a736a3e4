import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { removeSegment } from '../../../lib/project-cache.ts';

export function deleteSegment(id: string): Promise<void> {
  return apiRequest(`/api/segments/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function useDeleteSegment(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteSegment,
    onSuccess: (_, id) => removeSegment(qc, projectId, id),
  });
}
