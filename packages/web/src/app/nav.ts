/**
 * The header navigation. Analytics and webhooks (issue 6) add their entries here, with a lazy
 * route in `router.tsx`.
 */
export interface NavItem {
  to: string;
  label: string;
  /** Path prefixes that mark this item as the current page. */
  matches: readonly string[];
}

export const NAV_ITEMS: readonly NavItem[] = [
  { to: '/', label: 'Projects', matches: ['/', '/projects'] },
  { to: '/workflows', label: 'Workflows', matches: ['/workflows'] },
  { to: '/analytics', label: 'Analytics', matches: ['/analytics'] },
  { to: '/webhooks', label: 'Webhooks', matches: ['/webhooks'] },
];
