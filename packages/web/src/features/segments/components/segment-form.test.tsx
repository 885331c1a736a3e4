import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { queryKeys } from '../../../lib/query-keys.ts';
import { FakeApi, apiError, as } from '../../../testing/fake-api.ts';
import {
  BUILTIN_IMAGE_TO_VIDEO_ID,
  BUILTIN_TEXT_TO_VIDEO_ID,
  PROJECT_ID,
  makeProject,
  makeSegment,
  makeWorkflows,
} from '../../../testing/factories.ts';
import { renderWithClient, testQueryClient } from '../../../testing/render.tsx';
import { TimelineHarness } from '../../../testing/timeline-harness.tsx';
import { AddSegment } from './add-segment.tsx';

function setupAdd(
  api: FakeApi,
  last = makeSegment({ params: { width: 832, height: 480, frames: 33, fps: 16 } }),
) {
  api.install();
  const client = testQueryClient();
  client.setQueryData(queryKeys.project(PROJECT_ID), makeProject([last]));
  const view = renderWithClient(
    <AddSegment
      projectId={PROJECT_ID}
      last={last}
      workflows={makeWorkflows()}
      defaultWorkflowId={BUILTIN_TEXT_TO_VIDEO_ID}
    />,
    { client },
  );
  return view;
}

/** The message shown beside a field, found the way a screen reader reads it. */
function errorOf(field: HTMLElement): string {
  const ids = (field.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
  return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
}

describe('new segment form', () => {
  it('starts from the previous segment settings and sends a complete body', async () => {
    const api = new FakeApi().on('POST', '/api/projects/:id/segments', (req) =>
      as('Segment', makeSegment({ ...(req.body as object), position: 1 }), 201),
    );
    const { user } = setupAdd(api);
    await user.click(screen.getByRole('button', { name: 'Add segment' }));
    const form = screen.getByRole('form', { name: 'New segment' });
    expect(within(form).getByLabelText('Width')).toHaveValue('832');
    expect(within(form).getByLabelText('Size')).toHaveValue('landscape');
    await user.type(within(form).getByLabelText('Prompt'), 'The fox jumps over a frozen stream');
    await user.selectOptions(within(form).getByLabelText('Size'), 'portrait');
    await user.selectOptions(within(form).getByLabelText('Workflow'), BUILTIN_IMAGE_TO_VIDEO_ID);
    await user.click(within(form).getByLabelText('Fixed'));
    await user.clear(within(form).getByLabelText('Seed value'));
    await user.type(within(form).getByLabelText('Seed value'), '1234');
    await user.click(within(form).getByRole('button', { name: 'Add to timeline' }));
    await waitFor(() => expect(api.requests).toHaveLength(1));
    expect(api.requests[0]!.body).toEqual({
      prompt: 'The fox jumps over a frozen stream',
      params: { width: 480, height: 832, frames: 33, fps: 16, seed: 1234 },
      workflowId: BUILTIN_IMAGE_TO_VIDEO_ID,
    });
    // The form is ready for the next one, empty prompt, same settings.
    await waitFor(() =>
      expect(within(screen.getByRole('form', { name: 'New segment' })).getByLabelText('Prompt')).toHaveValue(
        '',
      ),
    );
  });

  it('after adding, the prompt is emptied and focused, unless the next one was typed meanwhile', async () => {
    let answer!: () => void;
    const api = new FakeApi().on(
      'POST',
      '/api/projects/:id/segments',
      (req) =>
        new Promise((resolve) => {
          answer = () => resolve(as('Segment', makeSegment({ ...(req.body as object), position: 1 }), 201));
        }),
    );
    const { user } = setupAdd(api);
    await user.click(screen.getByRole('button', { name: 'Add segment' }));
    const prompt = screen.getByLabelText('Prompt');
    await user.type(prompt, 'first');
    await user.click(screen.getByRole('button', { name: /Add to timeline|Saving/ }));
    answer();
    await waitFor(() => expect(prompt).toHaveValue(''));
    expect(prompt).toHaveFocus();
    await user.type(prompt, 'second');
    await user.click(screen.getByRole('button', { name: 'Add to timeline' }));
    await user.clear(prompt);
    await user.type(prompt, 'third');
    answer();
    // Settled (the button is back), and the newer text was kept.
    await waitFor(() => expect(screen.getByRole('button', { name: 'Add to timeline' })).toBeEnabled());
    expect(api.requests).toHaveLength(2);
    expect(prompt).toHaveValue('third');
  });

  it('shows the length in seconds as frames and fps change', async () => {
    const { user } = setupAdd(new FakeApi());
    await user.click(screen.getByRole('button', { name: 'Add segment' }));
    const frames = screen.getByLabelText('Length (frames)');
    await user.clear(frames);
    await user.type(frames, '48');
    const fps = screen.getByLabelText('Frames per second');
    await user.clear(fps);
    await user.type(fps, '24');
    expect(errorOf(frames)).toContain('2.0 s of video');
  });

  it('refuses what the API would refuse, beside each field, without sending', async () => {
    const api = new FakeApi();
    const { user } = setupAdd(api);
    await user.click(screen.getByRole('button', { name: 'Add segment' }));
    const form = screen.getByRole('form', { name: 'New segment' });
    const width = within(form).getByLabelText('Width');
    await user.clear(width);
    await user.type(width, '100');
    const frames = within(form).getByLabelText('Length (frames)');
    await user.clear(frames);
    await user.type(frames, '0');
    const fps = within(form).getByLabelText('Frames per second');
    await user.clear(fps);
    await user.type(fps, 'abc');
    await user.click(within(form).getByRole('button', { name: 'Add to timeline' }));

    const prompt = within(form).getByLabelText('Prompt');
    expect(prompt).toHaveAttribute('aria-invalid', 'true');
    expect(errorOf(prompt)).toContain('must not be empty');
    expect(prompt).toHaveFocus();
    expect(errorOf(width)).toContain('must be a multiple of 8');
    expect(errorOf(frames)).toContain('must be at least 1');
    expect(errorOf(fps)).toContain('must be an integer');
    expect(within(form).getByLabelText('Height')).not.toHaveAttribute('aria-invalid');
    expect(api.requests).toHaveLength(0);
  });

  it('puts the API validation message beside its field', async () => {
    const api = new FakeApi().on(
      'POST',
      '/api/projects/:id/segments',
      apiError(400, 'VALIDATION_ERROR', 'params.height: must be at most 4096', {
        fields: [{ field: 'params.height', message: 'must be at most 4096' }],
      }),
    );
    const { user } = setupAdd(api);
    await user.click(screen.getByRole('button', { name: 'Add segment' }));
    await user.type(screen.getByLabelText('Prompt'), 'A very tall shot');
    await user.click(screen.getByRole('button', { name: 'Add to timeline' }));
    const height = screen.getByLabelText('Height');
    await waitFor(() => expect(height).toHaveAttribute('aria-invalid', 'true'));
    expect(errorOf(height)).toContain('must be at most 4096');
  });

  it('shows an API refusal that names no field of the form above the buttons', async () => {
    const api = new FakeApi().on(
      'POST',
      '/api/projects/:id/segments',
      apiError(404, 'NOT_FOUND', 'project not found'),
    );
    const { user } = setupAdd(api);
    await user.click(screen.getByRole('button', { name: 'Add segment' }));
    await user.type(screen.getByLabelText('Prompt'), 'Anything');
    await user.click(screen.getByRole('button', { name: 'Add to timeline' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('project not found');
  });

  it('random seed sends no seed; "New seed" switches to a fixed one', async () => {
    const { user } = setupAdd(new FakeApi());
    await user.click(screen.getByRole('button', { name: 'Add segment' }));
    expect(screen.getByLabelText('Random')).toBeChecked();
    expect(screen.getByLabelText('Seed value')).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'New seed' }));
    expect(screen.getByLabelText('Fixed')).toBeChecked();
    expect((screen.getByLabelText('Seed value') as HTMLInputElement).value).toMatch(/^\d+$/);
  });
});

describe('editing a segment inline', () => {
  function setupEdit(api: FakeApi) {
    api.install();
    const seg = makeSegment({
      prompt: 'old prompt',
      params: { width: 512, height: 512, frames: 48, fps: 24, seed: 5 },
    });
    const client = testQueryClient();
    client.setQueryData(queryKeys.project(PROJECT_ID), makeProject([seg]));
    return { seg, ...renderWithClient(<TimelineHarness projectId={PROJECT_ID} />, { client }) };
  }

  it('sends only what changed and shows the updated card', async () => {
    const api = new FakeApi();
    const { seg, user } = setupEdit(api);
    api.on('PATCH', '/api/segments/:id', (req) =>
      as('Segment', { ...seg, ...(req.body as object), updatedAt: new Date().toISOString() }),
    );
    await user.click(screen.getByRole('button', { name: 'Edit segment 1' }));
    const form = screen.getByRole('form', { name: 'Edit segment 1' });
    expect(within(form).getByLabelText('Fixed')).toBeChecked();
    expect(within(form).getByLabelText('Seed value')).toHaveValue('5');
    await user.clear(within(form).getByLabelText('Prompt'));
    await user.type(within(form).getByLabelText('Prompt'), 'new prompt');
    await user.click(within(form).getByRole('button', { name: 'Save changes' }));
    await waitFor(() =>
      expect(screen.queryByRole('form', { name: 'Edit segment 1' })).not.toBeInTheDocument(),
    );
    expect(api.requests[0]).toMatchObject({
      method: 'PATCH',
      path: `/api/segments/${seg.id}`,
      body: { prompt: 'new prompt' },
    });
    expect(screen.getByText('new prompt')).toBeInTheDocument();
  });

  it('switching to Random names a new seed (the API keeps the old one otherwise)', async () => {
    const api = new FakeApi();
    const { seg, user } = setupEdit(api);
    api.on('PATCH', '/api/segments/:id', (req) => as('Segment', { ...seg, ...(req.body as object) }));
    await user.click(screen.getByRole('button', { name: 'Edit segment 1' }));
    await user.click(screen.getByLabelText('Random'));
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(api.requests).toHaveLength(1));
    const params = (api.requests[0]!.body as { params: { seed: number } }).params;
    expect(params).toMatchObject({ width: 512, height: 512, frames: 48, fps: 24 });
    expect(Number.isInteger(params.seed) && params.seed !== 5).toBe(true);
  });

  it('saving with nothing changed sends nothing', async () => {
    const api = new FakeApi();
    const { user } = setupEdit(api);
    await user.click(screen.getByRole('button', { name: 'Edit segment 1' }));
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(screen.queryByRole('form', { name: 'Edit segment 1' })).not.toBeInTheDocument();
    expect(api.requests).toHaveLength(0);
  });

  it('a refused edit (segment generating) keeps the form open with the reason', async () => {
    const api = new FakeApi().on(
      'PATCH',
      '/api/segments/:id',
      apiError(409, 'CONFLICT', 'The segment is generating; cancel it before editing.'),
    );
    const { user } = setupEdit(api);
    await user.click(screen.getByRole('button', { name: 'Edit segment 1' }));
    await user.type(screen.getByLabelText('Prompt'), ' more');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('cancel it before editing');
    expect(screen.getByRole('form', { name: 'Edit segment 1' })).toBeInTheDocument();
  });

  it('Escape closes the form without saving', async () => {
    const api = new FakeApi();
    const { user } = setupEdit(api);
    await user.click(screen.getByRole('button', { name: 'Edit segment 1' }));
    await user.type(screen.getByLabelText('Prompt'), '{Escape}');
    expect(screen.queryByRole('form', { name: 'Edit segment 1' })).not.toBeInTheDocument();
  });
});
