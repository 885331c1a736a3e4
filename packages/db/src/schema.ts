import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  ERROR_CODES,
  RenderJobStatus,
  SegmentStatus,
  type ErrorDetail,
  type ProjectSettings,
  type SegmentParams,
  type WorkflowBindings,
  type WorkflowGraph,
} from '@framesmith/core';

/** `status IN (...)` from the single list in core, so the database refuses unknown states. */
const oneOf = (column: string, values: readonly string[]) =>
  sql.raw(`${column} IN (${values.map((v) => `'${v}'`).join(', ')})`);

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const projects = pgTable('projects', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  settings: jsonb('settings').$type<ProjectSettings>().notNull().default({}),
  ...timestamps,
});

export const workflows = pgTable('workflows', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  category: text('category').notNull().default('custom'),
  graph: jsonb('graph').$type<WorkflowGraph>().notNull(),
  bindings: jsonb('bindings').$type<WorkflowBindings>().notNull().default({}),
  builtin: boolean('builtin').notNull().default(false),
  generationTimeoutMs: integer('generation_timeout_ms'),
  ...timestamps,
});

/** Stored files: segment clips, final videos, uploaded inputs. `storageKey` is relative to storage. */
export const assets = pgTable(
  'assets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id').references(() => projects.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    storageKey: text('storage_key').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    durationSeconds: real('duration_seconds'),
    width: integer('width'),
    height: integer('height'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('assets_kind_check', oneOf('kind', ['clip', 'final', 'input'])),
    index('assets_project_idx').on(t.projectId),
  ],
);

export const segments = pgTable(
  'segments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    prompt: text('prompt').notNull(),
    negativePrompt: text('negative_prompt').notNull().default(''),
    params: jsonb('params').$type<SegmentParams>().notNull().default({}),
    // RESTRICT: a workflow a segment uses can never vanish under it, even when a delete races an insert.
    workflowId: uuid('workflow_id').references(() => workflows.id, { onDelete: 'restrict' }),
    inlineWorkflow: jsonb('inline_workflow').$type<WorkflowGraph>(),
    inlineBindings: jsonb('inline_bindings').$type<WorkflowBindings>(),
    status: text('status').$type<SegmentStatus>().notNull().default('pending'),
    progress: real('progress').notNull().default(0),
    attempt: integer('attempt').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    queuePosition: integer('queue_position'),
    /** Hash of everything that affects the clip; the output is reused while it matches. */
    contentHash: text('content_hash'),
    outputAssetId: uuid('output_asset_id').references(() => assets.id, { onDelete: 'set null' }),
    outputHash: text('output_hash'),
    renderJobId: uuid('render_job_id'),
    backend: text('backend'),
    promptId: text('prompt_id'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    errorTips: jsonb('error_tips').$type<string[]>(),
    errorDetail: jsonb('error_detail').$type<ErrorDetail>(),
    retryable: boolean('retryable'),
    errorAt: timestamp('error_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    check('segments_status_check', oneOf('status', SegmentStatus.options)),
    check('segments_error_code_check', sql`error_code IS NULL OR ${oneOf('error_code', ERROR_CODES)}`),
    check('segments_progress_check', sql`progress >= 0 AND progress <= 1`),
    uniqueIndex('segments_project_position_uq').on(t.projectId, t.position),
    index('segments_error_code_idx').on(t.errorCode),
    index('segments_status_idx').on(t.status),
    index('segments_render_job_idx').on(t.renderJobId),
  ],
);

export const renderJobs = pgTable(
  'render_jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    status: text('status').$type<RenderJobStatus>().notNull().default('queued'),
    /** The segments this render covers, in timeline order, as they were when it started. */
    segmentIds: jsonb('segment_ids').$type<string[]>().notNull(),
    settings: jsonb('settings').$type<ProjectSettings>().notNull().default({}),
    summary: text('summary'),
    outputAssetId: uuid('output_asset_id').references(() => assets.id, { onDelete: 'set null' }),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    errorDetail: jsonb('error_detail').$type<ErrorDetail>(),
    ...timestamps,
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    check('render_jobs_status_check', oneOf('status', RenderJobStatus.options)),
    check('render_jobs_error_code_check', sql`error_code IS NULL OR ${oneOf('error_code', ERROR_CODES)}`),
    index('render_jobs_project_idx').on(t.projectId, t.createdAt),
    // At most one active render per project: the database itself refuses a double dispatch.
    uniqueIndex('render_jobs_one_active_uq')
      .on(t.projectId)
      .where(sql`status IN ('queued', 'generating', 'compositing')`),
  ],
);

export const generationAttempts = pgTable(
  'generation_attempts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    segmentId: uuid('segment_id')
      .notNull()
      .references(() => segments.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id').notNull(),
    renderJobId: uuid('render_job_id'),
    workflowId: uuid('workflow_id'),
    attempt: integer('attempt').notNull(),
    backend: text('backend'),
    promptId: text('prompt_id'),
    outcome: text('outcome').notNull().default('running'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    errorDetail: jsonb('error_detail').$type<ErrorDetail>(),
    retryable: boolean('retryable'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    queueMs: integer('queue_ms'),
    executionMs: integer('execution_ms'),
    durationMs: integer('duration_ms'),
  },
  (t) => [
    check(
      'generation_attempts_outcome_check',
      oneOf('outcome', ['running', 'succeeded', 'failed', 'cancelled']),
    ),
    uniqueIndex('generation_attempts_segment_attempt_uq').on(t.segmentId, t.attempt),
    index('generation_attempts_error_code_idx').on(t.errorCode),
    index('generation_attempts_started_idx').on(t.startedAt),
  ],
);

export const backends = pgTable(
  'backends',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    url: text('url').notNull(),
    source: text('source').notNull().default('api'),
    enabled: boolean('enabled').notNull().default(true),
    draining: boolean('draining').notNull().default(false),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('backends_name_uq').on(t.name),
    check('backends_source_check', oneOf('source', ['env', 'api'])),
  ],
);

export const webhooks = pgTable('webhooks', {
  id: uuid('id').primaryKey().defaultRandom(),
  url: text('url').notNull(),
  secret: text('secret').notNull(),
  events: jsonb('events').$type<string[]>().notNull(),
  format: text('format').notNull().default('standard'),
  enabled: boolean('enabled').notNull().default(true),
  description: text('description').notNull().default(''),
  ...timestamps,
});

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    payload: jsonb('payload').notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    check('webhook_deliveries_status_check', oneOf('status', ['pending', 'delivered', 'failed'])),
    index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt),
  ],
);
