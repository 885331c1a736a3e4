import type { Segment, Workflow } from '@framesmith/core/api-schemas';
import { useState } from 'react';
import { createSegmentInput, useCreateSegment } from '../api/create-segment.ts';
import { SegmentForm } from './segment-form.tsx';
import { newSegmentValues, toCreateBody } from './segment-form-values.ts';
import { useSegmentSubmit } from './use-segment-submit.ts';

interface Props {
  projectId: string;
  last: Segment | undefined;
  workflows: readonly Workflow[];
  defaultWorkflowId: string;
}

/** The form at the end of the timeline. After adding, it stays open with the same settings and an empty prompt. */
export function AddSegment({ projectId, last, workflows, defaultWorkflowId }: Props) {
  const [open, setOpen] = useState(last === undefined);
  const [added, setAdded] = useState({ prompt: '', count: 0 });
  const create = useCreateSegment(projectId);
  const { errors, setErrors, submit } = useSegmentSubmit();

  if (!open) {
    return (
      <button
        type="button"
        className="button button--primary add-segment__open"
        onClick={() => setOpen(true)}
      >
        Add segment
      </button>
    );
  }
  return (
    <section className="add-segment" aria-labelledby="add-segment-title">
      <h2 id="add-segment-title" className="add-segment__title">
        New segment
      </h2>
      <SegmentForm
        label="New segment"
        initial={newSegmentValues(last, defaultWorkflowId)}
        workflows={workflows}
        submitLabel="Add to timeline"
        submitting={create.isPending}
        added={added}
        errors={errors}
        onCancel={
          last
            ? () => {
                setErrors({});
                setOpen(false);
              }
            : undefined
        }
        onSubmit={(values) =>
          submit(
            createSegmentInput,
            toCreateBody(values),
            (body, handlers) => create.mutate(body as ReturnType<typeof toCreateBody>, handlers),
            () => setAdded((a) => ({ prompt: values.prompt, count: a.count + 1 })),
          )
        }
      />
    </section>
  );
}
