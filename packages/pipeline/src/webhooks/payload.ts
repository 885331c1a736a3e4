import { ERROR_TAXONOMY, ErrorCode } from '@framesmith/core';
import type { WebhookEventName, WebhookFormat } from '@framesmith/core/ops-schemas';

/**
 * What a webhook receives. The stored payload of every delivery is the Standard Webhooks envelope
 * `{type, timestamp, data}`; a Slack-format webhook gets `{text}` rendered from it at send time.
 * Data carries ids, codes and public messages only: no internal URLs, paths or technical detail.
 */

export interface SegmentFailedData {
  segmentId: string;
  projectId: string;
  renderJobId: string | null;
  position: number | null;
  attempt: number;
  code: string;
  title: string;
  message: string;
  retryable: boolean;
  backend: string | null;
}

export interface RenderFinishedData {
  renderJobId: string;
  projectId: string;
  projectName: string | null;
  status: 'completed' | 'failed';
  segments: number;
  durationMs: number | null;
  /** API path of the final video (completed) — relative, so no host is revealed. */
  outputPath: string | null;
  code: string | null;
  message: string | null;
}

export interface BackendChangedData {
  backend: string;
  status: string;
  lastError: string | null;
}

export interface PersistentErrorData {
  code: string;
  title: string;
  count: number;
  threshold: number;
  windowMinutes: number;
  lastAt: string;
}

export interface WebhookEventDataMap {
  'segment.failed': SegmentFailedData;
  'render.completed': RenderFinishedData;
  'render.failed': RenderFinishedData;
  'backend.down': BackendChangedData;
  'backend.up': BackendChangedData;
  'error.persistent': PersistentErrorData;
}

export interface WebhookEnvelope<E extends WebhookEventName = WebhookEventName> {
  type: E;
  timestamp: string;
  data: WebhookEventDataMap[E];
}

export function envelope<E extends WebhookEventName>(
  type: E,
  data: WebhookEventDataMap[E],
  at: Date = new Date(),
): WebhookEnvelope<E> {
  return { type, timestamp: at.toISOString(), data };
}

const short = (id: string) => id.slice(0, 8);

function codeTitle(code: string): string {
  const parsed = ErrorCode.safeParse(code);
  return parsed.success ? ERROR_TAXONOMY[parsed.data].title : code;
}

/** One line a person reads in Slack (or any chat that takes `{text}`). */
export function slackText(event: WebhookEnvelope): string {
  switch (event.type) {
    case 'segment.failed': {
      const d = event.data as SegmentFailedData;
      const where = d.position === null ? `Segment ${short(d.segmentId)}` : `Segment #${d.position + 1}`;
      const next = d.retryable ? 'It may be retried.' : 'It will not be retried automatically.';
      return `:x: ${where} of project ${short(d.projectId)} failed (attempt ${d.attempt}): ${d.title} — ${d.message} [${d.code}] ${next}`;
    }
    case 'render.completed': {
      const d = event.data as RenderFinishedData;
      const secs = d.durationMs === null ? '' : ` in ${(d.durationMs / 1000).toFixed(1)} s`;
      return `:white_check_mark: Render ${short(d.renderJobId)} of ${d.projectName ?? `project ${short(d.projectId)}`} completed${secs} (${d.segments} segments).`;
    }
    case 'render.failed': {
      const d = event.data as RenderFinishedData;
      const why = d.code ? `${codeTitle(d.code)} [${d.code}]` : (d.message ?? 'unknown reason');
      return `:x: Render ${short(d.renderJobId)} of ${d.projectName ?? `project ${short(d.projectId)}`} failed: ${why}`;
    }
    case 'backend.down': {
      const d = event.data as BackendChangedData;
      return `:red_circle: ComfyUI backend "${d.backend}" is down (${d.status})${d.lastError ? `: ${d.lastError}` : ''}.`;
    }
    case 'backend.up': {
      const d = event.data as BackendChangedData;
      return `:large_green_circle: ComfyUI backend "${d.backend}" is back up.`;
    }
    case 'error.persistent': {
      const d = event.data as PersistentErrorData;
      return `:warning: ${d.title} [${d.code}] happened ${d.count} times in the last ${d.windowMinutes} minutes.`;
    }
  }
}

/** The exact body sent for a delivery, in the webhook's format. */
export function renderBody(event: WebhookEnvelope, format: WebhookFormat | string): string {
  if (format === 'slack') return JSON.stringify({ text: slackText(event) });
  // Fixed key order (the stored jsonb does not keep it).
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
}

export { codeTitle };
