import type { ReactNode } from 'react';
import { ErrorBoundary } from '../components/error-boundary.tsx';
import { BackendsIndicator } from '../features/backends/components/backends-indicator.tsx';
import { useBackendEvents } from '../features/backends/api/use-backend-events.ts';
import { Link, matchPath, useLocation } from '../lib/router.tsx';
import { NAV_ITEMS } from './nav.ts';

function isCurrent(matches: readonly string[], pathname: string): boolean {
  return matches.some((m) => (m === '/' ? pathname === '/' : pathname === m || pathname.startsWith(`${m}/`)));
}

/** Header (navigation, backends), then the page. (Each page's PageHeading takes the focus after a move.) */
export function AppLayout({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  // The project page's own stream carries backend events too; every other page gets a
  // backends-only stream here, so the header stays live without polling.
  useBackendEvents(matchPath('/projects/:id', pathname) === null);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/" className="app-header__brand">
          Framesmith
        </Link>
        <nav aria-label="Main" className="app-header__nav">
          <ul>
            {NAV_ITEMS.map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={isCurrent(item.matches, pathname) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="app-header__status">
          <ErrorBoundary label="the backends indicator">
            <BackendsIndicator />
          </ErrorBoundary>
        </div>
      </header>
      <main id="main" className="app-main">
        {children}
      </main>
    </>
  );
}
