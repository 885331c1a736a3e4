import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParams } from '@framesmith/core';
import { Backend, CreateBackendBody, UpdateBackendBody } from '@framesmith/core/ops-schemas';
import type { BackendRow } from '@framesmith/db/queries/backends';
import { type BackendPoolLike, type BackendView, backendViews } from '../backend-view.ts';
import { type BackendRegistry, maskUrl } from '../backend-registry.ts';
import type { RoutePlugin, RoutePluginOptions } from '../deps.ts';
import { NoContent, errorResponses } from '../http.ts';

/**
 * `/api/backends`: the ComfyUI servers, with their live health from this process's pool. Add one,
 * drain it (no new jobs; running ones finish), disable or enable it, remove it. COMFYUI_URL ones
 * can be drained or disabled but not removed or re-pointed here.
 */
export function backendRoutes(registry: BackendRegistry, pool: BackendPoolLike): RoutePlugin {
  const plugin: FastifyPluginAsyncZod<RoutePluginOptions> = async (app) => {
    const tags = ['backends'];

    const toResource = (row: BackendRow, live: Map<string, BackendView>): Backend => {
      const view = live.get(row.name);
      return {
        name: row.name,
        status: view?.status ?? 'unknown',
        latencyMs: view?.latencyMs ?? null,
        version: view?.version ?? null,
        queueRemaining: view?.queueRemaining ?? null,
        devices: view?.devices ?? [],
        circuit: view?.circuit ?? 'closed',
        inFlight: view?.inFlight ?? 0,
        lastCheckedAt: view?.lastCheckedAt ?? null,
        lastError: view?.lastError ?? null,
        // The table holds the flags; the pool applies them (possibly a moment later in other processes).
        enabled: row.enabled,
        draining: row.draining,
        id: row.id,
        url: maskUrl(row.url),
        source: row.source === 'env' ? 'env' : 'api',
        createdAt: row.createdAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
      };
    };
    const live = () => new Map(backendViews(pool).map((b) => [b.name, b]));

    app.get(
      '/api/backends',
      {
        schema: {
          tags,
          summary: 'ComfyUI servers: from COMFYUI_URL and added here, with live health',
          response: { 200: z.array(Backend) },
        },
      },
      async () => {
        const views = live();
        return (await registry.list()).map((r) => toResource(r, views));
      },
    );

    app.get(
      '/api/backends/:id',
      {
        schema: {
          tags,
          summary: 'One ComfyUI server',
          params: IdParams,
          response: { 200: Backend, 404: errorResponses[404] },
        },
      },
      async (req) => toResource(await registry.get(req.params.id), live()),
    );

    app.post(
      '/api/backends',
      {
        schema: {
          tags,
          summary: 'Add a ComfyUI server',
          description:
            'It is health-checked at once and takes jobs when healthy. 409 when the name is taken.',
          body: CreateBackendBody,
          response: { 201: Backend, 400: errorResponses[400], 409: errorResponses[409] },
        },
      },
      async (req, reply) => reply.status(201).send(toResource(await registry.create(req.body), live())),
    );

    app.patch(
      '/api/backends/:id',
      {
        schema: {
          tags,
          summary: 'Drain, undrain, enable, disable or re-point a ComfyUI server',
          description:
            'draining: true stops new jobs going to it while running ones finish; enabled: false takes it out ' +
            'of health and routing entirely. The URL of a COMFYUI_URL server cannot be changed here.',
          params: IdParams,
          body: UpdateBackendBody,
          response: { 200: Backend, 400: errorResponses[400], 404: errorResponses[404] },
        },
      },
      async (req) => toResource(await registry.update(req.params.id, req.body), live()),
    );

    app.delete(
      '/api/backends/:id',
      {
        schema: {
          tags,
          summary: 'Remove a ComfyUI server added through the API',
          description: 'Jobs running on it finish; no new ones go to it. 409 for a COMFYUI_URL server.',
          params: IdParams,
          response: { 204: NoContent, 404: errorResponses[404], 409: errorResponses[409] },
        },
      },
      async (req, reply) => {
        await registry.remove(req.params.id);
        return reply.status(204).send();
      },
    );
  };
  return plugin as RoutePlugin;
}
