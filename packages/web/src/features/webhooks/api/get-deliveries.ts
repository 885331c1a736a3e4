import { type WebhookDelivery, WebhookDelivery as DeliverySchema } from '@framesmith/core/ops-schemas';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';
import { apiRequest } from '../../../lib/api-client.ts';
import { webhookKeys } from './webhook-keys.ts';

export type { WebhookDelivery };

export function getDeliveries(webhookId: string): Promise<WebhookDelivery[]> {
  return apiRequest(`/api/webhooks/${webhookId}/deliveries?limit=50`, { schema: z.array(DeliverySchema) });
}

export const deliveriesQueryOptions = (webhookId: string) =>
  queryOptions({
    queryKey: webhookKeys.deliveries(webhookId),
    queryFn: () => getDeliveries(webhookId),
    // Deliveries are not on the live event stream: refresh while one is still being sent.
    refetchInterval: (query) => (query.state.data?.some((d) => d.status === 'pending') ? 3_000 : 30_000),
    refetchIntervalInBackground: false,
  });

export function useDeliveries(webhookId: string) {
  return useQuery(deliveriesQueryOptions(webhookId));
}
