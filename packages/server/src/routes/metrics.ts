import type { FastifyPluginAsync } from 'fastify';
import type { RoutePlugin, RoutePluginOptions } from '../deps.ts';
import type { Metrics } from '../metrics.ts';

/**
 * `GET /metrics` (Prometheus text) and an onResponse hook that times every request by route
 * pattern and status. The plugin is not encapsulated (skip-override), so the hook sees every route.
 */
export function metricsRoutes(metrics: Metrics): RoutePlugin {
  const plugin: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
    app.addHook('onResponse', async (req, reply) => {
      // Unmatched URLs share one label so scanners cannot blow up the series count.
      const route = req.routeOptions.url ?? 'unmatched';
      metrics.observeHttp(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });

    app.get(
      '/metrics',
      { schema: { tags: ['health'], summary: 'Prometheus metrics (text exposition format)', hide: false } },
      async (_req, reply) => {
        const text = await metrics.scrape();
        return reply
          .header('content-type', metrics.contentType)
          .header('cache-control', 'no-store')
          .send(text);
      },
    );
  };
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}
