import { type ReactNode, useEffect, useRef } from 'react';
import { takeNavigationFocus } from '../lib/router.tsx';

/**
 * The page's h1. After moving to another page it takes the focus, so keyboard and screen reader
 * users start reading the new page at its title, as after a full page load.
 */
export function PageHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (takeNavigationFocus()) ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-heading">
      {children}
    </h1>
  );
}
