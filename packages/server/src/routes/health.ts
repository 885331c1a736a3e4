import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ComfyHealth, ReadyHealth, SystemHealth } from '@framesmith/core/ops-schemas';
import type { RoutePlugin, RoutePluginOptions } from '../deps.ts';
import type { HealthMonitor } from '../health-monitor.ts';

/**
 * Health endpoints. They answer from the monitor's latest results (never waiting on a check),
 * unless the caller asks for `?refresh=true`, which runs the checks first, each bounded by
 * HEALTH_CHECK_TIMEOUT_MS. Backends appear by name only. (`/api/health/live` is in meta routes.)
 */
const RefreshQuery = z.strictObject({
  refresh: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1'),
});

export function healthRoutes(monitor: HealthMonitor): RoutePlugin {
  const plugin: FastifyPluginAsyncZod<RoutePluginOptions> = async (app) => {
    const tags = ['health'];
    app.addHook('onRequest', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
    });

    app.get(
      '/api/health',
      {
        schema: {
          tags,
          summary: 'Overall health: database, queue, ComfyUI, storage, ffmpeg',
          description:
            '200 when healthy or degraded, 503 when unhealthy. Answers from the latest background checks; ' +
            '`refresh=true` runs them first.',
          querystring: RefreshQuery,
          response: { 200: SystemHealth, 503: SystemHealth },
        },
      },
      async (req, reply) => {
        const health = req.query.refresh ? await monitor.checkNow() : monitor.system();
        return reply.status(health.status === 'unhealthy' ? 503 : 200).send(health);
      },
    );

    app.get(
      '/api/health/comfyui',
      {
        schema: {
          tags,
          summary: 'ComfyUI backends: status, latency, version, queue, VRAM, circuit',
          description:
            'healthy: every enabled backend is healthy; degraded: some are; unhealthy: none is; unavailable: none is ' +
            'enabled. 200 when at least one backend is healthy, else 503.',
          querystring: RefreshQuery,
          response: { 200: ComfyHealth, 503: ComfyHealth },
        },
      },
      async (req, reply) => {
        if (req.query.refresh) await monitor.checkNow();
        const health = monitor.comfy();
        const anyHealthy = health.backends.some((b) => b.enabled && b.status === 'healthy');
        return reply.status(anyHealthy ? 200 : 503).send(health);
      },
    );

    app.get(
      '/api/health/ready',
      {
        schema: {
          tags,
          summary: 'Readiness: the database is reachable and migrations are applied',
          response: { 200: ReadyHealth, 503: ReadyHealth },
        },
      },
      async (_req, reply) => {
        const ready = await monitor.ready();
        return reply.status(ready.status === 'ready' ? 200 : 503).send(ready);
      },
    );
  };
  return plugin as RoutePlugin;
}
