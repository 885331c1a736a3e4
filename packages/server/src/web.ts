import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const API_ONLY_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Framesmith</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}</style>
</head><body><h1>Framesmith</h1>
<p>The API is running. The web interface has not been built on this machine.</p>
<p>Build it with <code>npm run build:web</code> and restart, or use the API directly:
<a href="/api/docs">API documentation</a>.</p></body></html>
`;

/**
 * Serves the built web UI at / with a single-page-app fallback: a GET for a path outside /api
 * that is no file answers index.html, so deep links work. Without a build, / explains how to get one.
 */
export function registerWeb(
  app: FastifyInstance,
  webDir: string | undefined,
): { notFound?: (req: FastifyRequest, reply: FastifyReply) => unknown } {
  const root = webDir ? resolve(webDir) : undefined;
  if (!root || !existsSync(join(root, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(API_ONLY_PAGE),
    );
    return {};
  }
  app.register(fastifyStatic, { root, prefix: '/', wildcard: true, index: ['index.html'] });
  return {
    notFound(req, reply) {
      const path = req.url.split('?')[0] ?? '/';
      if ((req.method !== 'GET' && req.method !== 'HEAD') || path === '/api' || path.startsWith('/api/')) {
        return undefined;
      }
      return reply
        .header('cache-control', 'no-cache')
        .type('text/html; charset=utf-8')
        .sendFile('index.html');
    },
  };
}
