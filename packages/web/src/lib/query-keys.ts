/**
 * Every TanStack Query key in one place, so the live event stream writes to exactly the entries
 * the features read.
 */
export const queryKeys = {
  projects: () => ['projects'] as const,
  project: (id: string) => ['projects', id] as const,
  renderJobs: (projectId: string) => ['projects', projectId, 'render-jobs'] as const,
  workflows: () => ['workflows'] as const,
  workflow: (id: string) => ['workflows', id] as const,
  meta: () => ['meta'] as const,
  backendsHealth: () => ['health', 'comfyui'] as const,
};
