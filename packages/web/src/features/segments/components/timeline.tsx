import {
  type Announcements,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  closestCenter,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import {
  SortableContext,
  arrayMove,
  sortableKeyboardCoordinates,
  verticalListSortingStrategy,
} from '@dnd-kit/sortable';
import type { Segment, Workflow } from '@framesmith/core/api-schemas';
import { useCallback, useMemo, useRef } from 'react';
import { isApiError } from '../../../lib/api-client.ts';
import { useReorderSegments } from '../api/reorder-segments.ts';
import { SortableSegmentCard } from './sortable-segment-card.tsx';
import { StatusAnnouncer } from './status-announcer.tsx';

interface TimelineProps {
  projectId: string;
  segments: readonly Segment[];
  workflows: readonly Workflow[];
}

/** The segments in order, reordered by drag and drop or by keyboard, each with its live status. */
export function Timeline({ projectId, segments, workflows }: TimelineProps) {
  const reorder = useReorderSegments(projectId);
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  // Stable while the order is: a progress event for one card re-renders that card only.
  const idsKey = segments.map((s) => s.id).join(',');
  const ids = useMemo(() => (idsKey ? idsKey.split(',') : []), [idsKey]);
  const idsRef = useRef(ids);
  idsRef.current = ids;
  const positionOf = (id: string | number) => ids.indexOf(String(id)) + 1;

  const { mutate } = reorder;
  const move = useCallback(
    (id: string, toIndex: number) => {
      const current = idsRef.current;
      const from = current.indexOf(id);
      if (from === -1 || toIndex < 0 || toIndex >= current.length || toIndex === from) return;
      mutate(arrayMove(current, from, toIndex));
    },
    [mutate],
  );

  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    move(String(active.id), ids.indexOf(String(over.id)));
  };

  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up segment ${positionOf(active.id)}.`,
    onDragOver: ({ active, over }) =>
      over
        ? `Segment ${positionOf(active.id)} is over position ${positionOf(over.id)}.`
        : 'Not over a position.',
    onDragEnd: ({ active, over }) =>
      over
        ? `Segment ${positionOf(active.id)} was moved to position ${positionOf(over.id)}.`
        : `Segment ${positionOf(active.id)} was dropped.`,
    onDragCancel: ({ active }) => `Moving segment ${positionOf(active.id)} was cancelled.`,
  };

  if (segments.length === 0) {
    return <p className="empty">No segments yet. Describe the first shot below.</p>;
  }
  return (
    <>
      {reorder.error ? (
        <p className="form-error" role="alert">
          The new order was not saved: {isApiError(reorder.error) ? reorder.error.message : 'try again'}.
        </p>
      ) : null}
      <DndContext
        sensors={sensors}
        collisionDetection={closestCenter}
        onDragEnd={onDragEnd}
        accessibility={{
          announcements,
          screenReaderInstructions: {
            draggable:
              'To move a segment, press Space or Enter to pick it up, the up and down arrows to move it, and Space or Enter again to drop it. Escape cancels.',
          },
        }}
      >
        <SortableContext items={ids} strategy={verticalListSortingStrategy}>
          <ol className="timeline" aria-label="Timeline">
            {segments.map((segment, index) => (
              <SortableSegmentCard
                key={segment.id}
                segment={segment}
                index={index}
                total={segments.length}
                workflows={workflows}
                onMove={move}
              />
            ))}
          </ol>
        </SortableContext>
      </DndContext>
      <StatusAnnouncer segments={segments} />
    </>
  );
}
