import type { ProjectWithSegments, RenderJob } from '@framesmith/core/api-schemas';
import { describe, expect, it } from 'vitest';
import { queryKeys } from '../../../lib/query-keys.ts';
import { clock, mergeFetchedProject, upsertSegment } from '../../../lib/project-cache.ts';
import {
  PROJECT_ID,
  makeProject,
  makePublicError,
  makeRenderJob,
  makeSegment,
} from '../../../testing/factories.ts';
import { testQueryClient } from '../../../testing/render.tsx';
import { applyEvent } from './apply-event.ts';

function seeded() {
  const a = makeSegment({ position: 0 });
  const b = makeSegment({ position: 1 });
  const qc = testQueryClient();
  qc.setQueryData(queryKeys.project(PROJECT_ID), makeProject([a, b]));
  qc.setQueryData<RenderJob[]>(queryKeys.renderJobs(PROJECT_ID), []);
  const project = () => qc.getQueryData<ProjectWithSegments>(queryKeys.project(PROJECT_ID))!;
  return { qc, a, b, project };
}

describe('live events into the cache', () => {
  it('a segment event (as the pipeline publishes it) replaces the card and the counts', () => {
    const { qc, a, project } = seeded();
    const next = {
      ...a,
      status: 'generating' as const,
      progress: 0.3,
      attempt: 1,
      updatedAt: new Date().toISOString(),
    };
    expect(applyEvent(qc, 'message', { event: 'segment', projectId: PROJECT_ID, data: next })).toBe(
      'segment',
    );
    expect(project().segments[0]).toMatchObject({ id: a.id, status: 'generating', progress: 0.3 });
    expect(project().counts).toMatchObject({ pending: 1, generating: 1, total: 2 });
  });

  it('also reads a named SSE event whose data is the resource itself', () => {
    const { qc, b, project } = seeded();
    const next = { ...b, status: 'queued' as const, updatedAt: new Date().toISOString() };
    expect(applyEvent(qc, 'segment', next)).toBe('segment');
    expect(project().segments[1]!.status).toBe('queued');
  });

  it('events apply in the order they arrive, whatever their updatedAt (now() is the transaction start)', () => {
    const { qc, a, project } = seeded();
    const t = Date.now();
    applyEvent(qc, 'segment', { ...a, status: 'generating', updatedAt: new Date(t).toISOString() });
    applyEvent(qc, 'segment', { ...a, status: 'cancelled', updatedAt: new Date(t - 500).toISOString() });
    expect(project().segments[0]!.status).toBe('cancelled');
  });

  it('an answer to a request sent before an event does not overwrite the event', () => {
    const { qc, a, project } = seeded();
    const sentAt = clock();
    applyEvent(qc, 'segment', { ...a, status: 'generating', updatedAt: new Date().toISOString() });
    upsertSegment(qc, { ...a, status: 'queued' }, { kind: 'answer', requestedAt: sentAt });
    expect(project().segments[0]!.status).toBe('generating');
    // An answer to a request sent after the last event applies.
    upsertSegment(qc, { ...a, status: 'cancelled' }, { kind: 'answer', requestedAt: clock() + 1 });
    expect(project().segments[0]!.status).toBe('cancelled');
  });

  it('a refetch keeps what events delivered while it was out, and takes the rest', () => {
    const { qc, a, b, project } = seeded();
    const requestedAt = clock();
    applyEvent(qc, 'segment', { ...a, status: 'completed', updatedAt: new Date().toISOString() });
    const fetched = makeProject([
      { ...a, status: 'generating' },
      { ...b, status: 'queued' },
    ]);
    const merged = mergeFetchedProject(qc, fetched, requestedAt);
    expect(merged.segments.map((s) => s.status)).toEqual(['completed', 'queued']);
    expect(merged.counts).toMatchObject({ completed: 1, queued: 1 });
    expect(project().segments[0]!.status).toBe('completed');
  });

  it('a failure makes the header read the backends again', () => {
    const { qc, a } = seeded();
    qc.setQueryData(queryKeys.backendsHealth(), { status: 'healthy', backends: [] });
    applyEvent(qc, 'segment', {
      ...a,
      status: 'failed',
      attempt: 3,
      error: makePublicError('COMFYUI_CONNECTION_ERROR'),
    });
    expect(qc.getQueryState(queryKeys.backendsHealth())?.isInvalidated).toBe(true);
  });

  it('a new segment (from another tab) is inserted at its place', () => {
    const { qc, a, b, project } = seeded();
    const c = makeSegment({ position: 1, prompt: 'inserted' });
    applyEvent(qc, 'message', { event: 'segment', projectId: PROJECT_ID, data: c });
    expect(project().segments.map((s) => s.id)).toEqual([a.id, c.id, b.id]);
    expect(project().segments.map((s) => s.position)).toEqual([0, 1, 2]);
  });

  it("a render-job event updates the history and the project's last render", () => {
    const { qc, project } = seeded();
    const job = makeRenderJob({ status: 'compositing', progress: 0.9 });
    expect(applyEvent(qc, 'message', { event: 'render-job', projectId: PROJECT_ID, data: job })).toBe(
      'render-job',
    );
    expect(qc.getQueryData<RenderJob[]>(queryKeys.renderJobs(PROJECT_ID))).toEqual([job]);
    expect(project().lastRender).toMatchObject({ id: job.id, status: 'compositing' });
  });

  it('anything else about the project makes it refetch once, rather than show stale state', async () => {
    const { qc } = seeded();
    expect(applyEvent(qc, 'message', { event: 'segment', projectId: PROJECT_ID, id: 'x' })).toBe('refetch');
    expect(qc.getQueryState(queryKeys.project(PROJECT_ID))?.isInvalidated).toBe(true);
  });

  it('keeps fields newer than the schema (a step count) for the card to show', () => {
    const { qc, a, project } = seeded();
    applyEvent(qc, 'segment', {
      ...a,
      status: 'generating',
      step: 3,
      steps: 20,
      updatedAt: new Date().toISOString(),
    });
    expect(project().segments[0]).toMatchObject({ step: 3, steps: 20 });
  });
});
