import { type ComponentType, lazy, Suspense } from 'react';
import { ErrorBoundary } from '../components/error-boundary.tsx';
import { matchPath, useLocation } from '../lib/router.tsx';
import { AppLayout } from './layout.tsx';
import { NotFoundPage } from './routes/not-found.tsx';

// Every page is its own chunk: the first paint needs only React, the header and the page shown.
// Schemas (zod), drag and drop and the library come with the pages that use them.
const ProjectsPage = lazy(() => import('./routes/projects.tsx'));
const ProjectPage = lazy(() => import('./routes/project.tsx'));
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
