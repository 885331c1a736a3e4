import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CreateSegmentBody,
  IdParams,
  ReorderSegmentsBody,
  Segment,
  UpdateSegmentBody,
} from '@framesmith/core';
import {
  createSegment,
  deleteSegment,
  getProjectRow,
  getSegment,
  listSegments,
  reorderSegments,
  updateSegment,
} from '@framesmith/db';
import type { RoutePluginOptions } from '../deps.ts';
import { NoContent, errorResponses } from '../http.ts';

export const segmentRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  const { db } = deps.database;
  const tags = ['segments'];

  app.post(
    '/api/projects/:id/segments',
    {
      schema: {
        tags,
        summary: 'Add a segment (appended unless a position is given)',
        description:
          'Give `workflowId` for a library workflow or `workflow` for an inline API-format graph (with ' +
          'optional `bindings`; missing ones are inferred). Without a seed, a random one is chosen and stored.',
        params: IdParams,
        body: CreateSegmentBody,
        response: { 201: Segment, ...errorResponses },
      },
    },
    async (req, reply) => {
      const segment = await createSegment(db, req.params.id, req.body, {
        maxAttempts: deps.config.GENERATION_MAX_ATTEMPTS,
      });
      app.projectViews.invalidate(segment.projectId);
      return reply.status(201).send(segment);
    },
  );

  app.get(
    '/api/projects/:id/segments',
    {
      schema: {
        tags,
        summary: "A project's segments in timeline order",
        params: IdParams,
        response: { 200: z.array(Segment), 404: errorResponses[404] },
      },
    },
    async (req) => {
      await getProjectRow(db, req.params.id);
      return listSegments(db, req.params.id);
    },
  );

  app.post(
    '/api/projects/:id/segments/reorder',
    {
      schema: {
        tags,
        summary: 'Put the segments in a new order (list every segment id once)',
        params: IdParams,
        body: ReorderSegmentsBody,
        response: { 200: z.array(Segment), ...errorResponses },
      },
    },
    async (req) => {
      const ordered = await reorderSegments(db, req.params.id, req.body.segmentIds);
      app.projectViews.invalidate(req.params.id);
      return ordered;
    },
  );

  app.get(
    '/api/segments/:id',
    {
      schema: {
        tags,
        summary: 'One segment',
        params: IdParams,
        response: { 200: Segment, 404: errorResponses[404] },
      },
    },
    async (req) => getSegment(db, req.params.id),
  );

  app.patch(
    '/api/segments/:id',
    {
      schema: {
        tags,
        summary: 'Edit a segment; a change to what shapes the clip sends it back to pending',
        description: 'Params are merged into the current ones. A generating segment cannot be edited (409).',
        params: IdParams,
        body: UpdateSegmentBody,
        response: { 200: Segment, ...errorResponses },
      },
    },
    async (req) => {
      const segment = await updateSegment(db, req.params.id, req.body);
      app.projectViews.invalidate(segment.projectId);
      return segment;
    },
  );

  app.delete(
    '/api/segments/:id',
    {
      schema: {
        tags,
        summary: 'Delete a segment; the others close the gap',
        params: IdParams,
        response: { 204: NoContent, 404: errorResponses[404], 409: errorResponses[409] },
      },
    },
    async (req, reply) => {
      const { projectId } = await deleteSegment(db, req.params.id);
      app.projectViews.invalidate(projectId);
      return reply.status(204).send();
    },
  );
};
