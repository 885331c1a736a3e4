import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { isBackendHealth, upsertBackendHealth } from '../../../lib/backends-cache.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

/**
 * Backend health, live, for pages that have no project stream of their own: `/api/events?scope=backends`
 * carries only `event: backend`. Hand-checked (no zod), since the header is in the initial bundle.
 * The browser reconnects by itself; each (re)open fetches the report once to catch up.
 */
export function useBackendEvents(enabled: boolean): void {
  const qc = useQueryClient();
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/events?scope=backends');
    const refetch = () => void qc.invalidateQueries({ queryKey: queryKeys.backendsHealth() });
    let opened = false;
    source.onopen = () => {
      if (opened) refetch();
      opened = true;
    };
    source.addEventListener('backend', ((e: MessageEvent) => {
      let data: unknown;
      try {
        data = JSON.parse(String(e.data));
      } catch {
        return;
      }
      if (!isBackendHealth(data) || !upsertBackendHealth(qc, data)) refetch();
    }) as EventListener);
    return () => source.close();
  }, [enabled, qc]);
}
