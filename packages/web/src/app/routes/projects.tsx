import { QueryError } from '../../components/query-error.tsx';
import { useProjects } from '../../features/projects/api/get-projects.ts';
import { CreateProjectForm } from '../../features/projects/components/create-project-form.tsx';
import { ProjectsList } from '../../features/projects/components/projects-list.tsx';
import { navigate } from '../../lib/router.tsx';
import { PageHeading } from '../../components/page-heading.tsx';

export default function ProjectsPage() {
  const projects = useProjects();
  return (
    <div className="page page--narrow">
      <PageHeading>Projects</PageHeading>
      <CreateProjectForm onCreated={(id) => navigate(`/projects/${id}`)} />
      {projects.isPending ? (
        <p className="loading">Loading projects…</p>
      ) : projects.isError ? (
        <QueryError error={projects.error} what="projects" onRetry={() => projects.refetch()} />
      ) : (
        <ProjectsList projects={projects.data} />
      )}
    </div>
  );
}
