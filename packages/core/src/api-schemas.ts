import { z } from 'zod';
import { PublicError } from './app-error.ts';
import { ErrorCode } from './error-taxonomy.ts';
import { RenderJobStatus, SegmentStatus } from './status.ts';
import { WorkflowBindings, describeGraphProblem, findGraphProblem, isUiFormat } from './workflow-graph.ts';

/**
 * The API contract, shared by server (route schemas, OpenAPI) and web (forms, parsing).
 * Request bodies are strict: an unknown field is a 400 naming it.
 */

export const Id = z.uuid({ message: 'must be a UUID' });
export const IdParams = z.strictObject({ id: z.string() });

export const LIMITS = {
  promptMax: 2000,
  nameMax: 200,
  descriptionMax: 2000,
  sizeMin: 64,
  sizeMax: 4096,
  framesMin: 1,
  framesMax: 1000,
  fpsMin: 1,
  fpsMax: 120,
  stepsMax: 200,
  cfgMax: 50,
  seedMax: Number.MAX_SAFE_INTEGER,
  workflowNodesMax: 2000,
  bodyLimitBytes: 2 * 1024 * 1024,
} as const;

const dimension = z
  .int({ message: 'must be an integer' })
  .min(LIMITS.sizeMin, { message: `must be at least ${LIMITS.sizeMin}` })
  .max(LIMITS.sizeMax, { message: `must be at most ${LIMITS.sizeMax}` })
  .refine((v) => v % 8 === 0, { message: 'must be a multiple of 8' });

export const SegmentParams = z.strictObject({
  width: dimension.optional(),
  height: dimension.optional(),
  frames: z
    .int({ message: 'must be an integer' })
    .min(LIMITS.framesMin, { message: `must be at least ${LIMITS.framesMin}` })
    .max(LIMITS.framesMax, { message: `must be at most ${LIMITS.framesMax}` })
    .optional(),
  fps: z
    .int({ message: 'must be an integer' })
    .min(LIMITS.fpsMin, { message: `must be at least ${LIMITS.fpsMin}` })
    .max(LIMITS.fpsMax, { message: `must be at most ${LIMITS.fpsMax}` })
    .optional(),
  seed: z.int().min(0).max(LIMITS.seedMax).optional(),
  steps: z.int().min(1).max(LIMITS.stepsMax).optional(),
  cfg: z.number().min(0).max(LIMITS.cfgMax).optional(),
  inputImage: z.string().min(1).max(255).optional(),
});
export type SegmentParams = z.infer<typeof SegmentParams>;

/** Defaults a segment gets for whatever it and its project leave unset. */
export const DEFAULT_PARAMS = { width: 512, height: 512, frames: 48, fps: 24 } as const;
export type EffectiveParams = SegmentParams & {
  width: number;
  height: number;
  frames: number;
  fps: number;
  seed: number;
};

const prompt = z
  .string({ message: 'must be a string' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(LIMITS.promptMax, { message: `must be at most ${LIMITS.promptMax} characters` });

/**
 * An inline or imported API-format graph. UI-format saves are refused with the way to fix it.
 */
export const WorkflowGraphInput = z
  .record(z.string(), z.unknown(), { message: 'must be a JSON object of nodes (ComfyUI API format)' })
  .superRefine((graph, ctx) => {
    if (isUiFormat(graph)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'this is a ComfyUI UI-format workflow (it has "nodes" and "links"); in ComfyUI use "Export (API)" and send that file',
      });
      return;
    }
    if (Object.keys(graph).length > LIMITS.workflowNodesMax) {
      ctx.addIssue({ code: 'custom', message: `must have at most ${LIMITS.workflowNodesMax} nodes` });
      return;
    }
    const problem = findGraphProblem(graph);
    if (problem) ctx.addIssue({ code: 'custom', message: describeGraphProblem(problem) });
  });

export const CreateSegmentBody = z
  .strictObject({
    prompt,
    negativePrompt: z.string().max(LIMITS.promptMax).optional(),
    params: SegmentParams.optional(),
    workflowId: Id.optional(),
    workflow: WorkflowGraphInput.optional(),
    bindings: WorkflowBindings.optional(),
    position: z.int().min(0).optional(),
  })
  .refine((b) => !(b.workflowId && b.workflow), {
    message: 'give either workflowId or workflow, not both',
    path: ['workflow'],
  });
export type CreateSegmentBody = z.infer<typeof CreateSegmentBody>;

export const UpdateSegmentBody = z
  .strictObject({
    prompt: prompt.optional(),
    negativePrompt: z.string().max(LIMITS.promptMax).optional(),
    params: SegmentParams.optional(),
    workflowId: Id.nullable().optional(),
    workflow: WorkflowGraphInput.nullable().optional(),
    bindings: WorkflowBindings.optional(),
  })
  .refine((b) => !(b.workflowId && b.workflow), {
    message: 'give either workflowId or workflow, not both',
    path: ['workflow'],
  });
export type UpdateSegmentBody = z.infer<typeof UpdateSegmentBody>;

export const ReorderSegmentsBody = z.strictObject({
  segmentIds: z.array(Id).min(1).max(10_000),
});

export const ProjectSettings = z.strictObject({
  width: dimension.optional(),
  height: dimension.optional(),
  fps: z.int().min(LIMITS.fpsMin).max(LIMITS.fpsMax).optional(),
  crossfadeSeconds: z.number().min(0).max(5).optional(),
});
export type ProjectSettings = z.infer<typeof ProjectSettings>;

const name = z
  .string({ message: 'must be a string' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(LIMITS.nameMax, { message: `must be at most ${LIMITS.nameMax} characters` });

export const CreateProjectBody = z.strictObject({
  name,
  description: z.string().max(LIMITS.descriptionMax).optional(),
  settings: ProjectSettings.optional(),
});
export const UpdateProjectBody = z.strictObject({
  name: name.optional(),
  description: z.string().max(LIMITS.descriptionMax).optional(),
  settings: ProjectSettings.optional(),
});

export const CreateWorkflowBody = z.strictObject({
  name,
  description: z.string().max(LIMITS.descriptionMax).optional(),
  category: z.string().trim().min(1).max(64).optional(),
  graph: WorkflowGraphInput,
  bindings: WorkflowBindings.optional(),
  generationTimeoutMs: z
    .int()
    .min(1000)
    .max(24 * 3600 * 1000)
    .optional(),
});
export const UpdateWorkflowBody = z.strictObject({
  name: name.optional(),
  description: z.string().max(LIMITS.descriptionMax).optional(),
  category: z.string().trim().min(1).max(64).optional(),
  graph: WorkflowGraphInput.optional(),
  bindings: WorkflowBindings.optional(),
  generationTimeoutMs: z
    .int()
    .min(1000)
    .max(24 * 3600 * 1000)
    .nullable()
    .optional(),
});
export const DuplicateWorkflowBody = z.strictObject({ name: name.optional() }).optional();

// ---- Resources (responses) ----

export const Asset = z.object({
  assetId: z.string(),
  url: z.string(),
  durationSeconds: z.number().nullable(),
  width: z.number().nullable(),
  height: z.number().nullable(),
});
export type Asset = z.infer<typeof Asset>;

export const Segment = z.object({
  id: z.string(),
  projectId: z.string(),
  position: z.number(),
  prompt: z.string(),
  negativePrompt: z.string(),
  params: SegmentParams,
  workflowId: z.string().nullable(),
  inlineWorkflow: z.boolean(),
  status: SegmentStatus,
  progress: z.number(),
  attempt: z.number(),
  maxAttempts: z.number(),
  nextAttemptAt: z.string().nullable(),
  queuePosition: z.number().nullable(),
  backend: z.string().nullable(),
  error: PublicError.nullable(),
  output: Asset.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Segment = z.infer<typeof Segment>;

export const StatusCounts = z.object({
  pending: z.number(),
  queued: z.number(),
  generating: z.number(),
  completed: z.number(),
  failed: z.number(),
  cancelled: z.number(),
});
export type StatusCounts = z.infer<typeof StatusCounts>;

export const RenderJob = z.object({
  id: z.string(),
  projectId: z.string(),
  status: RenderJobStatus,
  segmentIds: z.array(z.string()),
  counts: StatusCounts.extend({ total: z.number() }),
  progress: z.number(),
  output: Asset.nullable(),
  error: PublicError.nullable(),
  summary: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type RenderJob = z.infer<typeof RenderJob>;

export const Project = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  settings: ProjectSettings,
  counts: StatusCounts.extend({ total: z.number() }),
  lastRender: z
    .object({ id: z.string(), status: RenderJobStatus, finishedAt: z.string().nullable() })
    .nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Project = z.infer<typeof Project>;

export const ProjectWithSegments = Project.extend({ segments: z.array(Segment) });
export type ProjectWithSegments = z.infer<typeof ProjectWithSegments>;

export const Workflow = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  graph: z.record(z.string(), z.unknown()),
  bindings: WorkflowBindings,
  builtin: z.boolean(),
  generationTimeoutMs: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Workflow = z.infer<typeof Workflow>;

export const ApiErrorBody = z.object({
  error: z.object({
    code: z.union([ErrorCode, z.string()]),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
