import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, type ProjectSettings } from '@framesmith/core';
import { type BackendPool, type Lease, runGeneration, type GenerationProgress } from '@framesmith/comfyui';
import { findProjectRow, type SegmentRow } from '@framesmith/db';
import {
  claimSegment,
  completeSegment,
  readSegmentForClaim,
  setAttemptBackend,
  updateGeneratingSegment,
} from '@framesmith/db/queries/attempts';
import { moveRenderJob } from '@framesmith/db/queries/render-jobs';
import { loadClipSpec, sameClipInputs } from './clip-loader.ts';
import type { ClipSpec } from './clip-spec.ts';
import type { PipelineContext } from './context.ts';
import { publishSegment } from './events.ts';
import { type AttemptContext, handleGenerationFailure, SegmentCancelled } from './failure-handler.ts';
import type { JobContext, JobHandler } from './job-registry.ts';
import type { JobPayload } from './job-names.ts';
import { promptIdFor } from './prompt-id.ts';
import { advanceRenderJob, deferAdvances } from './render-progress.ts';
import { storageKeys } from './storage.ts';

/**
 * Generates one attempt of one segment (ARCHITECTURE §8): build the prompt and pick a backend,
 * claim (guarded, recording the backend), run it (reconcile-then-submit, so a re-run after a
 * crash follows the prompt already on the backend), store the clip, complete (guarded). Failures
 * of any kind go to handleGenerationFailure. Cancelling aborts the run, which interrupts the
 * prompt on its backend (or the wait for a backend).
 */

export interface SegmentWorkerDeps {
  pool: BackendPool;
  /** Least time between two progress writes of one segment. */
  progressIntervalMs?: number;
}

interface Prepared {
  spec: ClipSpec;
  lease: Lease;
}

export interface SegmentWorker {
  handler: JobHandler<'segment-generate'>;
  /** Interrupts the local run of a segment (the user cancelled it); false when it does not run here. */
  cancel(segmentId: string): boolean;
  /** Segments generating in this process. */
  running(): string[];
  /** Accounts the render jobs of completed segments that still wait for it (before stopping). */
  settle(): Promise<void>;
}

export function createSegmentWorker(ctx: PipelineContext, deps: SegmentWorkerDeps): SegmentWorker {
  const running = new Map<string, AbortController>();
  const progressIntervalMs = deps.progressIntervalMs ?? 250;
  // Past the handoff to the next segment (a few ms), short of anything a person would notice.
  const advances = deferAdvances(ctx, 50);
  const { db } = ctx.database;

  /** What to send for a segment: its prompt graph, built from its workflow and settings. */
  async function specOf(segment: SegmentRow, settings?: ProjectSettings): Promise<ClipSpec> {
    settings ??= (await findProjectRow(db, segment.projectId))?.settings ?? {};
    return loadClipSpec(db, segment, settings);
  }

  /** What to send for a segment and a backend to send it to. */
  async function prepare(
    segment: SegmentRow,
    signal: AbortSignal,
    settings?: ProjectSettings,
  ): Promise<Prepared> {
    const spec = await specOf(segment, settings);
    const lease = await deps.pool.acquire({ signal, requirements: { graph: spec.prompt } });
    return { spec, lease };
  }

  const handler: JobHandler<'segment-generate'> = async (payload, job) => {
    const abort = new AbortController();
    // Reachable by a cancel from the first step, the wait for a backend included. A stray
    // duplicate job never takes the place of the run that holds the segment.
    if (!running.has(payload.segmentId)) running.set(payload.segmentId, abort);
    try {
      return await generate(payload, job, abort);
    } finally {
      if (running.get(payload.segmentId) === abort) running.delete(payload.segmentId);
    }
  };

  async function generate(
    payload: JobPayload<'segment-generate'>,
    job: JobContext,
    abort: AbortController,
  ): ReturnType<JobHandler<'segment-generate'>> {
    const takenAt = clock();
    // A queued segment is read, its prompt built and a backend leased before it is claimed, so
    // the claim records the backend with the rest (one write, one event) and the segment shows
    // `generating` only once a backend takes it. A failure here is the attempt's failure,
    // raised once the claim has made the attempt.
    const read = await readSegmentForClaim(db, payload.segmentId);
    const seen = read?.segment;
    const preparing =
      read?.segment.status === 'queued' ? prepare(read.segment, abort.signal, read.settings) : null;
    const earlyLease = await preparing?.then(
      (p) => p.lease,
      () => null,
    );
    // What was prepared holds for the segment only as it was read.
    const holds = (row: SegmentRow) => !!seen && sameClipInputs(seen, row);
    let claim: Awaited<ReturnType<typeof claimSegment>>;
    try {
      claim = await claimSegment(db, {
        segmentId: payload.segmentId,
        jobId: job.jobId,
        promptIdFor: (n) => promptIdFor(payload.segmentId, n),
        backendFor: (row) => (earlyLease && holds(row) ? earlyLease.name : null),
        // Unchanged since it was read, it is claimed in one statement.
        seen: read ?? undefined,
      });
    } catch (error) {
      earlyLease?.release('ok');
      throw error;
    }
    if (claim.kind === 'skip') {
      earlyLease?.release('ok');
      ctx.logger.debug(
        { segmentId: payload.segmentId, jobId: job.jobId, reason: claim.reason },
        'segment job skipped',
      );
      return { outcome: 'skipped', reason: claim.reason };
    }
    const { segment, attempt } = claim;
    const promptId = attempt.promptId!;
    const run: AttemptContext = { segment, attempt, promptId, backend: attempt.backend, cancelled: false };
    running.set(segment.id, abort); // the claim makes this run the segment's (see handler)
    const prepared = claim.kind === 'fresh' && holds(segment) ? preparing : null;
    if (!prepared) earlyLease?.release('ok');
    let lease: Lease | null = null;
    let outputDir: string | null = null;
    // The claim is announced (the segment's event, its render job moved on) once the prompt is
    // on the backend: its database work then overlaps the generation instead of delaying the
    // send. Every later event of this attempt waits for it. It never fails the attempt (the
    // claim is committed; the reaper re-accounts the render job), and a run cancelled before it
    // announces nothing: the cancel's own event must stay the last.
    let announcing: Promise<void> | null = null;
    const announce = (): Promise<void> => {
      announcing ??=
        claim.kind === 'fresh' && !abort.signal.aborted
          ? Promise.all([
              publishSegment(ctx.database, segment, undefined, ctx.logger),
              segment.renderJobId ? startRenderJob(ctx, segment.renderJobId) : undefined,
            ]).then(
              () => {},
              (err: unknown) =>
                ctx.logger.warn({ err, segmentId: segment.id }, 'could not announce a claimed segment'),
            )
          : Promise.resolve();
      return announcing;
    };
    try {
      if (claim.kind === 'resume') {
        ctx.logger.info(
          { segmentId: segment.id, promptId, jobId: job.jobId, retryCount: job.retryCount },
          'resuming a generation after a worker stopped',
        );
      }
      // Without what was prepared: a resumed attempt goes back to its backend, a segment that
      // changed since it was read is prepared again, and the backend is recorded after the claim.
      const resumed = claim.kind === 'resume' ? resumeLease(deps.pool, attempt.backend) : null;
      let spec: ClipSpec;
      ({ spec, lease } = prepared
        ? await prepared
        : resumed
          ? { spec: await specOf(segment), lease: resumed }
          : await prepare(segment, abort.signal));
      run.backend = lease.name;
      if (!prepared) {
        const [withBackend] = await Promise.all([
          updateGeneratingSegment(db, segment.id, promptId, { backend: lease.name }),
          setAttemptBackend(db, attempt.id, lease.name),
          announce(),
        ]);
        if (!withBackend) throw new SegmentCancelled();
        await publishSegment(ctx.database, withBackend, undefined, ctx.logger);
      }

      const progress = progressWriter(ctx, segment.id, promptId, progressIntervalMs, announce, () => {
        run.cancelled = true;
        abort.abort(new SegmentCancelled());
      });
      outputDir = await mkdtemp(join(tmpdir(), 'framesmith-gen-'));
      const runAt = clock();
      const result = await runGeneration(lease.client, {
        graph: spec.prompt,
        promptId,
        // A fresh attempt's prompt id was made by this claim: no backend can have it yet.
        neverSent: claim.kind === 'fresh',
        generationTimeoutMs: spec.generationTimeoutMs ?? ctx.config.COMFYUI_GENERATION_TIMEOUT_MS,
        outputDir,
        signal: abort.signal,
        // Its first report, as soon as the backend has the prompt, starts the announcement.
        onProgress: progress.onProgress,
      });
      await progress.flush();
      lease.release('ok');
      lease = null;
      const output = result.outputs[0];
      if (!output) {
        throw new AppError('COMFYUI_OUTPUT_ERROR', {
          detail: { promptId, backend: run.backend ?? undefined, reason: 'no video output' },
        });
      }
      const media = mediaTypeOf(output.filename);
      const key = storageKeys.clip(segment.projectId, segment.id, attempt.attempt, media.extension);
      const stored = await ctx.storage.putFile(key, output.path);
      const storedAt = clock();
      const completed = await completeSegment(db, {
        segmentId: segment.id,
        promptId,
        attemptId: attempt.id,
        contentHash: spec.contentHash,
        asset: {
          projectId: segment.projectId,
          kind: 'clip',
          storageKey: key,
          contentType: media.contentType,
          sizeBytes: stored.sizeBytes,
          durationSeconds: output.durationSeconds,
          width: output.width,
          height: output.height,
        },
        times: { queueMs: Math.round(result.queueMs), executionMs: Math.round(result.executionMs) },
      });
      const completedAt = clock();
      if (!completed) {
        // Cancelled (or taken by another job) while finishing: the clip is not used.
        await ctx.storage.delete(key);
        throw new SegmentCancelled();
      }
      ctx.logger.info(
        {
          segmentId: segment.id,
          renderJobId: segment.renderJobId,
          backend: run.backend,
          promptId,
          attempt: segment.attempt,
          resumed: result.trace.resumed,
          queueMs: result.queueMs,
          executionMs: result.executionMs,
          // Our time before handing the prompt to runGeneration (claim, spec, backend choice).
          toRunMs: round(runAt - takenAt),
          // Where the time between the backend finishing and the clip being ours went.
          afterFinishMs: {
            fetch: round(result.trace.fetchedAt - result.trace.finishedAt),
            check: round(result.trace.checkedAt - result.trace.fetchedAt),
            store: round(storedAt - result.trace.checkedAt),
            complete: round(completedAt - storedAt),
          },
          takenAt: round(takenAt),
          completedAt: round(completedAt),
        },
        'segment generated',
      );
      await announce();
      await publishSegment(ctx.database, completed.segment, completed.asset, ctx.logger);
      advances.soon(completed.segment.renderJobId);
      return { outcome: 'completed' };
    } catch (error) {
      lease?.release(
        error instanceof AppError && error.code === 'COMFYUI_CONNECTION_ERROR' ? 'connection_error' : 'error',
      );
      if (abort.signal.aborted && abort.signal.reason instanceof SegmentCancelled) run.cancelled = true;
      // The failure's events must follow the claim's, not race them.
      await announce();
      // Awaited here: the finally below awaits too, and a bare returned promise would sit unhandled meanwhile.
      return await handleGenerationFailure(ctx, run, error);
    } finally {
      if (outputDir) await rm(outputDir, { recursive: true, force: true });
    }
  }

  return {
    handler,
    cancel(segmentId) {
      const abort = running.get(segmentId);
      if (!abort) return false;
      abort.abort(new SegmentCancelled());
      return true;
    },
    running: () => [...running.keys()],
    settle: () => advances.flush(),
  };
}

const MEDIA_TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  gif: 'image/gif',
  webp: 'image/webp',
  png: 'image/png',
};

/** Extension and content type of a backend's output file (SaveVideo writes mp4, SaveWEBM webm, …). */
export function mediaTypeOf(filename: string): { extension: string; contentType: string } {
  const extension = /\.([a-z0-9]{1,8})$/i.exec(filename)?.[1]?.toLowerCase() ?? 'mp4';
  return { extension, contentType: MEDIA_TYPES[extension] ?? 'application/octet-stream' };
}

/**
 * A resumed attempt goes back to the backend it was submitted to, so reconciling by prompt id
 * finds it there (another backend would not know it and would run it a second time).
 */
function resumeLease(pool: BackendPool, backend: string | null): Lease | null {
  const client = backend ? pool.get(backend) : undefined;
  if (!backend || !client) return null;
  return { name: backend, client, release: () => {} };
}

/**
 * A render job's first segment started: the job is generating, and says so. Later claims change
 * only its generating count, which its next event (a segment done) carries.
 */
async function startRenderJob(ctx: PipelineContext, renderJobId: string): Promise<void> {
  const moved = await moveRenderJob(ctx.database.db, renderJobId, ['queued'], 'generating');
  if (moved) await advanceRenderJob(ctx, renderJobId);
}

const clock = () => performance.timeOrigin + performance.now();
const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Writes progress and queue position at most every `intervalMs` (the last value is never lost),
 * publishing each write after what `after` announces. A write that finds the segment no longer
 * generating this prompt means it was cancelled: `onGone` stops the run.
 */
function progressWriter(
  ctx: PipelineContext,
  segmentId: string,
  promptId: string,
  intervalMs: number,
  after: () => Promise<unknown>,
  onGone: () => void,
) {
  let pending: { progress?: number; queuePosition?: number | null } | null = null;
  let lastWrite = 0;
  let timer: NodeJS.Timeout | null = null;
  let chain = Promise.resolve();

  const write = () => {
    timer = null;
    const changes = pending;
    pending = null;
    if (!changes) return;
    lastWrite = Date.now();
    chain = chain.then(async () => {
      try {
        await after();
        const row = await updateGeneratingSegment(ctx.database.db, segmentId, promptId, changes);
        if (!row) onGone();
        else await publishSegment(ctx.database, row, undefined, ctx.logger);
      } catch (err) {
        ctx.logger.warn({ err, segmentId }, 'could not record progress');
      }
    });
  };

  return {
    onProgress(e: GenerationProgress) {
      pending = {
        ...pending,
        progress: Math.max(0, Math.min(1, e.phase === 'queued' ? 0 : e.progress)),
        queuePosition: e.phase === 'queued' ? (e.queuePosition ?? null) : null,
      };
      const wait = lastWrite + intervalMs - Date.now();
      if (wait <= 0) write();
      else timer ??= setTimeout(write, wait);
    },
    async flush() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
      await chain;
    },
  };
}
