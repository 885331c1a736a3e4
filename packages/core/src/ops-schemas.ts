import { z } from 'zod';

/**
 * The operator-facing API contract: health, error analytics, webhooks and run-time backends.
 * Shared by the server (route schemas, OpenAPI) and the web UI (forms, parsing).
 */

// ---- Health ----

export const ComponentStatus = z.enum(['healthy', 'degraded', 'unhealthy', 'unavailable']);
export type ComponentStatus = z.infer<typeof ComponentStatus>;

export const BackendHealthStatus = z.enum(['healthy', 'unhealthy', 'unreachable', 'timeout', 'unknown']);
export type BackendHealthStatus = z.infer<typeof BackendHealthStatus>;

export const CircuitState = z.enum(['closed', 'open', 'halfOpen']);
export type CircuitState = z.infer<typeof CircuitState>;

/** One ComfyUI server as health reports it: its name only, never its address. */
export const BackendHealth = z.object({
  name: z.string(),
  status: BackendHealthStatus,
  enabled: z.boolean(),
  draining: z.boolean(),
  latencyMs: z.number().nullable(),
  version: z.string().nullable(),
  queueRemaining: z.number().nullable(),
  devices: z.array(z.object({ name: z.string(), vramTotal: z.number(), vramFree: z.number() })),
  circuit: CircuitState,
  inFlight: z.number(),
  lastCheckedAt: z.string().nullable(),
  lastError: z.string().nullable(),
});
export type BackendHealth = z.infer<typeof BackendHealth>;

export const ComfyHealth = z.object({
  status: ComponentStatus,
  simulated: z.boolean().optional(),
  backends: z.array(BackendHealth),
});
export type ComfyHealth = z.infer<typeof ComfyHealth>;

export const ComponentHealth = z.object({
  status: ComponentStatus,
  message: z.string().optional(),
  latencyMs: z.number().nullable().optional(),
  checkedAt: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ComponentHealth = z.infer<typeof ComponentHealth>;

export const SystemHealth = z.object({
  status: ComponentStatus,
  checkedAt: z.string().nullable(),
  components: z.object({
    database: ComponentHealth,
    queue: ComponentHealth,
    comfyui: ComponentHealth.extend({ backends: z.array(BackendHealth) }),
    storage: ComponentHealth,
    ffmpeg: ComponentHealth,
  }),
});
export type SystemHealth = z.infer<typeof SystemHealth>;

export const ReadyHealth = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: z.boolean(),
    migrations: z.boolean(),
  }),
  message: z.string().optional(),
});
export type ReadyHealth = z.infer<typeof ReadyHealth>;

// ---- Error analytics ----

const isoDate = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be an ISO 8601 date-time' });

export const ErrorAnalyticsQuery = z.strictObject({
  since: isoDate.optional(),
  until: isoDate.optional(),
  projectId: z.uuid({ message: 'must be a UUID' }).optional(),
  bucketSeconds: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86400)
    .optional(),
});
export type ErrorAnalyticsQuery = z.infer<typeof ErrorAnalyticsQuery>;

export const ErrorAnalytics = z.object({
  since: z.string(),
  until: z.string(),
  bucketSeconds: z.number(),
  totals: z.object({
    attempts: z.number(),
    succeeded: z.number(),
    failed: z.number(),
    cancelled: z.number(),
    running: z.number(),
  }),
  failuresByCode: z.array(
    z.object({ code: z.string(), title: z.string(), retryable: z.boolean().nullable(), count: z.number() }),
  ),
  buckets: z.array(
    z.object({ start: z.string(), failures: z.number(), byCode: z.record(z.string(), z.number()) }),
  ),
  retry: z.object({
    attempts: z.number(),
    succeeded: z.number(),
    successRate: z.number().nullable(),
    segmentsRetried: z.number(),
    segmentsRecovered: z.number(),
  }),
  meanTimeToFailureMs: z.number().nullable(),
  meanTimeToSuccessMs: z.number().nullable(),
  topWorkflows: z.array(
    z.object({
      workflowId: z.string().nullable(),
      name: z.string(),
      failures: z.number(),
      attempts: z.number(),
      failureRate: z.number(),
    }),
  ),
  topBackends: z.array(
    z.object({ backend: z.string(), failures: z.number(), attempts: z.number(), failureRate: z.number() }),
  ),
});
export type ErrorAnalytics = z.infer<typeof ErrorAnalytics>;

// ---- Webhooks ----

export const WebhookEventName = z.enum([
  'segment.failed',
  'render.completed',
  'render.failed',
  'backend.down',
  'backend.up',
  'error.persistent',
]);
export type WebhookEventName = z.infer<typeof WebhookEventName>;
export const WEBHOOK_EVENTS: readonly WebhookEventName[] = WebhookEventName.options;

/** `standard`: the Standard Webhooks JSON envelope; `slack`: `{text}` for a Slack incoming webhook. */
export const WebhookFormat = z.enum(['standard', 'slack']);
export type WebhookFormat = z.infer<typeof WebhookFormat>;

const webhookUrl = z
  .string()
  .trim()
  .max(2000)
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    },
    { message: 'must be an http(s) URL' },
  );

const webhookSecret = z.string().regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, {
  message: 'must be "whsec_" followed by 24 to 64 bytes in base64 (leave it out to have one generated)',
});

const events = z
  .array(WebhookEventName)
  .min(1, { message: 'must name at least one event' })
  .refine((a) => new Set(a).size === a.length, { message: 'must not repeat an event' });

export const CreateWebhookBody = z.strictObject({
  url: webhookUrl,
  events,
  secret: webhookSecret.optional(),
  format: WebhookFormat.optional(),
  enabled: z.boolean().optional(),
  description: z.string().max(500).optional(),
});
export type CreateWebhookBody = z.infer<typeof CreateWebhookBody>;

export const UpdateWebhookBody = z.strictObject({
  url: webhookUrl.optional(),
  events: events.optional(),
  format: WebhookFormat.optional(),
  enabled: z.boolean().optional(),
  description: z.string().max(500).optional(),
  /** true: replace the secret with a new generated one (returned once in the response). */
  rotateSecret: z.boolean().optional(),
});
export type UpdateWebhookBody = z.infer<typeof UpdateWebhookBody>;

export const Webhook = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  format: z.string(),
  enabled: z.boolean(),
  description: z.string(),
  /** The secret in full only in the response that created or rotated it; otherwise masked. */
  secret: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Webhook = z.infer<typeof Webhook>;

export const WebhookDeliveryStatus = z.enum(['pending', 'delivered', 'failed']);

export const WebhookDelivery = z.object({
  id: z.string(),
  webhookId: z.string(),
  event: z.string(),
  status: WebhookDeliveryStatus,
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  payload: z.unknown(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveriesQuery = z.strictObject({
  status: WebhookDeliveryStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

// ---- Backends at run time ----

const backendName = z
  .string()
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: 'may use letters, digits, dot, dash and underscore, starting with a letter or digit',
  });

/** A ComfyUI address: http(s), and no user:password (the client does not send them; use a private network). */
const backendUrl = webhookUrl.refine(
  (v) => {
    try {
      const u = new URL(v);
      return u.username === '' && u.password === '';
    } catch {
      return true;
    }
  },
  { message: 'must not contain a user name or password' },
);

export const CreateBackendBody = z.strictObject({
  name: backendName,
  url: backendUrl,
  enabled: z.boolean().optional(),
});
export type CreateBackendBody = z.infer<typeof CreateBackendBody>;

export const UpdateBackendBody = z
  .strictObject({
    url: backendUrl.optional(),
    enabled: z.boolean().optional(),
    /** true: take no new jobs and let running ones finish; false: take jobs again. */
    draining: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of url, enabled, draining' });
export type UpdateBackendBody = z.infer<typeof UpdateBackendBody>;

export const Backend = BackendHealth.extend({
  id: z.string(),
  /** The server's address with any credentials masked. */
  url: z.string(),
  source: z.enum(['env', 'api']),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Backend = z.infer<typeof Backend>;
