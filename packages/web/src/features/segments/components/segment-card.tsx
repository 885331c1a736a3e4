import type { Segment, Workflow } from '@framesmith/core/api-schemas';
import { type CSSProperties, type ReactNode, useState } from 'react';
import { ConfirmDialog } from '../../../components/confirm-dialog.tsx';
import { ErrorCard } from '../../../components/error-card.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { useCancelSegment } from '../api/cancel-segment.ts';
import { useCreateSegment } from '../api/create-segment.ts';
import { useDeleteSegment } from '../api/delete-segment.ts';
import { useRetrySegment } from '../api/retry-segment.ts';
import { updateSegmentInput, useUpdateSegment } from '../api/update-segment.ts';
import { SegmentForm } from './segment-form.tsx';
import { duplicateBody, toUpdateBody, valuesOf } from './segment-form-values.ts';
import { SegmentMedia } from './segment-media.tsx';
import { SegmentStatusLine } from './segment-status.tsx';
import { useSegmentSubmit } from './use-segment-submit.ts';

export interface SegmentCardProps {
  segment: Segment;
  /** 0-based place in the timeline. */
  index: number;
  total: number;
  workflows: readonly Workflow[];
  onMove?: (segmentId: string, toIndex: number) => void;
  /** The drag handle from the sortable wrapper (absent in a static list). */
  dragHandle?: ReactNode;
  style?: CSSProperties;
  refCallback?: (node: HTMLElement | null) => void;
  dragging?: boolean;
}

/** One segment of the timeline: what it is, where it stands (live), and what can be done with it. */
export function SegmentCard({
  segment,
  index,
  total,
  workflows,
  onMove,
  dragHandle,
  style,
  refCallback,
  dragging,
}: SegmentCardProps) {
  const label = `segment ${index + 1}`;
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const update = useUpdateSegment();
  const duplicate = useCreateSegment(segment.projectId);
  const remove = useDeleteSegment(segment.projectId);
  const retry = useRetrySegment(segment.projectId);
  const cancel = useCancelSegment();
  const { errors, setErrors, submit } = useSegmentSubmit();

  const workflow = workflows.find((w) => w.id === segment.workflowId);
  const p = segment.params;
  // Retrying lasts from the click until the segment changes (queued again, by the answer or the event).
  const [retriedVersion, setRetriedVersion] = useState<string | null>(null);
  const retrying = retry.isPending || (!retry.isError && retriedVersion === segment.updatedAt);
  const active = segment.status === 'queued' || segment.status === 'generating';
  const actionError = [duplicate.error, cancel.error].find(Boolean);

  return (
    <li
      ref={refCallback}
      style={style}
      className={`segment-card segment-card--${segment.status} ${dragging ? 'is-dragging' : ''}`}
      aria-label={`Segment ${index + 1} of ${total}`}
      data-segment-id={segment.id}
      data-status={segment.status}
    >
      <div className="segment-card__row">
        <div className="segment-card__handle-col">
          <span className="segment-card__index" aria-hidden="true">
            {index + 1}
          </span>
          {dragHandle}
          <button
            type="button"
            className="button button--small button--icon button--move"
            onClick={() => onMove?.(segment.id, index - 1)}
            disabled={!onMove || index === 0}
            aria-label={`Move segment ${index + 1} up`}
          >
            ↑
          </button>
          <button
            type="button"
            className="button button--small button--icon button--move"
            onClick={() => onMove?.(segment.id, index + 1)}
            disabled={!onMove || index === total - 1}
            aria-label={`Move segment ${index + 1} down`}
          >
            ↓
          </button>
        </div>
        <SegmentMedia segment={segment} label={label} />
        <div className="segment-card__body">
          {editing ? (
            <SegmentForm
              label={`Edit segment ${index + 1}`}
              initial={valuesOf(segment)}
              workflows={workflows}
              hasInlineWorkflow={segment.inlineWorkflow}
              submitLabel="Save changes"
              submitting={update.isPending}
              errors={errors}
              onCancel={() => {
                setErrors({});
                setEditing(false);
              }}
              onSubmit={(values) => {
                const body = toUpdateBody(values, segment);
                if (Object.keys(body).length === 0) {
                  setEditing(false);
                  return;
                }
                submit(
                  updateSegmentInput,
                  body,
                  (b, handlers) => update.mutate({ id: segment.id, body: b as typeof body }, handlers),
                  () => setEditing(false),
                );
              }}
            />
          ) : (
            <>
              <p className="segment-card__prompt">{segment.prompt}</p>
              <p className="segment-card__meta">
                <span>
                  {p.width ?? '–'} × {p.height ?? '–'}
                </span>
                <span>
                  {p.frames ?? '–'} frames at {p.fps ?? '–'} fps
                </span>
                <span>{p.seed === undefined ? 'random seed' : `seed ${p.seed}`}</span>
                <span>
                  {segment.inlineWorkflow ? 'own workflow' : (workflow?.name ?? 'default workflow')}
                </span>
              </p>
              <SegmentStatusLine
                segment={segment}
                label={label}
                action={
                  active ? (
                    <button
                      type="button"
                      className="button button--small"
                      onClick={() => cancel.mutate(segment.id)}
                      disabled={cancel.isPending}
                      aria-label={`Cancel segment ${index + 1}`}
                    >
                      {cancel.isPending ? 'Cancelling…' : 'Cancel'}
                    </button>
                  ) : null
                }
              />
            </>
          )}
        </div>
        <div className="segment-card__actions">
          <button
            type="button"
            className="button button--small"
            onClick={() => setEditing((e) => !e)}
            aria-expanded={editing}
            aria-label={`Edit segment ${index + 1}`}
          >
            Edit
          </button>
          <button
            type="button"
            className="button button--small"
            onClick={() => duplicate.mutate(duplicateBody(segment))}
            disabled={duplicate.isPending}
            aria-label={`Duplicate segment ${index + 1}`}
          >
            Duplicate
          </button>
          <button
            type="button"
            className="button button--small button--danger-outline"
            onClick={() => {
              remove.reset();
              setConfirmDelete(true);
            }}
            aria-label={`Delete segment ${index + 1}`}
          >
            Delete
          </button>
        </div>
      </div>
      {actionError ? (
        <p className="form-error segment-card__action-error" role="alert">
          {isApiError(actionError) ? actionError.message : 'That did not work. Try again.'}
        </p>
      ) : null}
      {segment.status === 'failed' && segment.error ? (
        <ErrorCard
          error={segment.error}
          onRetry={() => {
            setRetriedVersion(segment.updatedAt);
            retry.mutate(segment.id);
          }}
          retrying={retrying}
          retryError={
            retry.error ? (isApiError(retry.error) ? retry.error.message : 'Retry did not work.') : null
          }
          workflowHref={workflowHref(segment)}
          onEditSettings={() => setEditing(true)}
        />
      ) : null}
      {confirmDelete ? (
        <ConfirmDialog
          title={`Delete segment ${index + 1}?`}
          confirmLabel="Delete segment"
          busy={remove.isPending}
          error={
            remove.error ? (isApiError(remove.error) ? remove.error.message : 'Could not delete.') : null
          }
          onCancel={() => setConfirmDelete(false)}
          onConfirm={() => remove.mutate(segment.id, { onSuccess: () => setConfirmDelete(false) })}
        >
          <p>“{segment.prompt}” and its clip will be removed from the timeline.</p>
        </ConfirmDialog>
      ) : null}
    </li>
  );
}

/** The workflow's settings page, at the node the error names when it names one. */
function workflowHref(segment: Segment): string | null {
  if (!segment.workflowId) return null;
  const nodeId = segment.error?.technical.nodeId;
  return `/workflows/${segment.workflowId}${typeof nodeId === 'string' && nodeId ? `#node-${encodeURIComponent(nodeId)}` : ''}`;
}
