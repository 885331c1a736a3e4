import {
  type Project,
  ProjectWithSegments,
  RenderJob,
  Segment,
  Workflow,
} from '@framesmith/core/api-schemas';
import { type PublicError, toPublicError } from '@framesmith/core/app-error';
import {
  BUILTIN_IMAGE_TO_VIDEO_ID,
  BUILTIN_TEXT_TO_VIDEO_ID,
  BUILTIN_WORKFLOWS,
} from '@framesmith/core/builtin-workflows';
import { ERROR_TAXONOMY, type ErrorCode } from '@framesmith/core/error-taxonomy';
import type { ErrorDetail } from '@framesmith/core/app-error';

/**
 * Test data built through core's schemas and error functions, exactly as the API builds its
 * answers: a fixture that drifts from the contract fails here, not in a browser.
 */

let counter = 0x1000; // clear of the built-in workflow ids
export const uuid = () => {
  counter += 1;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
};

const T0 = Date.parse('2026-05-01T10:00:00.000Z');
export const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

export const PROJECT_ID = '11111111-1111-4111-8111-111111111111';

export function makePublicError(code: ErrorCode, detail: ErrorDetail = {}): PublicError {
  const copy = ERROR_TAXONOMY[code];
  return toPublicError({ code, message: copy.message, retryable: copy.retryable, detail }, at(5));
}

export function makeSegment(overrides: Partial<Segment> = {}): Segment {
  const id = overrides.id ?? uuid();
  return Segment.parse({
    id,
    projectId: PROJECT_ID,
    position: 0,
    prompt: 'A red fox running through fresh snow',
    negativePrompt: '',
    params: { width: 512, height: 512, frames: 48, fps: 24 },
    workflowId: BUILTIN_TEXT_TO_VIDEO_ID,
    inlineWorkflow: false,
    status: 'pending',
    progress: 0,
    attempt: 0,
    maxAttempts: 3,
    nextAttemptAt: null,
    queuePosition: null,
    backend: null,
    error: null,
    output: null,
    createdAt: at(0),
    updatedAt: at(1),
    ...overrides,
  });
}

/** Segments are kept as given (after checking), so a test can add fields newer than the schema. */
export function makeProject(segments: Segment[] = [], overrides: Partial<Project> = {}): ProjectWithSegments {
  const counts = { pending: 0, queued: 0, generating: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
  for (const s of segments) {
    counts[s.status] += 1;
    counts.total += 1;
  }
  const project = ProjectWithSegments.parse({
    id: PROJECT_ID,
    name: 'Winter fox',
    description: '',
    settings: {},
    counts,
    lastRender: null,
    createdAt: at(0),
    updatedAt: at(0),
    segments,
    ...overrides,
  });
  return { ...project, segments };
}

export function makeRenderJob(overrides: Partial<RenderJob> = {}): RenderJob {
  return RenderJob.parse({
    id: uuid(),
    projectId: PROJECT_ID,
    status: 'generating',
    segmentIds: [],
    counts: { pending: 0, queued: 1, generating: 1, completed: 1, failed: 0, cancelled: 0, total: 3 },
    progress: 0.4,
    output: null,
    error: null,
    summary: null,
    createdAt: at(10),
    updatedAt: at(11),
    startedAt: at(10),
    finishedAt: null,
    ...overrides,
  });
}

export function makeWorkflows(): Workflow[] {
  return BUILTIN_WORKFLOWS.map((w) =>
    Workflow.parse({
      id: w.id,
      name: w.name,
      description: w.description,
      category: w.category,
      graph: w.graph,
      bindings: w.bindings,
      builtin: true,
      generationTimeoutMs: null,
      createdAt: at(0),
      updatedAt: at(0),
    }),
  );
}

export { BUILTIN_IMAGE_TO_VIDEO_ID, BUILTIN_TEXT_TO_VIDEO_ID };
