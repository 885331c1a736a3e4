import type { Segment } from '@framesmith/core/api-schemas';
import { useEffect, useRef, useState } from 'react';

/**
 * One polite live region for the whole timeline: says when a segment finishes, fails or is retried,
 * instead of every card shouting on its own.
 */
export function StatusAnnouncer({ segments }: { segments: readonly Segment[] }) {
  const previous = useRef(new Map<string, Segment['status']>());
  const [message, setMessage] = useState('');

  useEffect(() => {
    const news: string[] = [];
    segments.forEach((s, i) => {
      const before = previous.current.get(s.id);
      if (before !== undefined && before !== s.status) {
        if (s.status === 'completed') news.push(`Segment ${i + 1} is done.`);
        else if (s.status === 'failed')
          news.push(`Segment ${i + 1} failed: ${s.error?.title ?? 'generation failed'}.`);
        else if (s.status === 'cancelled') news.push(`Segment ${i + 1} was cancelled.`);
      }
    });
    previous.current = new Map(segments.map((s) => [s.id, s.status]));
    if (news.length > 0)
      setMessage(news.slice(0, 3).join(' ') + (news.length > 3 ? ` And ${news.length - 3} more.` : ''));
  }, [segments]);

  return (
    <p className="sr-only" aria-live="polite">
      {message}
    </p>
  );
}
