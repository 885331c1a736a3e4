import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { LIMITS, invalid } from '@framesmith/core';
import type { AppDeps } from './deps.ts';
import { installErrorHandlers } from './errors.ts';
import { REQUEST_ID_LOG_LABEL, requestIdOptions } from './logger.ts';
import { registerOpenApi } from './openapi.ts';
import { ProjectViewCache } from './project-view-cache.ts';
import { findBodyProblem } from './unstorable-text.ts';
import { metaRoutes } from './routes/meta.ts';
import { projectRoutes } from './routes/projects.ts';
import { segmentRoutes } from './routes/segments.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { registerWeb } from './web.ts';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The HTTP app, as the `api` role, embedded `start` and every test use it. It never listens:
 * the bin does. Core routes are plugins under routes/; teammates' plugins come in `deps.routes`.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    ...requestIdOptions(),
    bodyLimit: LIMITS.bodyLimitBytes,
    // Per-request lines would drown the log; failures are logged by the error handler.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: REQUEST_ID_LOG_LABEL,
    }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // A client that sends `{"__proto__": …}` gets a 400, never a polluted object.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('deps', deps);
  const projectViews = await ProjectViewCache.start(deps.database, deps.projectViewCache ?? {});
  app.decorate('projectViews', projectViews);
  app.addHook('onClose', () => projectViews.close());
  // A write answers only once its own change notices have reached the project view cache, so the
  // next GET /api/projects/:id shows it, whichever route made it (core or a teammate's plugin).
  // Callback-style hooks: reads, the hot path, pass through without making a promise.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (READ_METHODS.has(request.method) || reply.statusCode >= 400) return done(null, payload);
    projectViews.sync().then(
      () => done(null, payload),
      (e: Error) => done(e),
    );
  });
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined || request.body === null) return done();
    const problem = findBodyProblem(request.body);
    done(problem ? invalid(problem.path.join('.') || 'body', problem.message) : undefined);
  });

  const web = registerWeb(app, deps.webDir);
  installErrorHandlers(app, web.notFound);
  await registerOpenApi(app, deps);

  const opts = { deps };
  await app.register(metaRoutes, opts);
  await app.register(projectRoutes, opts);
  await app.register(segmentRoutes, opts);
  await app.register(workflowRoutes, opts);
  for (const plugin of deps.routes ?? []) await app.register(plugin, opts);
  return app;
}
