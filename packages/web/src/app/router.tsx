import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { type ComponentType, lazy, Suspense, useEffect } from 'react';
import { ErrorBoundary } from '../components/error-boundary.tsx';
import { projectQueryOptions } from '../features/projects/api/get-project.ts';
import { projectsQueryOptions } from '../features/projects/api/get-projects.ts';
import { renderJobsQueryOptions } from '../features/renders/api/get-render-jobs.ts';
import { workflowsQueryOptions } from '../features/workflows/api/get-workflows.ts';
import { matchPath, useLocation } from '../lib/router.tsx';
import { AppLayout } from './layout.tsx';
import { NotFoundPage } from './routes/not-found.tsx';

// Every page is its own chunk: the first paint needs only React, the header and the page shown.
// Schemas (zod), drag and drop and the library come with the pages that use them.
const ProjectsPage = lazy(() => import('./routes/projects.tsx'));
const ProjectPage = lazy(() => import('./routes/project.tsx'));
const WorkflowsPage = lazy(() => import('./routes/workflows.tsx'));
const WorkflowPage = lazy(() => import('./routes/workflow.tsx'));
const AnalyticsPage = lazy(() => import('../features/analytics/components/analytics-page.tsx'));
const WebhooksPage = lazy(() => import('../features/webhooks/components/webhooks-page.tsx'));

interface Route {
  path: string;
  component: ComponentType<{ params: Record<string, string> }>;
  /** Starts the page's requests while its code is still loading (the fetchers hold no zod). */
  prefetch?: (params: Record<string, string>, qc: QueryClient) => void;
}

const ROUTES: readonly Route[] = [
  { path: '/', component: ProjectsPage, prefetch: (_, qc) => void qc.prefetchQuery(projectsQueryOptions()) },
  {
    path: '/projects/:id',
    component: ProjectPage,
    prefetch: ({ id = '' }, qc) => {
      void qc.prefetchQuery(projectQueryOptions(id));
      void qc.prefetchQuery(renderJobsQueryOptions(id));
      void qc.prefetchQuery(workflowsQueryOptions());
    },
  },
  {
    path: '/workflows',
    component: WorkflowsPage,
    prefetch: (_, qc) => void qc.prefetchQuery(workflowsQueryOptions()),
  },
  { path: '/workflows/:id', component: WorkflowPage },
  { path: '/analytics', component: AnalyticsPage },
  { path: '/webhooks', component: WebhooksPage },
];

function matchRoute(pathname: string): { route: Route; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    const params = matchPath(route.path, pathname);
    if (params) return { route, params };
  }
  return null;
}

export function AppRouter() {
  const { pathname } = useLocation();
  const qc = useQueryClient();
  const match = matchRoute(pathname);
  let page = <NotFoundPage />;
  if (match) {
    const Page = match.route.component;
    page = <Page params={match.params} />;
  }

  // Once per navigation: start the page's requests while its code loads.
  useEffect(() => {
    const m = matchRoute(pathname);
    m?.route.prefetch?.(m.params, qc);
  }, [pathname, qc]);

  return (
    <AppLayout>
      <ErrorBoundary key={pathname} label="this page">
        <Suspense fallback={<p className="loading">Loading…</p>}>{page}</Suspense>
      </ErrorBoundary>
    </AppLayout>
  );
}
