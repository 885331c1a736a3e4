import { WebhookDelivery } from '@framesmith/core/ops-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { webhookKeys } from './webhook-keys.ts';

export function redeliver(webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
  return apiRequest(`/api/webhooks/${webhookId}/deliveries/${deliveryId}/redeliver`, {
    method: 'POST',
    schema: WebhookDelivery,
  });
}

export function useRedeliver(webhookId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) => redeliver(webhookId, deliveryId),
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookKeys.deliveries(webhookId) }),
  });
}
