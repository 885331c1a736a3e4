import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, isAppError, toAppError } from '@framesmith/core';
import { deleteAssetRow, findAsset, insertAsset } from '@framesmith/db/queries/assets';
import { findRenderJobRow, moveRenderJob, renderSegmentStates } from '@framesmith/db/queries/render-jobs';
import { composeClips } from './composer.ts';
import type { PipelineContext } from './context.ts';
import { publishRenderJob } from './events.ts';
import type { JobHandler } from './job-registry.ts';
import { advanceRenderJob } from './render-progress.ts';
import { storageKeys } from './storage.ts';

/**
 * Joins a render's clips, in timeline order, into the final video (ARCHITECTURE §6: the
 * `compositing` step). The clips are only read; the output is stored as the render's asset.
 * Failure ends the job `failed` with COMPOSITION_ERROR and ffmpeg's words in the detail.
 */
export function createCompositionHandler(
  ctx: PipelineContext,
  options: { timeoutMs?: number } = {},
): JobHandler<'render-compose'> {
  const { db } = ctx.database;
  return async ({ renderJobId }) => {
    const job = await findRenderJobRow(db, renderJobId);
    if (job?.status !== 'compositing') {
      return { outcome: 'skipped', reason: `render job is ${job?.status ?? 'gone'}` };
    }
    const states = await renderSegmentStates(db, job.segmentIds);
    if (states.length === 0 || states.some((s) => s.status !== 'completed' || !s.outputAssetId)) {
      // A segment changed after generation finished: let accounting decide again.
      await moveRenderJob(db, job.id, ['compositing'], 'generating');
      await advanceRenderJob(ctx, job.id);
      return { outcome: 'skipped', reason: 'a segment is no longer complete' };
    }
    const started = Date.now();
    const work = await mkdtemp(join(tmpdir(), 'framesmith-final-'));
    const key = storageKeys.final(job.projectId, job.id);
    try {
      const clipPaths: string[] = [];
      for (const s of states) {
        const asset = await findAsset(db, s.outputAssetId!);
        if (!asset)
          throw new AppError('COMPOSITION_ERROR', {
            detail: { reason: `the clip of segment ${s.position + 1} is missing` },
          });
        clipPaths.push(ctx.storage.localPath(asset.storageKey));
      }
      const outPath = join(work, 'final.mp4');
      const result = await composeClips({
        clipPaths,
        format: { width: job.settings.width, height: job.settings.height, fps: job.settings.fps },
        crossfadeSeconds: job.settings.crossfadeSeconds ?? 0,
        outPath,
        timeoutMs: options.timeoutMs ?? 30 * 60_000,
      });
      const stored = await ctx.storage.putFile(key, outPath);
      const asset = await insertAsset(db, {
        projectId: job.projectId,
        kind: 'final',
        storageKey: key,
        contentType: 'video/mp4',
        sizeBytes: stored.sizeBytes,
        durationSeconds: result.durationSeconds,
        width: result.width,
        height: result.height,
      });
      // Completes only if every clip is still the one joined: an edit during ffmpeg's run is not
      // silently left out of the final video.
      const clips = Object.fromEntries(states.map((s) => [s.id, s.outputAssetId!]));
      const done = await moveRenderJob(
        db,
        job.id,
        ['compositing'],
        'completed',
        {
          outputAssetId: asset.id,
          summary: `${states.length} segment${states.length === 1 ? '' : 's'}, ${result.durationSeconds.toFixed(2)} s (${result.mode === 'copy' ? 'joined without re-encoding' : 're-encoded'}).`,
        },
        { clips },
      );
      if (!done) {
        await deleteAssetRow(db, asset.id);
        await ctx.storage.delete(key);
        const now = await findRenderJobRow(db, job.id);
        if (now?.status === 'compositing') {
          await moveRenderJob(db, job.id, ['compositing'], 'generating');
          await advanceRenderJob(ctx, job.id);
          return { outcome: 'skipped', reason: 'a segment changed while compositing' };
        }
        return { outcome: 'skipped', reason: 'render job was cancelled while compositing' };
      }
      ctx.logger.info(
        {
          renderJobId: job.id,
          projectId: job.projectId,
          clips: states.length,
          mode: result.mode,
          ms: Date.now() - started,
        },
        'render composed',
      );
      await publishRenderJob(ctx.database, done, ctx.logger);
      return { outcome: 'completed' };
    } catch (thrown) {
      const error = isAppError(thrown) ? thrown : toAppError(thrown);
      const log = { renderJobId: job.id, projectId: job.projectId, code: error.code, detail: error.detail };
      if (error.code === 'INTERNAL_ERROR')
        ctx.logger.error({ ...log, err: thrown }, 'composition failed unexpectedly');
      else ctx.logger.warn(log, 'composition failed');
      await ctx.storage.delete(key).catch(() => {});
      const failed = await moveRenderJob(db, job.id, ['compositing'], 'failed', {
        errorCode: error.code,
        errorMessage: error.userMessage,
        errorDetail: error.detail,
        summary: 'The clips were generated but could not be joined into the final video.',
      });
      if (failed) await publishRenderJob(ctx.database, failed, ctx.logger);
      return { outcome: 'failed', code: error.code };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };
}
