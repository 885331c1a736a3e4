import type { Project } from '@framesmith/core/api-schemas';
import { useState } from 'react';
import { ConfirmDialog } from '../../../components/confirm-dialog.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { Link } from '../../../lib/router.tsx';
import { useDeleteProject } from '../api/delete-project.ts';
import { ProjectSummary } from './project-summary.tsx';
import { RenameProjectForm } from './rename-project-form.tsx';

/** Every project with its status summary; rename inline, delete after confirming. */
export function ProjectsList({ projects }: { projects: readonly Project[] }) {
  const [renaming, setRenaming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Project | null>(null);
  const remove = useDeleteProject();

  if (projects.length === 0) {
    return <p className="empty">No projects yet. Create one above to start a timeline.</p>;
  }
  return (
    <>
      <ul className="project-list" aria-label="Projects">
        {projects.map((p) => (
          <li key={p.id} className="project-row">
            {renaming === p.id ? (
              <RenameProjectForm projectId={p.id} currentName={p.name} onDone={() => setRenaming(null)} />
            ) : (
              <>
                <div className="project-row__main">
                  <Link to={`/projects/${p.id}`} className="project-row__name">
                    {p.name}
                  </Link>
                  <ProjectSummary project={p} />
                </div>
                <div className="project-row__actions">
                  <button
                    type="button"
                    className="button button--small"
                    onClick={() => setRenaming(p.id)}
                    aria-label={`Rename ${p.name}`}
                  >
                    Rename
                  </button>
                  <button
                    type="button"
                    className="button button--small button--danger-outline"
                    onClick={() => {
                      remove.reset();
                      setDeleting(p);
                    }}
                    aria-label={`Delete ${p.name}`}
                  >
                    Delete
                  </button>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
      {deleting ? (
        <ConfirmDialog
          title={`Delete “${deleting.name}”?`}
          confirmLabel="Delete project"
          busy={remove.isPending}
          error={
            remove.error ? (isApiError(remove.error) ? remove.error.message : 'Could not delete.') : null
          }
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
        >
          <p>
            This removes its {deleting.counts.total} segments, their clips and its render history. It cannot
            be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
