import { conflict, notFound, type RenderJob, type Segment, type SegmentStatus } from '@framesmith/core';
import { findSegmentRow, getSegment, lockProject, type SegmentRow } from '@framesmith/db';
import {
  cancelSegments,
  findActiveRenderJobRow,
  findLatestRenderJobRow,
  findRenderJobRow,
  getRenderJobRow,
  insertRenderJob,
  listRenderJobs,
  moveRenderJob,
  projectSegmentRows,
  queueSegments,
  type RenderJobRow,
  renderJobResource,
  renderSegmentStates,
  reuseSegmentClips,
} from '@framesmith/db/queries/render-jobs';
import { loadClipSpecs } from './clip-loader.ts';
import type { PipelineContext } from './context.ts';
import { publishRenderJob, publishSegments } from './events.ts';
import type { DeadLetter } from './queue.ts';
import { advanceRenderJob } from './render-progress.ts';

/**
 * What the API asks of the pipeline: render, retry, cancel, history. Each operation is a few
 * guarded transitions, then queue jobs (never inside a transaction: on PGlite that would wait on
 * itself), then live events. A crash between the two is repaired by the reaper.
 */

/** Statuses a render may (re)queue; queued and generating segments already have a job. */
const REQUEUEABLE: readonly SegmentStatus[] = ['pending', 'failed', 'cancelled', 'completed'];

export class RenderService {
  private readonly ctx: PipelineContext;

  constructor(ctx: PipelineContext) {
    this.ctx = ctx;
  }

  private get db() {
    return this.ctx.database.db;
  }

  /**
   * Starts a render of the project: segments whose stored clip still matches their content are
   * reused, the rest are queued; with nothing to generate it goes straight to composition. A
   * project with an active render gets a 409 naming it (two concurrent requests give one job).
   */
  async startRender(projectId: string): Promise<RenderJob> {
    const { job, queued, reused } = await this.db.transaction(async (tx) => {
      const project = await lockProject(tx, projectId);
      const active = await findActiveRenderJobRow(tx, projectId);
      if (active) throw activeConflict(active);
      const rows = await projectSegmentRows(tx, projectId);
      if (rows.length === 0) throw conflict('This project has no segments to render; add one first.');
      const specs = await loadClipSpecs(tx, rows, project.settings);
      const toQueue: string[] = [];
      const toReuse: string[] = [];
      for (const s of rows) {
        if (s.status === 'queued' || s.status === 'generating') continue; // already has a job
        const spec = specs.get(s.id);
        const clipStillValid = spec && s.outputAssetId !== null && s.contentHash === spec.contentHash;
        if (!clipStillValid) toQueue.push(s.id);
        else if (s.status !== 'completed') toReuse.push(s.id);
      }
      const needsWork =
        toQueue.length > 0 || rows.some((s) => s.status === 'queued' || s.status === 'generating');
      const job = await insertRenderJob(tx, {
        projectId,
        segmentIds: rows.map((s) => s.id),
        settings: project.settings,
        status: needsWork ? 'queued' : 'compositing',
      });
      if (!job) throw activeConflict(await findActiveRenderJobRow(tx, projectId));
      const queued = await queueSegments(tx, toQueue, REQUEUEABLE, {
        renderJobId: job.id,
        maxAttempts: this.ctx.policy.maxAttempts,
      });
      const reused = await reuseSegmentClips(tx, toReuse, job.id);
      return { job, queued, reused };
    });
    this.ctx.logger.info(
      { renderJobId: job.id, projectId, queued: queued.length, reused: reused.length, status: job.status },
      'render started',
    );
    await this.dispatch(queued);
    await publishRenderJob(this.ctx.database, job, this.ctx.logger);
    await publishSegments(this.ctx.database, [...queued, ...reused], this.ctx.logger);
    if (job.status === 'compositing') await this.ctx.queue.send('render-compose', { renderJobId: job.id });
    // A render whose only work was already running may be ready now.
    return renderJobResource(this.db, (await advanceRenderJob(this.ctx, job.id)) ?? job);
  }

  /**
   * One-click retry of a failed segment: error cleared, queued at once, and its render job put
   * back to generating (or a new render started) so the final video is composed when it succeeds.
   */
  async retrySegment(segmentId: string): Promise<Segment> {
    const segment = await findSegmentRow(this.db, segmentId);
    if (!segment) throw notFound('Segment', segmentId);
    if (segment.status !== 'failed') throw notFailed(segment);
    const job = await this.reopenFor(segment.projectId, [segment.id]);
    if (!job) {
      await this.startRender(segment.projectId);
      return getSegment(this.db, segment.id);
    }
    const queued = await queueSegments(this.db, [segment.id], ['failed'], {
      renderJobId: job.id,
      maxAttempts: this.ctx.policy.maxAttempts,
    });
    if (queued.length === 0) {
      await advanceRenderJob(this.ctx, job.id);
      throw notFailed((await findSegmentRow(this.db, segment.id)) ?? segment);
    }
    this.ctx.logger.info({ segmentId, renderJobId: job.id }, 'segment retried');
    await this.keepOpen(job.id);
    await this.dispatch(queued);
    await publishSegments(this.ctx.database, queued, this.ctx.logger);
    return getSegment(this.db, segment.id);
  }

  /** Retries every failed segment of a render job. */
  async retryFailed(renderJobId: string): Promise<RenderJob> {
    const job = await getRenderJobRow(this.db, renderJobId);
    const failed = (await renderSegmentStates(this.db, job.segmentIds)).filter((s) => s.status === 'failed');
    if (failed.length === 0)
      throw conflict('This render has no failed segments to retry.', { status: job.status });
    const reopened = await this.reopenFor(
      job.projectId,
      failed.map((s) => s.id),
      job,
    );
    if (!reopened) return this.startRender(job.projectId);
    const queued = await queueSegments(
      this.db,
      failed.map((s) => s.id),
      ['failed'],
      { renderJobId: reopened.id, maxAttempts: this.ctx.policy.maxAttempts },
    );
    this.ctx.logger.info({ renderJobId: reopened.id, retried: queued.length }, 'failed segments retried');
    if (queued.length > 0) await this.keepOpen(reopened.id);
    await this.dispatch(queued);
    await publishSegments(this.ctx.database, queued, this.ctx.logger);
    return renderJobResource(this.db, (await advanceRenderJob(this.ctx, reopened.id)) ?? reopened);
  }

  /**
   * The render job a retry joins: the active one when it covers the segments, else the
   * project's latest job reopened (failed → generating) when it covers them; null means start
   * a new render.
   */
  private async reopenFor(
    projectId: string,
    segmentIds: readonly string[],
    preferred?: RenderJobRow,
  ): Promise<RenderJobRow | null> {
    const covers = (j: RenderJobRow) => segmentIds.every((id) => j.segmentIds.includes(id));
    const active = await findActiveRenderJobRow(this.db, projectId);
    if (active) {
      if (covers(active) && active.status !== 'compositing') return active;
      throw conflict('Another render of this project is running; retry when it has finished.', {
        renderJobId: active.id,
      });
    }
    const latest = preferred ?? (await findLatestRenderJobRow(this.db, projectId));
    if (latest?.status !== 'failed' || !covers(latest)) return null;
    const newest = await findLatestRenderJobRow(this.db, projectId);
    if (newest && newest.id !== latest.id) return null; // a newer render exists: start afresh
    try {
      const reopened = await moveRenderJob(this.db, latest.id, ['failed'], 'generating');
      if (reopened) {
        await publishRenderJob(this.ctx.database, reopened, this.ctx.logger);
        return reopened;
      }
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    // Someone else reopened it or started a render meanwhile.
    const now = await findActiveRenderJobRow(this.db, projectId);
    if (now && covers(now)) return now;
    throw conflict('Another render of this project started meanwhile; try again.', { renderJobId: now?.id });
  }

  /**
   * The job a retry just queued segments for may have ended `failed` meanwhile, from segment
   * states read before the queueing: reopen it, or it would never compose.
   */
  private async keepOpen(renderJobId: string): Promise<void> {
    const now = await findRenderJobRow(this.db, renderJobId);
    if (now?.status !== 'failed') return;
    try {
      const reopened = await moveRenderJob(this.db, renderJobId, ['failed'], 'generating');
      if (reopened) await publishRenderJob(this.ctx.database, reopened, this.ctx.logger);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  /** Cancels a queued or generating segment; the worker running it interrupts its prompt. */
  async cancelSegment(segmentId: string): Promise<Segment> {
    const segment = await findSegmentRow(this.db, segmentId);
    if (!segment) throw notFound('Segment', segmentId);
    const moved = await cancelSegments(this.db, [segment.id]);
    if (moved.length === 0) {
      throw conflict('Only a queued or generating segment can be cancelled.', { status: segment.status });
    }
    this.ctx.logger.info({ segmentId, renderJobId: segment.renderJobId }, 'segment cancelled');
    await publishSegments(this.ctx.database, moved, this.ctx.logger);
    await advanceRenderJob(this.ctx, segment.renderJobId);
    return getSegment(this.db, segment.id);
  }

  /** Cancels a render: its queued and generating segments are cancelled, completed clips kept. */
  async cancelRenderJob(renderJobId: string): Promise<RenderJob> {
    const job = await getRenderJobRow(this.db, renderJobId);
    const moved = await moveRenderJob(this.db, job.id, ['queued', 'generating', 'compositing'], 'cancelled', {
      summary: 'Cancelled by the user.',
    });
    if (!moved) throw conflict('This render has already finished.', { status: job.status });
    const segments = await cancelSegments(this.db, job.segmentIds);
    this.ctx.logger.info({ renderJobId, cancelledSegments: segments.length }, 'render cancelled');
    await publishSegments(this.ctx.database, segments, this.ctx.logger);
    await publishRenderJob(this.ctx.database, moved, this.ctx.logger);
    return renderJobResource(this.db, moved);
  }

  async getRenderJob(renderJobId: string): Promise<RenderJob> {
    return renderJobResource(this.db, await getRenderJobRow(this.db, renderJobId));
  }

  async listRenderJobs(projectId: string): Promise<RenderJob[]> {
    return listRenderJobs(this.db, projectId);
  }

  async findRenderJob(renderJobId: string): Promise<RenderJobRow | null> {
    return findRenderJobRow(this.db, renderJobId);
  }

  async deadLetters(limit?: number): Promise<DeadLetter[]> {
    return this.ctx.queue.deadLetters(limit);
  }

  /** One queue job per queued segment, honouring a scheduled next attempt, queued in one statement. */
  private async dispatch(rows: readonly SegmentRow[]): Promise<void> {
    const now = new Date();
    await this.ctx.queue.sendMany(
      'segment-generate',
      rows.map((s) => ({
        payload: { segmentId: s.id, renderJobId: s.renderJobId },
        ...(s.nextAttemptAt && s.nextAttemptAt > now ? { startAfter: s.nextAttemptAt } : {}),
      })),
    );
  }
}

function activeConflict(active: RenderJobRow | null) {
  return conflict('This project is already rendering; wait for it to finish or cancel it.', {
    renderJobId: active?.id,
    status: active?.status,
  });
}

function notFailed(segment: SegmentRow) {
  return conflict('Only a failed segment can be retried.', { status: segment.status });
}

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === '23505') return true;
  }
  return false;
}
