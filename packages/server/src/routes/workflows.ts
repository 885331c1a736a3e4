import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CreateWorkflowBody,
  DuplicateWorkflowBody,
  IdParams,
  UpdateWorkflowBody,
  Workflow,
} from '@framesmith/core';
import {
  createWorkflow,
  deleteWorkflow,
  duplicateWorkflow,
  getWorkflow,
  listWorkflows,
  updateWorkflow,
} from '@framesmith/db';
import type { RoutePluginOptions } from '../deps.ts';
import { NoContent, errorResponses } from '../http.ts';

export const workflowRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  const { db } = deps.database;
  const tags = ['workflows'];

  app.get(
    '/api/workflows',
    {
      schema: {
        tags,
        summary: 'The workflow library, built-ins first',
        response: { 200: z.array(Workflow) },
      },
    },
    async () => listWorkflows(db),
  );

  app.post(
    '/api/workflows',
    {
      schema: {
        tags,
        summary: 'Import an API-format ComfyUI workflow',
        description:
          'Bindings say which node input receives the prompt, seed, size, frames, fps and input image; ' +
          'those not given are inferred from the graph. A UI-format save is refused with how to export it.',
        body: CreateWorkflowBody,
        response: { 201: Workflow, 400: errorResponses[400], 413: errorResponses[413] },
      },
    },
    async (req, reply) => reply.status(201).send(await createWorkflow(db, req.body)),
  );

  app.get(
    '/api/workflows/:id',
    {
      schema: {
        tags,
        summary: 'One workflow with its graph and bindings',
        params: IdParams,
        response: { 200: Workflow, 404: errorResponses[404] },
      },
    },
    async (req) => getWorkflow(db, req.params.id),
  );

  app.patch(
    '/api/workflows/:id',
    {
      schema: {
        tags,
        summary: 'Edit a workflow (built-ins cannot be changed: 409)',
        params: IdParams,
        body: UpdateWorkflowBody,
        response: { 200: Workflow, ...errorResponses },
      },
    },
    async (req) => updateWorkflow(db, req.params.id, req.body),
  );

  app.delete(
    '/api/workflows/:id',
    {
      schema: {
        tags,
        summary: 'Delete a workflow (built-ins and workflows in use: 409)',
        params: IdParams,
        response: { 204: NoContent, 404: errorResponses[404], 409: errorResponses[409] },
      },
    },
    async (req, reply) => {
      await deleteWorkflow(db, req.params.id);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/workflows/:id/duplicate',
    {
      schema: {
        tags,
        summary: 'Copy a workflow (built-ins included) into an editable one',
        params: IdParams,
        // A POST without a body arrives as null.
        body: DuplicateWorkflowBody.nullable(),
        response: { 201: Workflow, 400: errorResponses[400], 404: errorResponses[404] },
      },
    },
    async (req, reply) => reply.status(201).send(await duplicateWorkflow(db, req.params.id, req.body?.name)),
  );
};
