import type { Segment } from '@framesmith/core/api-schemas';
import type { SegmentStatus } from '@framesmith/core/status';
import { type ReactNode, useEffect, useState } from 'react';
import {
  BanIcon,
  CheckIcon,
  ClockIcon,
  DotIcon,
  ErrorIcon,
  SpinnerIcon,
} from '../../../components/icons.tsx';
import {
  formatClock,
  formatCountdown,
  formatPercent,
  formatSeconds,
  toFraction,
} from '../../../lib/format.ts';

export const STATUS_LABEL: Record<SegmentStatus, string> = {
  pending: 'Pending',
  queued: 'Queued',
  generating: 'Generating',
  completed: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const STATUS_ICON: Record<SegmentStatus, typeof DotIcon> = {
  pending: DotIcon,
  queued: ClockIcon,
  generating: SpinnerIcon,
  completed: CheckIcon,
  failed: ErrorIcon,
  cancelled: BanIcon,
};

export function StatusBadge({ status }: { status: SegmentStatus }) {
  const Icon = STATUS_ICON[status];
  return (
    <span className={`status-badge status-badge--${status}`}>
      <Icon />
      {STATUS_LABEL[status]}
    </span>
  );
}

/** Step detail, when the event stream carries it (`step`/`steps`, or `progressDetail {value, max}`). */
export function stepOf(segment: Segment): { value: number; max: number } | null {
  const s = segment as Segment & {
    step?: unknown;
    steps?: unknown;
    progressDetail?: { value?: unknown; max?: unknown } | null;
  };
  if (typeof s.step === 'number' && typeof s.steps === 'number' && s.steps > 0)
    return { value: s.step, max: s.steps };
  const d = s.progressDetail;
  if (d && typeof d.value === 'number' && typeof d.max === 'number' && d.max > 0)
    return { value: d.value, max: d.max };
  return null;
}

/** Ticks once a second only while a countdown is on screen (display, not polling). */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

/**
 * One line (two at most) under the prompt saying where the segment is. Its height is reserved in
 * CSS, so a change of state never moves the cards below.
 */
export function SegmentStatusLine({
  segment,
  label,
  action,
}: {
  segment: Segment;
  label: string;
  /** Shown at the end of the line while the segment is queued or generating (Cancel). */
  action?: ReactNode;
}) {
  const waiting =
    segment.status === 'queued' &&
    segment.nextAttemptAt !== null &&
    Date.parse(segment.nextAttemptAt) > Date.now();
  const now = useNow(waiting);

  switch (segment.status) {
    case 'pending':
      return (
        <div className="segment-status">
          <StatusBadge status="pending" />
          <span className="segment-status__text">Not generated yet: it generates on the next render.</span>
        </div>
      );
    case 'queued': {
      const retrying = segment.attempt > 1 || segment.error !== null;
      return (
        <div className="segment-status">
          <StatusBadge status="queued" />
          <span className="segment-status__text">
            {retrying ? `Attempt ${segment.attempt} of ${segment.maxAttempts}` : 'Waiting for a GPU'}
            {segment.nextAttemptAt && waiting
              ? ` · next try at ${formatClock(segment.nextAttemptAt)} (${formatCountdown(segment.nextAttemptAt, now)})`
              : segment.queuePosition !== null
                ? ` · position ${segment.queuePosition} in line`
                : ''}
          </span>
          {action}
          {segment.error ? (
            <span className="segment-status__last-error">
              Last try: {segment.error.title} (<code>{segment.error.code}</code>)
            </span>
          ) : null}
        </div>
      );
    }
    case 'generating': {
      const step = stepOf(segment);
      return (
        <div className="segment-status">
          <StatusBadge status="generating" />
          <progress
            className="progress"
            max={1}
            value={toFraction(segment.progress)}
            aria-label={`Generating ${label}`}
            aria-valuetext={formatPercent(segment.progress)}
          />
          <span className="segment-status__text">
            {formatPercent(segment.progress)}
            {step ? ` · step ${step.value} of ${step.max}` : ''}
            {segment.backend ? ` · on ${segment.backend}` : ''}
            {segment.attempt > 1 ? ` · attempt ${segment.attempt} of ${segment.maxAttempts}` : ''}
          </span>
          {action}
        </div>
      );
    }
    case 'completed':
      return (
        <div className="segment-status">
          <StatusBadge status="completed" />
          <span className="segment-status__text">
            Clip ready
            {segment.output?.durationSeconds ? ` · ${formatSeconds(segment.output.durationSeconds)}` : ''}
            {segment.backend ? ` · made on ${segment.backend}` : ''}
          </span>
        </div>
      );
    case 'failed':
      return (
        <div className="segment-status">
          <StatusBadge status="failed" />
          <span className="segment-status__text">
            {segment.error ? segment.error.title : 'Generation failed'}
            {segment.attempt > 0 ? ` · after ${segment.attempt} of ${segment.maxAttempts} attempts` : ''}
          </span>
        </div>
      );
    case 'cancelled':
      return (
        <div className="segment-status">
          <StatusBadge status="cancelled" />
          <span className="segment-status__text">Cancelled: render again to generate it.</span>
        </div>
      );
  }
}
