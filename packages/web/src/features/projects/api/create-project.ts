import { CreateProjectBody, Project } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export const createProjectInput = CreateProjectBody;
export type CreateProjectInput = z.input<typeof CreateProjectBody>;

export function createProject(body: CreateProjectInput): Promise<Project> {
  return apiRequest('/api/projects', { method: 'POST', body, schema: Project });
}

export function useCreateProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: createProject,
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.projects(), exact: true }),
  });
}
