ALTER TABLE "segments" DROP CONSTRAINT "segments_workflow_id_workflows_id_fk";
--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE restrict ON UPDATE no action;