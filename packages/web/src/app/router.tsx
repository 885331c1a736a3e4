import { type ComponentType, lazy, Suspense } from 'react';
import { ErrorBoundary } from '../components/error-boundary.tsx';
import { matchPath, useLocation } from '../lib/router.tsx';
import { AppLayout } from './layout.tsx';
import { NotFoundPage } from './routes/not-found.tsx';
import { ProjectPage } from './routes/project.tsx';
import { ProjectsPage } from './routes/projects.tsx';

// The library (and later analytics, with its chart library) load on first visit, not up front.
const WorkflowsPage = lazy(() => import('./routes/workflows.tsx'));
const WorkflowPage = lazy(() => import('./routes/workflow.tsx'));

interface Route {
  path: string;
  component: ComponentType<{ params: Record<string, string> }>;
}

const ROUTES: readonly Route[] = [
  { path: '/', component: ProjectsPage },
  { path: '/projects/:id', component: ProjectPage },
  { path: '/workflows', component: WorkflowsPage },
  { path: '/workflows/:id', component: WorkflowPage },
];

export function AppRouter() {
  const { pathname } = useLocation();
  let page = <NotFoundPage />;
  for (const route of ROUTES) {
    const params = matchPath(route.path, pathname);
    if (params) {
      const Page = route.component;
      page = <Page params={params} />;
      break;
    }
  }
  return (
    <AppLayout>
      <ErrorBoundary key={pathname} label="this page">
        <Suspense fallback={<p className="loading">Loading…</p>}>{page}</Suspense>
      </ErrorBoundary>
    </AppLayout>
  );
}
