import type { Workflow } from '@framesmith/core/api-schemas';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest, unwrapList } from '../../../lib/api-client.ts';
import { checkContractLater } from '../../../lib/contract.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export async function getWorkflows(): Promise<Workflow[]> {
  const data = await apiRequest('/api/workflows');
  const list = await checkContractLater(
    (s) => s.Workflow.array(),
    unwrapList(data, 'workflows'),
    'GET /api/workflows',
  );
  // Built-ins first, then by category and name: the order people look for them in.
  return [...list].sort(
    (a, b) =>
      Number(b.builtin) - Number(a.builtin) ||
      a.category.localeCompare(b.category) ||
      a.name.localeCompare(b.name),
  );
}

export const workflowsQueryOptions = () =>
  queryOptions({ queryKey: queryKeys.workflows(), queryFn: getWorkflows, staleTime: 60_000 });

export function useWorkflows() {
  return useQuery(workflowsQueryOptions());
}
