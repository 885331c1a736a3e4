import { type UpdateWebhookBody, Webhook } from '@framesmith/core/ops-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import { webhookKeys } from './webhook-keys.ts';

export function updateWebhook(id: string, body: UpdateWebhookBody): Promise<Webhook> {
  return apiRequest(`/api/webhooks/${id}`, { method: 'PATCH', body, schema: Webhook });
}

/** Enable, disable, change events or rotate the secret (the answer then shows the new one once). */
export function useUpdateWebhook(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateWebhookBody) => updateWebhook(id, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookKeys.all(), exact: true }),
  });
}
