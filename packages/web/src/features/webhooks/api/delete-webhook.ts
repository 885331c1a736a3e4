import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../../lib/api-client.ts';
import type { Webhook } from './get-webhooks.ts';
import { webhookKeys } from './webhook-keys.ts';

export function deleteWebhook(id: string): Promise<void> {
  return apiRequest(`/api/webhooks/${id}`, { method: 'DELETE' });
}

export function useDeleteWebhook() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteWebhook,
    onSuccess: (_, id) => {
      qc.setQueryData<Webhook[]>(webhookKeys.all(), (list) => list?.filter((w) => w.id !== id));
      qc.removeQueries({ queryKey: webhookKeys.deliveries(id) });
    },
  });
}
