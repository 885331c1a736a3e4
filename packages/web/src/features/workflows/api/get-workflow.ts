import { Workflow } from '@framesmith/core/api-schemas';
import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export function getWorkflow(id: string): Promise<Workflow> {
  return apiRequest(`/api/workflows/${encodeURIComponent(id)}`, { schema: Workflow });
}

export const workflowQueryOptions = (id: string) =>
  queryOptions({ queryKey: queryKeys.workflow(id), queryFn: () => getWorkflow(id) });

/** One workflow; shows the copy from the list at once while the full one loads. */
export function useWorkflow(id: string) {
  const qc = useQueryClient();
  return useQuery({
    ...workflowQueryOptions(id),
    placeholderData: () => qc.getQueryData<Workflow[]>(queryKeys.workflows())?.find((w) => w.id === id),
  });
}
