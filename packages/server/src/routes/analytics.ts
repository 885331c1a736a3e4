import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ERROR_TAXONOMY, ErrorCode, invalid } from '@framesmith/core';
import { ErrorAnalytics, ErrorAnalyticsQuery } from '@framesmith/core/ops-schemas';
import { chooseBucketSeconds, errorAnalytics } from '@framesmith/db/queries/analytics';
import type { RoutePlugin, RoutePluginOptions } from '../deps.ts';
import { errorResponses } from '../http.ts';

/** Longest window one request may ask for. */
const MAX_WINDOW_MS = 366 * 86400_000;
const DEFAULT_WINDOW_MS = 86400_000;

/** `GET /api/analytics/errors`: failure patterns over generation_attempts (future enhancement 2). */
export function analyticsRoutes(): RoutePlugin {
  const plugin: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
    app.get(
      '/api/analytics/errors',
      {
        schema: {
          tags: ['analytics'],
          summary:
            'Error analytics: failures by code over time, retry success, time to failure, worst workflows and backends',
          description:
            'Attempts count in the window by when they started (since ≤ started < until). Defaults: the last 24 hours, ' +
            'and a bucket width giving at most 60 buckets.',
          querystring: ErrorAnalyticsQuery,
          response: { 200: ErrorAnalytics, 400: errorResponses[400] },
        },
      },
      async (req) => {
        const until = req.query.until ? new Date(req.query.until) : new Date();
        const since = req.query.since
          ? new Date(req.query.since)
          : new Date(until.getTime() - DEFAULT_WINDOW_MS);
        if (since.getTime() >= until.getTime()) throw invalid('since', 'must be before until');
        if (until.getTime() - since.getTime() > MAX_WINDOW_MS)
          throw invalid('since', 'the window must be at most 366 days');
        const bucketSeconds = req.query.bucketSeconds ?? chooseBucketSeconds(since, until);
        if ((until.getTime() - since.getTime()) / 1000 / bucketSeconds > 2000) {
          throw invalid(
            'bucketSeconds',
            'gives more than 2000 buckets for this window; choose a wider bucket',
          );
        }
        const result = await errorAnalytics(deps.database.db, {
          since,
          until,
          bucketSeconds,
          ...(req.query.projectId ? { projectId: req.query.projectId } : {}),
        });
        return {
          ...result,
          failuresByCode: result.failuresByCode.map((f) => {
            const code = ErrorCode.safeParse(f.code);
            return {
              ...f,
              title: code.success ? ERROR_TAXONOMY[code.data].title : 'Unclassified failure',
              retryable: code.success ? ERROR_TAXONOMY[code.data].retryable : null,
            };
          }),
        };
      },
    );
  };
  return plugin as RoutePlugin;
}
