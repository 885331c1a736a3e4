import { LIMITS } from '@framesmith/core/api-schemas';
import type { Workflow } from '@framesmith/core/api-schemas';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Field } from '../../../components/field.tsx';
import type { FieldErrors } from '../../../lib/validation.ts';
import { formatSeconds } from '../../../lib/format.ts';
import { INLINE_WORKFLOW, type SegmentFormValues, randomSeed } from './segment-form-values.ts';
import { SIZE_PRESETS, presetFor } from './size-presets.ts';

interface SegmentFormProps {
  initial: SegmentFormValues;
  workflows: readonly Workflow[];
  /** Whether the segment carries its own graph (sent with it through the API). */
  hasInlineWorkflow?: boolean;
  submitLabel: string;
  submitting: boolean;
  /** Problems by field path (`params.width`), from the schema run here or from the API; `_form` for the rest. */
  errors: FieldErrors;
  onSubmit: (values: SegmentFormValues) => void;
  onCancel?: () => void;
  /** The form's accessible name: "New segment", "Edit segment 3". */
  label: string;
  /**
   * After an add succeeds: empty the prompt for the next segment (the other settings stay), unless
   * the user has already typed another one, and put the cursor there.
   */
  added?: { prompt: string; count: number };
}

/** Prompt, negative prompt, workflow, size, length, fps and seed, with each problem beside its field. */
export function SegmentForm({
  initial,
  workflows,
  hasInlineWorkflow,
  submitLabel,
  submitting,
  errors,
  onSubmit,
  onCancel,
  label,
  added,
}: SegmentFormProps) {
  const [v, setV] = useState<SegmentFormValues>(initial);
  const set = <K extends keyof SegmentFormValues>(key: K, value: SegmentFormValues[K]) =>
    setV((old) => ({ ...old, [key]: value }));
  const preset = presetFor(Number(v.width), Number(v.height));
  const seconds = Number(v.frames) / Number(v.fps);
  const seedGroup = useId();
  const categories = [...new Set(workflows.map((w) => w.category))].sort();
  const formRef = useRef<HTMLFormElement>(null);

  const addedCount = added?.count ?? 0;
  const addedPrompt = added?.prompt;
  useEffect(() => {
    if (addedCount === 0) return;
    setV((old) => (old.prompt === addedPrompt ? { ...old, prompt: '' } : old));
    formRef.current?.querySelector<HTMLTextAreaElement>('textarea')?.focus();
  }, [addedCount, addedPrompt]);

  // After a refused submit, take the keyboard to the first field that needs a change.
  useEffect(() => {
    if (Object.keys(errors).length === 0) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit(v);
  };

  return (
    <form
      ref={formRef}
      className="segment-form"
      onSubmit={submit}
      noValidate
      aria-label={label}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && onCancel) {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <Field label="Prompt" error={errors.prompt} className="segment-form__prompt">
        {(p) => (
          <textarea
            {...p}
            className="input"
            rows={3}
            value={v.prompt}
            maxLength={LIMITS.promptMax + 100}
            onChange={(e) => set('prompt', e.target.value)}
            placeholder="A red fox running through fresh snow at dawn"
          />
        )}
      </Field>
      <Field
        label="Negative prompt"
        error={errors.negativePrompt}
        hint="What to keep out of the clip (optional)."
      >
        {(p) => (
          <textarea
            {...p}
            className="input"
            rows={2}
            value={v.negativePrompt}
            onChange={(e) => set('negativePrompt', e.target.value)}
          />
        )}
      </Field>
      <div className="segment-form__grid">
        <Field label="Workflow" error={errors.workflowId ?? errors.workflow}>
          {(p) => (
            <select
              {...p}
              className="input"
              value={v.workflowId}
              onChange={(e) => set('workflowId', e.target.value)}
            >
              {hasInlineWorkflow ? (
                <option value={INLINE_WORKFLOW}>Own workflow (sent with this segment)</option>
              ) : null}
              {v.workflowId === '' ? <option value="">Choose a workflow…</option> : null}
              {categories.map((c) => (
                <optgroup key={c} label={c}>
                  {workflows
                    .filter((w) => w.category === c)
                    .map((w) => (
                      <option key={w.id} value={w.id}>
                        {w.name}
                      </option>
                    ))}
                </optgroup>
              ))}
            </select>
          )}
        </Field>
        <Field label="Size">
          {(p) => (
            <select
              {...p}
              className="input"
              value={preset}
              onChange={(e) => {
                const chosen = SIZE_PRESETS.find((s) => s.id === e.target.value);
                if (chosen)
                  setV((old) => ({ ...old, width: String(chosen.width), height: String(chosen.height) }));
              }}
            >
              {SIZE_PRESETS.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.label}
                </option>
              ))}
              <option value="custom">Custom</option>
            </select>
          )}
        </Field>
        <Field label="Width" error={errors['params.width']} className="field--narrow">
          {(p) => (
            <input
              {...p}
              className="input"
              inputMode="numeric"
              value={v.width}
              onChange={(e) => set('width', e.target.value)}
            />
          )}
        </Field>
        <Field label="Height" error={errors['params.height']} className="field--narrow">
          {(p) => (
            <input
              {...p}
              className="input"
              inputMode="numeric"
              value={v.height}
              onChange={(e) => set('height', e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Length (frames)"
          error={errors['params.frames']}
          className="field--narrow"
          hint={Number.isFinite(seconds) && seconds > 0 ? `${formatSeconds(seconds)} of video` : undefined}
        >
          {(p) => (
            <input
              {...p}
              className="input"
              inputMode="numeric"
              value={v.frames}
              onChange={(e) => set('frames', e.target.value)}
            />
          )}
        </Field>
        <Field label="Frames per second" error={errors['params.fps']} className="field--narrow">
          {(p) => (
            <input
              {...p}
              className="input"
              inputMode="numeric"
              value={v.fps}
              onChange={(e) => set('fps', e.target.value)}
            />
          )}
        </Field>
      </div>
      <fieldset className="segment-form__seed">
        <legend>Seed</legend>
        <div className="segment-form__seed-modes">
          <label className="radio">
            <input
              type="radio"
              name={seedGroup}
              checked={v.seedMode === 'random'}
              onChange={() => set('seedMode', 'random')}
            />
            Random
          </label>
          <label className="radio">
            <input
              type="radio"
              name={seedGroup}
              checked={v.seedMode === 'fixed'}
              onChange={() =>
                setV((old) => ({
                  ...old,
                  seedMode: 'fixed',
                  seed: old.seed === '' ? String(randomSeed()) : old.seed,
                }))
              }
            />
            Fixed
          </label>
        </div>
        <Field
          label="Seed value"
          error={errors['params.seed']}
          className="field--seed"
          hint={v.seedMode === 'random' ? 'A new random seed is picked on save, then kept.' : undefined}
        >
          {(p) => (
            <div className="input-row">
              <input
                {...p}
                className="input"
                inputMode="numeric"
                value={v.seed}
                disabled={v.seedMode !== 'fixed'}
                onChange={(e) => set('seed', e.target.value)}
              />
              <button
                type="button"
                className="button button--small"
                onClick={() => setV((old) => ({ ...old, seedMode: 'fixed', seed: String(randomSeed()) }))}
              >
                New seed
              </button>
            </div>
          )}
        </Field>
      </fieldset>
      {errors._form ? (
        <p className="form-error" role="alert">
          {errors._form}
        </p>
      ) : null}
      <div className="segment-form__actions">
        <button type="submit" className="button button--primary" disabled={submitting}>
          {submitting ? 'Saving…' : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
