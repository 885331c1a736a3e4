import { CreateWebhookBody, Webhook } from '@framesmith/core/ops-schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../../../lib/api-client.ts';
import { webhookKeys } from './webhook-keys.ts';

export const createWebhookInput = CreateWebhookBody;
export type CreateWebhookInput = z.input<typeof CreateWebhookBody>;

/** Answers with the webhook and, this once, its secret in full. */
export function createWebhook(body: CreateWebhookInput): Promise<Webhook> {
  return apiRequest('/api/webhooks', { method: 'POST', body, schema: Webhook });
}

export function useCreateWebhook() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: createWebhook,
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookKeys.all(), exact: true }),
  });
}
