import { Project, type ProjectWithSegments, UpdateProjectBody } from '@framesmith/core/api-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../../../lib/api-client.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

export const updateProjectInput = UpdateProjectBody;
export type UpdateProjectInput = z.input<typeof UpdateProjectBody>;

export function updateProject(id: string, body: UpdateProjectInput): Promise<Project> {
  return apiRequest(`/api/projects/${encodeURIComponent(id)}`, { method: 'PATCH', body, schema: Project });
}

export function useUpdateProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: UpdateProjectInput }) => updateProject(id, body),
    onSuccess: (project) => {
      qc.setQueryData<ProjectWithSegments>(queryKeys.project(project.id), (old) =>
        old
          ? { ...old, name: project.name, description: project.description, settings: project.settings }
          : old,
      );
      return qc.invalidateQueries({ queryKey: queryKeys.projects(), exact: true });
    },
  });
}
