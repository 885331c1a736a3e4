import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IdParams, Segment } from '@framesmith/core';
import type { RoutePlugin, RoutePluginOptions } from '../deps.ts';
import { errorResponses } from '../http.ts';
import { requirePipeline } from './pipeline-deps.ts';

/** One-click retry and cancel of a segment. */
const plugin: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  const service = requirePipeline(deps).service;
  const tags = ['segments'];

  app.post(
    '/api/segments/:id/retry',
    {
      schema: {
        tags,
        summary: 'Retry a failed segment now',
        description:
          'Clears the error and queues the segment at once; its render goes back to generating (or a new ' +
          'render starts) so the final video is composed when it succeeds. 409 when the segment has not failed.',
        params: IdParams,
        response: { 202: Segment, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(202).send(await service.retrySegment(req.params.id)),
  );

  app.post(
    '/api/segments/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a queued or generating segment',
        description:
          'A running prompt is interrupted on its backend. 409 when the segment is not queued or generating.',
        params: IdParams,
        response: { 200: Segment, ...errorResponses },
      },
    },
    async (req) => service.cancelSegment(req.params.id),
  );
};

export const segmentActionRoutes = plugin as RoutePlugin;
