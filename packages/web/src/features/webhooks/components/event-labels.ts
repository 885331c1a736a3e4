import type { WebhookEventName } from '@framesmith/core/ops-schemas';

/** What each event means, in the words the form and the list use. */
export const EVENT_LABELS: Record<WebhookEventName, { label: string; hint: string }> = {
  'segment.failed': {
    label: 'Segment failed',
    hint: 'after its automatic retries, or at once for a permanent error',
  },
  'render.completed': { label: 'Render completed', hint: 'the final video is ready' },
  'render.failed': { label: 'Render failed', hint: 'a segment could not be made, or stitching failed' },
  'backend.down': { label: 'GPU backend down', hint: 'a ComfyUI server stopped answering health checks' },
  'backend.up': { label: 'GPU backend back up', hint: 'after it was announced down' },
  'error.persistent': {
    label: 'Persistent error',
    hint: 'one error code keeps happening (by default 5 times within 10 minutes)',
  },
};

export const FORMAT_LABELS: Record<string, string> = {
  standard: 'Standard Webhooks JSON',
  slack: 'Slack message',
};
