import type { Segment } from '@framesmith/core/api-schemas';
import { BanIcon, ClockIcon, ErrorIcon, SpinnerIcon } from '../../../components/icons.tsx';
import { formatPercent } from '../../../lib/format.ts';

/**
 * The 16:9 box on the left of a card: the clip (first frame as poster, plays inline) when done,
 * otherwise a placeholder for the state. Fixed size, so nothing moves when it changes.
 */
export function SegmentMedia({ segment, label }: { segment: Segment; label: string }) {
  if (segment.status === 'completed' && segment.output) {
    return (
      <div className="segment-media">
        {/* biome-ignore lint/a11y/useMediaCaption: generated clips have no speech to caption */}
        <video
          className="segment-media__video"
          src={`${segment.output.url}#t=0.001`}
          controls
          playsInline
          preload="metadata"
          aria-label={`Clip of ${label}`}
        />
      </div>
    );
  }
  const placeholder = {
    pending: { icon: null, text: 'Not generated' },
    queued: { icon: <ClockIcon width={24} height={24} />, text: '' },
    generating: { icon: <SpinnerIcon width={24} height={24} />, text: formatPercent(segment.progress) },
    completed: { icon: null, text: 'No clip' },
    failed: { icon: <ErrorIcon width={24} height={24} />, text: '' },
    cancelled: { icon: <BanIcon width={24} height={24} />, text: '' },
  }[segment.status];
  return (
    <div className={`segment-media segment-media--${segment.status}`} aria-hidden="true">
      {placeholder.icon}
      {placeholder.text ? <span>{placeholder.text}</span> : null}
    </div>
  );
}
