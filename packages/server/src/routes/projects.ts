import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CreateProjectBody,
  IdParams,
  Project,
  ProjectWithSegments,
  UpdateProjectBody,
} from '@framesmith/core';
import {
  createProject,
  deleteProject,
  getProjectWithSegments,
  listProjects,
  updateProject,
} from '@framesmith/db';
import type { RoutePluginOptions } from '../deps.ts';
import { NoContent, errorResponses } from '../http.ts';
import { acceptsGzip } from '../project-view-cache.ts';

export const projectRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  const { db } = deps.database;
  const tags = ['projects'];

  app.post(
    '/api/projects',
    {
      schema: {
        tags,
        summary: 'Create a project',
        body: CreateProjectBody,
        response: { 201: Project, 400: errorResponses[400], 413: errorResponses[413] },
      },
    },
    async (req, reply) => reply.status(201).send(await createProject(db, req.body)),
  );

  app.get(
    '/api/projects',
    {
      schema: {
        tags,
        summary: 'List projects, newest first, with segment counts by status and the latest render',
        response: { 200: z.array(Project) },
      },
    },
    async () => listProjects(db),
  );

  app.get(
    '/api/projects/:id',
    {
      schema: {
        tags,
        summary: 'One project with its segments in timeline order',
        params: IdParams,
        response: {
          200: ProjectWithSegments,
          304: z.undefined().describe('Unchanged since the ETag given in If-None-Match'),
          404: errorResponses[404],
        },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      // Served from the project view cache: the hottest read, polled by every open timeline.
      const view =
        app.projectViews.peek(id) ?? (await app.projectViews.get(id, () => getProjectWithSegments(db, id)));
      // Browsers take gzip: a 100-segment view shrinks about tenfold, compressed once per change.
      const gzip = acceptsGzip(req.headers['accept-encoding']);
      const { body, etag } = gzip ? await view.gzipped() : view;
      reply.header('etag', etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
      if (req.headers['if-none-match'] === etag) return reply.status(304).send();
      if (gzip) reply.header('content-encoding', 'gzip');
      // Already JSON of the ProjectWithSegments schema, made by db's serializers: sent as bytes.
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );

  app.patch(
    '/api/projects/:id',
    {
      schema: {
        tags,
        summary: 'Rename a project or change its description or settings (settings are merged)',
        params: IdParams,
        body: UpdateProjectBody,
        response: { 200: Project, 400: errorResponses[400], 404: errorResponses[404] },
      },
    },
    async (req) => {
      const project = await updateProject(db, req.params.id, req.body);
      app.projectViews.invalidate(project.id);
      return project;
    },
  );

  app.delete(
    '/api/projects/:id',
    {
      schema: {
        tags,
        summary: 'Delete a project with its segments, render jobs and stored files',
        params: IdParams,
        response: { 204: NoContent, 404: errorResponses[404] },
      },
    },
    async (req, reply) => {
      await deleteProject(db, req.params.id);
      app.projectViews.invalidate(req.params.id);
      if (deps.storage) {
        try {
          await deps.storage.deleteProjectFiles(req.params.id);
        } catch (err) {
          // The rows are gone; leftover files are logged for the operator, not failed back to the user.
          req.log.error(
            { err, projectId: req.params.id },
            'could not remove the stored files of a deleted project',
          );
        }
      }
      return reply.status(204).send();
    },
  );
};
