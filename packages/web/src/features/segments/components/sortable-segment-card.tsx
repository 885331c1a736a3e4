import { useSortable } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { memo } from 'react';
import { GripIcon } from '../../../components/icons.tsx';
import { SegmentCard, type SegmentCardProps } from './segment-card.tsx';

/**
 * A card that can be dragged by its handle, with the mouse or the keyboard (Space, arrows, Space).
 * Memoized: a live event replaces one segment object, and only its card renders again.
 */
export const SortableSegmentCard = memo(function SortableSegmentCard(
  props: Omit<SegmentCardProps, 'dragHandle' | 'style' | 'refCallback'>,
) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } =
    useSortable({
      id: props.segment.id,
    });
  return (
    <SegmentCard
      {...props}
      refCallback={setNodeRef}
      dragging={isDragging}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      dragHandle={
        <button
          type="button"
          ref={setActivatorNodeRef}
          className="drag-handle"
          {...attributes}
          {...listeners}
          aria-label={`Reorder segment ${props.index + 1}`}
        >
          <GripIcon width={18} height={18} />
        </button>
      }
    />
  );
});
