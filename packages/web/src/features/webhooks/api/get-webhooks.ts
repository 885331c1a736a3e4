import { type Webhook, Webhook as WebhookSchema } from '@framesmith/core/ops-schemas';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';
import { apiRequest } from '../../../lib/api-client.ts';
import { webhookKeys } from './webhook-keys.ts';

export type { Webhook };

export function getWebhooks(): Promise<Webhook[]> {
  return apiRequest('/api/webhooks', { schema: z.array(WebhookSchema) });
}

export const webhooksQueryOptions = () => queryOptions({ queryKey: webhookKeys.all(), queryFn: getWebhooks });

export function useWebhooks() {
  return useQuery(webhooksQueryOptions());
}
