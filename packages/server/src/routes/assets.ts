import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IdParams, notFound } from '@framesmith/core';
import { getAsset } from '@framesmith/db/queries/assets';
import type { RoutePlugin, RoutePluginOptions } from '../deps.ts';
import { requirePipeline } from './pipeline-deps.ts';

/** A byte range of a file of `size` bytes, or 'unsatisfiable', or null for the whole file. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null; // several ranges or another unit: answer with the whole file
  const [, a, b] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * Stored videos, streamed with HTTP Range support (206) and their content type, so a browser
 * can seek in a clip or the final video.
 */
const plugin: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  const storage = requirePipeline(deps).storage;

  for (const url of ['/api/assets/:id/content', '/api/assets/:id']) {
    app.get(
      url,
      {
        schema: {
          tags: ['assets'],
          summary: 'The content of a stored clip or final video (supports Range)',
          description:
            'Answers 206 with Content-Range for a `Range: bytes=…` request, 416 when it cannot be met.',
          params: IdParams,
        },
      },
      async (req, reply) => {
        const asset = await getAsset(deps.database.db, req.params.id);
        const stat = await storage.stat(asset.storageKey);
        if (!stat) throw notFound('Asset file', asset.id);
        const size = stat.sizeBytes;
        const range = parseRange(req.headers.range, size);
        reply
          .header('accept-ranges', 'bytes')
          .header('content-type', asset.contentType)
          .header('cache-control', 'private, max-age=3600');
        if (range === 'unsatisfiable') {
          return reply.status(416).header('content-range', `bytes */${size}`).send();
        }
        if (range) {
          reply
            .status(206)
            .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
            .header('content-length', range.end - range.start + 1);
          return reply.send(storage.createReadStream(asset.storageKey, range));
        }
        reply.header('content-length', size);
        return reply.send(storage.createReadStream(asset.storageKey));
      },
    );
  }
};

export const assetRoutes = plugin as RoutePlugin;
