import type { ErrorAnalytics } from '@framesmith/core/ops-schemas';
import { ErrorAnalytics as ErrorAnalyticsSchema } from '@framesmith/core/ops-schemas';
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';

export type { ErrorAnalytics };

/** The windows the dashboard offers, with the bucket width each is drawn in. */
export const RANGES = {
  '1h': { label: 'Last hour', ms: 3600_000, bucketSeconds: 60 },
  '24h': { label: 'Last 24 hours', ms: 86400_000, bucketSeconds: 3600 },
  '7d': { label: 'Last 7 days', ms: 7 * 86400_000, bucketSeconds: 6 * 3600 },
  '30d': { label: 'Last 30 days', ms: 30 * 86400_000, bucketSeconds: 86400 },
} as const;
export type RangeKey = keyof typeof RANGES;

export interface AnalyticsParams {
  range: RangeKey;
  projectId: string | null;
}

/** `GET /api/analytics/errors` for a window ending now. */
export function getErrorAnalytics(params: AnalyticsParams, now = Date.now()): Promise<ErrorAnalytics> {
  const r = RANGES[params.range];
  // Round to the bucket so the query (and its cache entry) is stable within a bucket.
  const until = Math.ceil(now / (r.bucketSeconds * 1000)) * r.bucketSeconds * 1000;
  const q = new URLSearchParams({
    since: new Date(until - r.ms).toISOString(),
    until: new Date(until).toISOString(),
    bucketSeconds: String(r.bucketSeconds),
  });
  if (params.projectId) q.set('projectId', params.projectId);
  return apiRequest(`/api/analytics/errors?${q}`, { schema: ErrorAnalyticsSchema });
}

// This page's own cache entry: nothing else reads or writes it, so it stays in this feature.
export const errorAnalyticsQueryOptions = (params: AnalyticsParams) =>
  queryOptions({
    queryKey: ['analytics', 'errors', params.range, params.projectId ?? 'all'] as const,
    queryFn: () => getErrorAnalytics(params),
    placeholderData: keepPreviousData,
    // Failures are counted as they happen; a minute is fresh enough for a dashboard.
    refetchInterval: 60_000,
    refetchIntervalInBackground: false,
  });

export function useErrorAnalytics(params: AnalyticsParams) {
  return useQuery(errorAnalyticsQueryOptions(params));
}
