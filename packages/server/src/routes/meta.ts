import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RoutePluginOptions } from '../deps.ts';

export const Meta = z.object({
  version: z.string(),
  backendMode: z.enum(['simulated', 'comfyui']),
  database: z.enum(['pglite', 'postgres']),
});

/** Liveness (the process answers) and the facts the UI shows in its header. */
export const metaRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/api/health/live',
    {
      schema: {
        tags: ['meta'],
        summary: 'Liveness: the process is up and serving',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/api/meta',
    {
      schema: {
        tags: ['meta'],
        summary: 'Version, backend mode (simulated or real ComfyUI) and database kind',
        response: { 200: Meta },
      },
    },
    async () => ({
      version: deps.version ?? '0.0.0',
      backendMode: deps.backendMode ?? (deps.config.COMFYUI_URL.length > 0 ? 'comfyui' : 'simulated'),
      database: deps.database.kind,
    }),
  );
};
