-- Every committed change to what a project view shows (the project, its segments, render jobs
-- and assets) sends NOTIFY framesmith_project_changed with the project id, whichever process or
-- statement made it. API processes drop their cached project views on it. PostgreSQL folds
-- identical notifications of one transaction into one, so a reorder of 100 rows sends one.
CREATE OR REPLACE FUNCTION framesmith_notify_project_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'projects' THEN
    PERFORM pg_notify('framesmith_project_changed', COALESCE(NEW.id, OLD.id)::text);
  ELSIF COALESCE(NEW.project_id, OLD.project_id) IS NOT NULL THEN
    PERFORM pg_notify('framesmith_project_changed', COALESCE(NEW.project_id, OLD.project_id)::text);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER projects_notify_changed AFTER INSERT OR UPDATE OR DELETE ON projects
  FOR EACH ROW EXECUTE FUNCTION framesmith_notify_project_changed();
--> statement-breakpoint
CREATE TRIGGER segments_notify_changed AFTER INSERT OR UPDATE OR DELETE ON segments
  FOR EACH ROW EXECUTE FUNCTION framesmith_notify_project_changed();
--> statement-breakpoint
CREATE TRIGGER render_jobs_notify_changed AFTER INSERT OR UPDATE OR DELETE ON render_jobs
  FOR EACH ROW EXECUTE FUNCTION framesmith_notify_project_changed();
--> statement-breakpoint
CREATE TRIGGER assets_notify_changed AFTER INSERT OR UPDATE OR DELETE ON assets
  FOR EACH ROW EXECUTE FUNCTION framesmith_notify_project_changed();
