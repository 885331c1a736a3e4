import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { queryKeys } from '../../../lib/query-keys.ts';
import { applyEvent } from './apply-event.ts';

export type StreamState = 'connecting' | 'live' | 'reconnecting';

/** Event names the server may use besides the default `message`. */
const NAMED_EVENTS = [
  'segment',
  'segment.updated',
  'segment.created',
  'segment.deleted',
  'segments.reordered',
  'render',
  'render-job',
  'render_job',
  'renderJob',
  'render.updated',
  'backend',
  'health',
];

/**
 * One EventSource per page (ARCHITECTURE §10): `/api/events?projectId=…`, written into the cache.
 * No polling: after a drop, the browser (or we, if it gave up) reconnect, and the project is
 * fetched once so nothing missed while away stays missed.
 */
export function useLiveEvents(projectId: string | null): StreamState {
  const qc = useQueryClient();
  const [state, setState] = useState<StreamState>('connecting');

  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    let source: EventSource | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let delay = 1000;
    let closed = false;
    const url = projectId ? `/api/events?projectId=${encodeURIComponent(projectId)}` : '/api/events';

    const catchUp = () => {
      if (projectId) {
        void qc.invalidateQueries({ queryKey: queryKeys.project(projectId), exact: true });
        void qc.invalidateQueries({ queryKey: queryKeys.renderJobs(projectId), exact: true });
      }
      void qc.invalidateQueries({ queryKey: queryKeys.backendsHealth() });
    };

    const onEvent = (e: MessageEvent) => {
      if (typeof e.data !== 'string' || e.data === '') return;
      let data: unknown;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      applyEvent(qc, e.type, data);
    };

    let opened = false;
    const connect = () => {
      source = new EventSource(url);
      source.onopen = () => {
        delay = 1000;
        setState('live');
        // Anything between the first load and this moment (or while disconnected) is fetched once.
        if (opened || projectId) catchUp();
        opened = true;
      };
      source.onerror = () => {
        if (closed) return;
        setState('reconnecting');
        if (source?.readyState === EventSource.CLOSED) {
          // The browser gave up (e.g. the server answered an error): try again with backoff.
          source.close();
          retryTimer = setTimeout(connect, delay);
          delay = Math.min(delay * 2, 30_000);
        }
      };
      source.onmessage = onEvent;
      for (const name of NAMED_EVENTS) source.addEventListener(name, onEvent as EventListener);
    };
    connect();

    return () => {
      closed = true;
      clearTimeout(retryTimer);
      source?.close();
    };
  }, [projectId, qc]);

  return state;
}
