import type { ProjectWithSegments } from '@framesmith/core/api-schemas';
import { useQuery } from '@tanstack/react-query';
import { Timeline } from '../features/segments/components/timeline.tsx';
import { queryKeys } from '../lib/query-keys.ts';
import { makeWorkflows } from './factories.ts';

/** The timeline reading the cached project, as the project page does, without the page around it. */
export function TimelineHarness({ projectId }: { projectId: string }) {
  const project = useQuery<ProjectWithSegments>({
    queryKey: queryKeys.project(projectId),
    queryFn: () => Promise.reject(new Error('seed the cache in the test')),
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (!project.data) return null;
  return <Timeline projectId={projectId} segments={project.data.segments} workflows={makeWorkflows()} />;
}
