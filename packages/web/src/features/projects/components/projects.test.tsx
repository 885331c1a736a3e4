import { Project } from '@framesmith/core/api-schemas';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { FakeApi, apiError, as } from '../../../testing/fake-api.ts';
import { at, uuid } from '../../../testing/factories.ts';
import { renderWithClient } from '../../../testing/render.tsx';
import { CreateProjectForm } from './create-project-form.tsx';
import { ProjectsList } from './projects-list.tsx';

function project(overrides: Partial<Project> = {}): Project {
  return Project.parse({
    id: uuid(),
    name: 'Winter fox',
    description: '',
    settings: {},
    counts: { pending: 1, queued: 0, generating: 1, completed: 3, failed: 1, cancelled: 0, total: 6 },
    lastRender: { id: uuid(), status: 'failed', finishedAt: at(30) },
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  });
}

describe('creating a project', () => {
  it('needs a name, said beside the field', async () => {
    const api = new FakeApi().install();
    const { user } = renderWithClient(<CreateProjectForm onCreated={() => {}} />);
    await user.click(screen.getByRole('button', { name: 'Create project' }));
    const name = screen.getByLabelText('Project name');
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveAccessibleDescription('must not be empty');
    expect(api.requests).toHaveLength(0);
  });

  it('creates and opens it', async () => {
    const created = project({ name: 'Sunrise' });
    const api = new FakeApi().on('POST', '/api/projects', as('Project', created, 201)).install();
    const onCreated = vi.fn();
    const { user } = renderWithClient(<CreateProjectForm onCreated={onCreated} />);
    await user.type(screen.getByLabelText('Project name'), 'Sunrise');
    await user.click(screen.getByRole('button', { name: 'Create project' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created.id));
    expect(api.requests[0]!.body).toEqual({ name: 'Sunrise' });
  });

  it('shows the API message beside the name', async () => {
    new FakeApi()
      .on(
        'POST',
        '/api/projects',
        apiError(400, 'VALIDATION_ERROR', 'name: must be at most 200 characters', {
          fields: [{ field: 'name', message: 'must be at most 200 characters' }],
        }),
      )
      .install();
    const { user } = renderWithClient(<CreateProjectForm onCreated={() => {}} />);
    await user.type(screen.getByLabelText('Project name'), 'x');
    await user.click(screen.getByRole('button', { name: 'Create project' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Project name')).toHaveAccessibleDescription(
        'must be at most 200 characters',
      ),
    );
  });
});

describe('projects list', () => {
  it('summarises each project: clips done, failed, in progress, last render', () => {
    new FakeApi().install();
    renderWithClient(
      <ProjectsList
        projects={[
          project(),
          project({
            name: 'Empty',
            counts: { pending: 0, queued: 0, generating: 0, completed: 0, failed: 0, cancelled: 0, total: 0 },
            lastRender: null,
          }),
        ]}
      />,
    );
    const [first, second] = screen.getAllByRole('listitem');
    expect(within(first!).getByRole('link', { name: 'Winter fox' })).toHaveAttribute(
      'href',
      expect.stringMatching(/^\/projects\//),
    );
    expect(first).toHaveTextContent('3 of 6 clips done');
    expect(first).toHaveTextContent('1 failed');
    expect(first).toHaveTextContent('1 in progress');
    expect(first).toHaveTextContent(/Last render failed/);
    expect(second).toHaveTextContent('No segments yet');
    expect(second).toHaveTextContent('Never rendered');
  });

  it('renames inline', async () => {
    const p = project();
    const api = new FakeApi()
      .on('PATCH', '/api/projects/:id', (req) => as('Project', { ...p, ...(req.body as object) }))
      .on('GET', '/api/projects', { status: 200, body: [] })
      .install();
    const { user } = renderWithClient(<ProjectsList projects={[p]} />);
    await user.click(screen.getByRole('button', { name: 'Rename Winter fox' }));
    const input = screen.getByLabelText('New name');
    await user.clear(input);
    await user.type(input, 'Summer fox{Enter}');
    await waitFor(() => expect(api.calls('PATCH', `/api/projects/${p.id}`)).toHaveLength(1));
    expect(api.requests[0]!.body).toEqual({ name: 'Summer fox' });
  });

  it('deletes only after confirming', async () => {
    const p = project();
    const api = new FakeApi()
      .on('DELETE', '/api/projects/:id', { status: 204 })
      .on('GET', '/api/projects', { status: 200, body: [] })
      .install();
    const { user } = renderWithClient(<ProjectsList projects={[p]} />);
    await user.click(screen.getByRole('button', { name: 'Delete Winter fox' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete “Winter fox”?' });
    expect(dialog).toHaveTextContent('removes its 6 segments');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(api.requests).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Delete Winter fox' }));
    await user.click(screen.getByRole('button', { name: 'Delete project' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    expect(api.calls('DELETE', `/api/projects/${p.id}`)).toHaveLength(1);
  });
});
