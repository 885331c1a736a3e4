import type { Project } from '@framesmith/core/api-schemas';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest, unwrapList } from '../../../lib/api-client.ts';
import { checkContractLater } from '../../../lib/contract.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export async function getProjects(): Promise<Project[]> {
  const data = await apiRequest('/api/projects');
  return checkContractLater((s) => s.Project.array(), unwrapList(data, 'projects'), 'GET /api/projects');
}

export const projectsQueryOptions = () =>
  queryOptions({ queryKey: queryKeys.projects(), queryFn: getProjects });

export function useProjects() {
  return useQuery(projectsQueryOptions());
}
