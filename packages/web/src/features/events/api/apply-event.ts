import { RenderJob, Segment } from '@framesmith/core/api-schemas';
import type { QueryClient } from '@tanstack/react-query';
import { isBackendHealth, upsertBackendHealth } from '../../../lib/backends-cache.ts';
import {
  removeSegment,
  setSegmentOrder,
  upsertRenderJob,
  upsertSegment,
} from '../../../lib/project-cache.ts';
import { queryKeys } from '../../../lib/query-keys.ts';

/**
 * Writes one live event into the TanStack cache. Events carry the whole resource (a segment or a
 * render job, as the REST API shows it), so a card updates without a request. Anything not
 * understood makes the project refetch once: never wrong, at worst one extra request.
 */
export type EventOutcome =
  | 'segment'
  | 'segment-removed'
  | 'order'
  | 'render-job'
  | 'backends'
  | 'refetch'
  | 'ignored';

type Data = Record<string, unknown>;

const RESOURCE_KEYS = ['segment', 'renderJob', 'render_job', 'job', 'data', 'payload', 'resource'] as const;

function candidates(data: Data): unknown[] {
  return [...RESOURCE_KEYS.map((k) => data[k]).filter((v) => v && typeof v === 'object'), data];
}

export function applyEvent(qc: QueryClient, eventName: string, raw: unknown): EventOutcome {
  if (!raw || typeof raw !== 'object') return 'ignored';
  const data = raw as Data;
  const type = `${eventName} ${typeof data.type === 'string' ? data.type : ''} ${typeof data.event === 'string' ? data.event : ''}`;

  if (/backend|health/i.test(type)) {
    // `event: backend` carries one backend as the health report lists it: written in place.
    const backend = [data.backend, data.data, data].find(isBackendHealth);
    if (!backend || !upsertBackendHealth(qc, backend)) {
      void qc.invalidateQueries({ queryKey: queryKeys.backendsHealth() });
    }
    return 'backends';
  }
  if (/heartbeat|ping|hello|ready|connected/i.test(type) && !('segment' in data) && !('renderJob' in data)) {
    return 'ignored';
  }

  const projectId = typeof data.projectId === 'string' ? data.projectId : null;
  if (/delet|remov/i.test(type)) {
    const segmentId =
      typeof data.segmentId === 'string'
        ? data.segmentId
        : /segment/i.test(type) && typeof data.id === 'string'
          ? data.id
          : null;
    const pid = projectId ?? nestedProjectId(data);
    if (segmentId && pid) {
      removeSegment(qc, pid, segmentId);
      return 'segment-removed';
    }
  }
  if (/reorder|order/i.test(type) && Array.isArray(data.segmentIds) && projectId) {
    setSegmentOrder(
      qc,
      projectId,
      data.segmentIds.filter((x): x is string => typeof x === 'string'),
    );
    return 'order';
  }

  const segmentFirst = !/render|job/i.test(type);
  for (const c of candidates(data)) {
    // Checked against the contract, then stored as sent (extra fields such as a step count survive).
    if (segmentFirst && Segment.safeParse(c).success) {
      applySegment(qc, c as Segment);
      return 'segment';
    }
    if (RenderJob.safeParse(c).success) {
      upsertRenderJob(qc, c as RenderJob);
      return 'render-job';
    }
    if (!segmentFirst && Segment.safeParse(c).success) {
      applySegment(qc, c as Segment);
      return 'segment';
    }
  }

  const pid = projectId ?? nestedProjectId(data);
  if (pid) {
    void qc.invalidateQueries({ queryKey: queryKeys.project(pid), exact: true });
    void qc.invalidateQueries({ queryKey: queryKeys.renderJobs(pid), exact: true });
    return 'refetch';
  }
  return 'ignored';
}

/** A failure hints at a backend in trouble: the header's backend health is read again at once. */
function applySegment(qc: QueryClient, segment: Segment): void {
  upsertSegment(qc, segment);
  if (segment.error) void qc.invalidateQueries({ queryKey: queryKeys.backendsHealth() });
}

function nestedProjectId(data: Data): string | null {
  for (const c of candidates(data)) {
    if (c && typeof c === 'object' && typeof (c as Data).projectId === 'string')
      return (c as Data).projectId as string;
  }
  return null;
}
