import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ApiErrorBody,
  Project,
  ProjectWithSegments,
  RenderJob,
  Segment,
  SegmentParams,
  Workflow,
  WorkflowBindings,
} from '@framesmith/core';
import type { AppDeps } from './deps.ts';

/**
 * The OpenAPI document (/api/docs/json) and its UI (/api/docs), generated from the same zod
 * schemas the routes validate and serialize with. Named resources become components.
 */
export async function registerOpenApi(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // A registry per app, so building several apps (tests) never collides on ids.
  const schemaRegistry = z.registry<{ id: string }>();
  const named = {
    ApiError: ApiErrorBody,
    Project,
    ProjectWithSegments,
    Segment,
    SegmentParams,
    Workflow,
    WorkflowBindings,
    RenderJob,
  };
  for (const [id, schema] of Object.entries(named)) schemaRegistry.add(schema, { id });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Framesmith API',
        description:
          'AI video timelines on ComfyUI. Errors are `{"error": {"code", "message", "details"}}`; ' +
          'failed segments carry `error: {code, title, message, tips, retryable, at}`.',
        version: deps.version ?? '0.0.0',
      },
      tags: [
        { name: 'projects', description: 'Timelines of segments' },
        { name: 'segments', description: 'One clip each: prompt, parameters, workflow, status' },
        { name: 'workflows', description: 'The ComfyUI workflow library (API-format graphs with bindings)' },
        { name: 'meta', description: 'Liveness and server facts' },
      ],
    },
    transform: createJsonSchemaTransform({ schemaRegistry, skipList: [] }),
    transformObject: createJsonSchemaTransformObject({ schemaRegistry }),
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
}
