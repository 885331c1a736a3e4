CREATE TABLE "assets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid,
	"kind" text NOT NULL,
	"storage_key" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"duration_seconds" real,
	"width" integer,
	"height" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "assets_kind_check" CHECK (kind IN ('clip', 'final', 'input'))
);
--> statement-breakpoint
CREATE TABLE "backends" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"source" text DEFAULT 'api' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"draining" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "backends_source_check" CHECK (source IN ('env', 'api'))
);
--> statement-breakpoint
CREATE TABLE "generation_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"segment_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"render_job_id" uuid,
	"workflow_id" uuid,
	"attempt" integer NOT NULL,
	"backend" text,
	"prompt_id" text,
	"outcome" text DEFAULT 'running' NOT NULL,
	"error_code" text,
	"error_message" text,
	"error_detail" jsonb,
	"retryable" boolean,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"queue_ms" integer,
	"execution_ms" integer,
	"duration_ms" integer,
	CONSTRAINT "generation_attempts_outcome_check" CHECK (outcome IN ('running', 'succeeded', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "render_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"segment_ids" jsonb NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"summary" text,
	"output_asset_id" uuid,
	"error_code" text,
	"error_message" text,
	"error_detail" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "render_jobs_status_check" CHECK (status IN ('queued', 'generating', 'compositing', 'completed', 'failed', 'cancelled')),
	CONSTRAINT "render_jobs_error_code_check" CHECK (error_code IS NULL OR error_code IN ('COMFYUI_CONNECTION_ERROR', 'COMFYUI_TIMEOUT', 'COMFYUI_WORKFLOW_ERROR', 'COMFYUI_MISSING_NODE', 'COMFYUI_MISSING_MODEL', 'COMFYUI_INVALID_PARAMETERS', 'COMFYUI_INPUT_MISSING', 'COMFYUI_OUT_OF_MEMORY', 'COMFYUI_GENERATION_ERROR', 'COMFYUI_INTERRUPTED', 'COMFYUI_PROMPT_LOST', 'COMFYUI_OUTPUT_ERROR', 'COMPOSITION_ERROR', 'INTERNAL_ERROR'))
);
--> statement-breakpoint
CREATE TABLE "segments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"prompt" text NOT NULL,
	"negative_prompt" text DEFAULT '' NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"workflow_id" uuid,
	"inline_workflow" jsonb,
	"inline_bindings" jsonb,
	"status" text DEFAULT 'pending' NOT NULL,
	"progress" real DEFAULT 0 NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"queue_position" integer,
	"content_hash" text,
	"output_asset_id" uuid,
	"output_hash" text,
	"render_job_id" uuid,
	"backend" text,
	"prompt_id" text,
	"error_code" text,
	"error_message" text,
	"error_tips" jsonb,
	"error_detail" jsonb,
	"retryable" boolean,
	"error_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "segments_status_check" CHECK (status IN ('pending', 'queued', 'generating', 'completed', 'failed', 'cancelled')),
	CONSTRAINT "segments_error_code_check" CHECK (error_code IS NULL OR error_code IN ('COMFYUI_CONNECTION_ERROR', 'COMFYUI_TIMEOUT', 'COMFYUI_WORKFLOW_ERROR', 'COMFYUI_MISSING_NODE', 'COMFYUI_MISSING_MODEL', 'COMFYUI_INVALID_PARAMETERS', 'COMFYUI_INPUT_MISSING', 'COMFYUI_OUT_OF_MEMORY', 'COMFYUI_GENERATION_ERROR', 'COMFYUI_INTERRUPTED', 'COMFYUI_PROMPT_LOST', 'COMFYUI_OUTPUT_ERROR', 'COMPOSITION_ERROR', 'INTERNAL_ERROR')),
	CONSTRAINT "segments_progress_check" CHECK (progress >= 0 AND progress <= 1)
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"webhook_id" uuid NOT NULL,
	"event" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "webhook_deliveries_status_check" CHECK (status IN ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"events" jsonb NOT NULL,
	"format" text DEFAULT 'standard' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflows" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"category" text DEFAULT 'custom' NOT NULL,
	"graph" jsonb NOT NULL,
	"bindings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"builtin" boolean DEFAULT false NOT NULL,
	"generation_timeout_ms" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "assets" ADD CONSTRAINT "assets_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "generation_attempts" ADD CONSTRAINT "generation_attempts_segment_id_segments_id_fk" FOREIGN KEY ("segment_id") REFERENCES "public"."segments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "render_jobs" ADD CONSTRAINT "render_jobs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "render_jobs" ADD CONSTRAINT "render_jobs_output_asset_id_assets_id_fk" FOREIGN KEY ("output_asset_id") REFERENCES "public"."assets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_output_asset_id_assets_id_fk" FOREIGN KEY ("output_asset_id") REFERENCES "public"."assets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assets_project_idx" ON "assets" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "backends_name_uq" ON "backends" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "generation_attempts_segment_attempt_uq" ON "generation_attempts" USING btree ("segment_id","attempt");--> statement-breakpoint
CREATE INDEX "generation_attempts_error_code_idx" ON "generation_attempts" USING btree ("error_code");--> statement-breakpoint
CREATE INDEX "generation_attempts_started_idx" ON "generation_attempts" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "render_jobs_project_idx" ON "render_jobs" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "render_jobs_one_active_uq" ON "render_jobs" USING btree ("project_id") WHERE status IN ('queued', 'generating', 'compositing');--> statement-breakpoint
CREATE UNIQUE INDEX "segments_project_position_uq" ON "segments" USING btree ("project_id","position");--> statement-breakpoint
CREATE INDEX "segments_error_code_idx" ON "segments" USING btree ("error_code");--> statement-breakpoint
CREATE INDEX "segments_status_idx" ON "segments" USING btree ("status");--> statement-breakpoint
CREATE INDEX "segments_render_job_idx" ON "segments" USING btree ("render_job_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook_idx" ON "webhook_deliveries" USING btree ("webhook_id","created_at");