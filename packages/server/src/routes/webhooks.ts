import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParams, conflict, notFound } from '@framesmith/core';
import {
  CreateWebhookBody,
  UpdateWebhookBody,
  Webhook,
  WebhookDeliveriesQuery,
  WebhookDelivery,
} from '@framesmith/core/ops-schemas';
import { isUuid } from '@framesmith/db/queries/common';
import {
  type DeliveryRow,
  type WebhookRow,
  deleteWebhook,
  getDelivery,
  getWebhook,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  resetDelivery,
  updateWebhook,
} from '@framesmith/db/queries/webhooks';
import { generateWebhookSecret } from '@framesmith/pipeline/webhooks/signature';
import type { RoutePlugin, RoutePluginOptions } from '../deps.ts';
import { NoContent, errorResponses } from '../http.ts';

/** What the routes need beyond the database: queueing a delivery again (absent: no redelivery). */
export interface WebhookRouteServices {
  enqueueDelivery?: (deliveryId: string) => Promise<void>;
}

/** `whsec_…abcd`: enough to tell secrets apart, never enough to sign. */
export function maskSecret(secret: string): string {
  return `whsec_…${secret.slice(-4)}`;
}

function toWebhook(row: WebhookRow, revealSecret = false): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    format: row.format,
    enabled: row.enabled,
    description: row.description,
    secret: revealSecret ? row.secret : maskSecret(row.secret),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhookId,
    event: row.event,
    status: row.status as WebhookDelivery['status'],
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    payload: row.payload,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  };
}

const DeliveryParams = z.strictObject({ id: z.string(), deliveryId: z.string() });

/**
 * Webhooks (future enhancement 4): URL, events, Standard Webhooks secret, payload format
 * (standard or Slack), and the list of deliveries with their status.
 */
export function webhookRoutes(services: WebhookRouteServices = {}): RoutePlugin {
  const plugin: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
    const { db } = deps.database;
    const tags = ['webhooks'];
    const find = async (id: string) => {
      const row = isUuid(id) ? await getWebhook(db, id) : undefined;
      if (!row) throw notFound('Webhook', id);
      return row;
    };

    app.get(
      '/api/webhooks',
      { schema: { tags, summary: 'Webhooks (secrets masked)', response: { 200: z.array(Webhook) } } },
      async () => (await listWebhooks(db)).map((w) => toWebhook(w)),
    );

    app.post(
      '/api/webhooks',
      {
        schema: {
          tags,
          summary: 'Add a webhook',
          description:
            'Deliveries are signed as Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature v1 HMAC-SHA256). ' +
            'Leave the secret out to have one generated; the response is the only one that shows it in full. ' +
            'format "slack" sends {"text": …} for a Slack incoming webhook.',
          body: CreateWebhookBody,
          response: { 201: Webhook, 400: errorResponses[400] },
        },
      },
      async (req, reply) => {
        const { secret, ...rest } = req.body;
        const row = await insertWebhook(db, { ...rest, secret: secret ?? generateWebhookSecret() });
        return reply.status(201).send(toWebhook(row, true));
      },
    );

    app.get(
      '/api/webhooks/:id',
      {
        schema: {
          tags,
          summary: 'One webhook',
          params: IdParams,
          response: { 200: Webhook, 404: errorResponses[404] },
        },
      },
      async (req) => toWebhook(await find(req.params.id)),
    );

    app.patch(
      '/api/webhooks/:id',
      {
        schema: {
          tags,
          summary: 'Change a webhook, or rotate its secret',
          params: IdParams,
          body: UpdateWebhookBody,
          response: { 200: Webhook, 400: errorResponses[400], 404: errorResponses[404] },
        },
      },
      async (req) => {
        await find(req.params.id);
        const { rotateSecret, ...patch } = req.body;
        const row = await updateWebhook(db, req.params.id, {
          ...patch,
          ...(rotateSecret ? { secret: generateWebhookSecret() } : {}),
        });
        if (!row) throw notFound('Webhook', req.params.id);
        return toWebhook(row, rotateSecret === true);
      },
    );

    app.delete(
      '/api/webhooks/:id',
      {
        schema: {
          tags,
          summary: 'Remove a webhook and its delivery history',
          params: IdParams,
          response: { 204: NoContent, 404: errorResponses[404] },
        },
      },
      async (req, reply) => {
        if (!isUuid(req.params.id) || !(await deleteWebhook(db, req.params.id))) {
          throw notFound('Webhook', req.params.id);
        }
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/webhooks/:id/deliveries',
      {
        schema: {
          tags,
          summary: 'Deliveries of a webhook, newest first, with their status and last answer',
          params: IdParams,
          querystring: WebhookDeliveriesQuery,
          response: { 200: z.array(WebhookDelivery), 404: errorResponses[404] },
        },
      },
      async (req) => {
        await find(req.params.id);
        const rows = await listDeliveries(db, {
          webhookId: req.params.id,
          ...(req.query.status ? { status: req.query.status } : {}),
          ...(req.query.limit ? { limit: req.query.limit } : {}),
        });
        return rows.map(toDelivery);
      },
    );

    app.post(
      '/api/webhooks/:id/deliveries/:deliveryId/redeliver',
      {
        schema: {
          tags,
          summary: 'Send a finished delivery again',
          params: DeliveryParams,
          response: { 200: WebhookDelivery, 404: errorResponses[404], 409: errorResponses[409] },
        },
      },
      async (req) => {
        const { id, deliveryId } = req.params;
        const found = isUuid(id) && isUuid(deliveryId) ? await getDelivery(db, deliveryId) : undefined;
        if (!found || found.webhook.id !== id) throw notFound('Delivery', deliveryId);
        if (!services.enqueueDelivery) throw conflict('Deliveries cannot be sent from this process');
        const row = await resetDelivery(db, deliveryId);
        if (!row) throw conflict('This delivery is still being sent', { status: found.delivery.status });
        await services.enqueueDelivery(deliveryId);
        return toDelivery(row);
      },
    );
  };
  return plugin as RoutePlugin;
}
