import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getProjectRow } from '@framesmith/db';
import type { RoutePlugin, RoutePluginOptions } from '../deps.ts';
import { errorResponses } from '../http.ts';
import { requirePipeline } from './pipeline-deps.ts';

/**
 * Live events as Server-Sent Events (ARCHITECTURE §10): `event: segment` and
 * `event: render-job`, each carrying the resource exactly as the REST API shows it, for one
 * project (`?projectId=`) or all; and `event: backend` (one backend as `GET /api/health/comfyui`
 * lists it, name and never URL) on every backend health or breaker change, to every stream.
 * A comment line every 15 s keeps proxies from closing the stream; `retry:` tells the browser
 * how soon to reconnect. When the server may have missed notifications (its LISTEN connection
 * was lost) every stream ends, so clients reconnect and resync.
 */
const HEARTBEAT_MS = 15_000;

const plugin: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  const hub = requirePipeline(deps).events;
  const open = new Set<ServerResponse>();
  // Streams never end by themselves: close them so the server can shut down.
  app.addHook('onClose', async () => {
    for (const res of open) res.end();
  });

  app.get(
    '/api/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Live segment and render job changes (Server-Sent Events)',
        description:
          'A `text/event-stream`. Events: `segment` (a Segment), `render-job` (a RenderJob) and ' +
          '`backend` (one backend of `GET /api/health/comfyui`, sent to every stream). ' +
          'Give `projectId` to receive one project only, or `scope=backends` for backend events only.',
        querystring: z.strictObject({
          projectId: z.string().optional(),
          scope: z.enum(['all', 'backends']).optional(),
        }),
        response: { 404: errorResponses[404] },
      },
    },
    async (req, reply) => {
      const projectId = req.query.projectId ?? null;
      if (projectId) await getProjectRow(deps.database.db, projectId);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n: connected\n\n');
      open.add(res);
      // `scope=backends`: a page with no project open only needs the header's backend health.
      const unsubscribe =
        req.query.scope === 'backends'
          ? () => {}
          : hub.subscribe(projectId, (e) => {
              sendEvent(res, `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
            });
      const stopBackends =
        deps.backendChanges?.onBackendChange((b) => {
          sendEvent(res, `event: backend\ndata: ${JSON.stringify(b)}\n\n`);
        }) ?? (() => {});
      // Notifications were missed (lost LISTEN connection): end the stream; the browser
      // reconnects and the client refetches the project when its EventSource reopens.
      const stopReset = hub.onReset(() => res.end());
      const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      const done = () => {
        clearInterval(heartbeat);
        unsubscribe();
        stopBackends();
        stopReset();
        open.delete(res);
      };
      res.on('close', done);
      res.on('error', done);
    },
  );
};

export const eventRoutes = plugin as RoutePlugin;

/**
 * Writes an event and puts it on the wire now. Node holds a response's writes until the next
 * tick; an event published in the middle of a run of embedded-database queries (which never
 * leave the microtask queue) would otherwise wait for all of them.
 */
export function sendEvent(res: ServerResponse, text: string): void {
  res.write(text);
  res.socket?.uncork();
}
