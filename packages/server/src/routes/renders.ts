import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParams, RenderJob } from '@framesmith/core';
import { getProjectRow } from '@framesmith/db';
import type { RoutePlugin, RoutePluginOptions } from '../deps.ts';
import { errorResponses } from '../http.ts';
import { assetRoutes } from './assets.ts';
import { eventRoutes } from './events.ts';
import { requirePipeline } from './pipeline-deps.ts';
import { segmentActionRoutes } from './segment-actions.ts';

/**
 * Renders: start one (202; 409 with the active job's id when one is running), history, retry
 * of every failed segment, cancel, and the dead-letter queue.
 */
const DeadLetter = z.object({
  id: z.string(),
  queue: z.string().nullable(),
  sourceId: z.string().nullable(),
  data: z.unknown(),
  error: z.unknown(),
  retries: z.number().nullable(),
  createdOn: z.string(),
});

const plugin: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  const pipeline = requirePipeline(deps);
  const service = pipeline.service;
  const tags = ['renders'];

  app.post(
    '/api/projects/:id/render',
    {
      schema: {
        tags,
        summary: 'Render the project',
        description:
          'Queues only the segments whose clip is missing or out of date (incremental); when every clip is ' +
          'current it goes straight to composition. 409 (with `details.renderJobId`) while a render of the ' +
          'project is active.',
        params: IdParams,
        response: { 202: RenderJob, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(202).send(await service.startRender(req.params.id)),
  );

  app.get(
    '/api/projects/:id/render-jobs',
    {
      schema: {
        tags,
        summary: "A project's render jobs, newest first",
        params: IdParams,
        response: { 200: z.array(RenderJob), 404: errorResponses[404] },
      },
    },
    async (req) => {
      await getProjectRow(deps.database.db, req.params.id);
      return service.listRenderJobs(req.params.id);
    },
  );

  app.get(
    '/api/render-jobs/:id',
    {
      schema: {
        tags,
        summary: 'One render job, with counts and progress derived from its segments',
        params: IdParams,
        response: { 200: RenderJob, 404: errorResponses[404] },
      },
    },
    async (req) => service.getRenderJob(req.params.id),
  );

  app.post(
    '/api/render-jobs/:id/retry-failed',
    {
      schema: {
        tags,
        summary: 'Retry every failed segment of the render',
        description:
          'The render goes back to generating and composes the video when they succeed. 409 when none failed.',
        params: IdParams,
        response: { 202: RenderJob, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(202).send(await service.retryFailed(req.params.id)),
  );

  app.post(
    '/api/render-jobs/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel the render',
        description:
          'Running prompts are interrupted on their backends, queued segments removed; segments end ' +
          '`cancelled` and completed clips are kept. 409 when the render has already finished.',
        params: IdParams,
        response: { 200: RenderJob, ...errorResponses },
      },
    },
    async (req) => service.cancelRenderJob(req.params.id),
  );

  app.get(
    '/api/dead-letters',
    {
      schema: {
        tags,
        summary: 'Jobs the queue gave up on (their worker kept dying), newest first',
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() }),
        response: { 200: z.array(DeadLetter) },
      },
    },
    async (req) => service.deadLetters(req.query.limit),
  );
};

export const renderRoutes = plugin as RoutePlugin;

/** Every route plugin of the render pipeline, for `buildApp({ routes })` when `deps.pipeline` is set. */
export const pipelineRoutes: RoutePlugin[] = [renderRoutes, segmentActionRoutes, eventRoutes, assetRoutes];
