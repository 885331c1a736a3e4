import { Workflow } from '@framesmith/core/api-schemas';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeApi, apiError, as } from '../../../testing/fake-api.ts';
import { at, makeWorkflows } from '../../../testing/factories.ts';
import { renderWithClient } from '../../../testing/render.tsx';
import { ImportWorkflowForm, UI_FORMAT_REFUSAL } from './import-workflow-form.tsx';
import { WorkflowDetail } from './workflow-detail.tsx';
import { WorkflowLibrary } from './workflow-library.tsx';

const API_GRAPH = {
  '1': { class_type: 'CLIPTextEncode', inputs: { text: 'a cat', clip: ['2', 0] } },
  '2': { class_type: 'CLIPLoader', inputs: { clip_name: 'clip.safetensors' } },
  '3': { class_type: 'SaveVideo', inputs: { video: ['1', 0], filename_prefix: 'x' } },
};
const UI_SAVE = { last_node_id: 3, nodes: [{ id: 1, type: 'KSampler' }], links: [] };

function custom(overrides: Partial<Workflow> = {}): Workflow {
  return Workflow.parse({
    id: '99999999-9999-4999-8999-999999999999',
    name: 'My cat workflow',
    description: 'imported',
    category: 'custom',
    graph: API_GRAPH,
    bindings: { prompt: { nodeId: '1', input: 'text' } },
    builtin: false,
    generationTimeoutMs: null,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  });
}

describe('workflow library', () => {
  it('browses by category', async () => {
    const all = [...makeWorkflows(), custom()];
    const { user } = renderWithClient(<WorkflowLibrary workflows={all} />);
    expect(screen.getAllByRole('listitem')).toHaveLength(all.length);
    await user.click(screen.getByRole('button', { name: 'custom (1)' }));
    expect(screen.getAllByRole('listitem')).toHaveLength(1);
    expect(screen.getByRole('link', { name: 'My cat workflow' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'custom (1)' })).toHaveAttribute('aria-pressed', 'true');
  });
});

describe('importing a workflow', () => {
  it('refuses a UI-format save as soon as it is pasted, with how to export in API format', async () => {
    const api = new FakeApi().install();
    const { user } = renderWithClient(<ImportWorkflowForm onImported={() => {}} onCancel={() => {}} />);
    const box = screen.getByLabelText('Workflow JSON (API format)');
    await user.click(box);
    await user.paste(JSON.stringify(UI_SAVE));
    expect(box).toHaveAccessibleDescription(UI_FORMAT_REFUSAL);
    expect(box).toHaveAccessibleDescription(/Export \(API\)/);
    await user.type(screen.getByLabelText('Name'), 'From UI');
    await user.click(screen.getByRole('button', { name: 'Import workflow' }));
    expect(api.requests).toHaveLength(0);
  });

  it('refuses text that is not JSON, and a graph without an output node', async () => {
    new FakeApi().install();
    const { user } = renderWithClient(<ImportWorkflowForm onImported={() => {}} onCancel={() => {}} />);
    await user.type(screen.getByLabelText('Name'), 'Broken');
    const box = screen.getByLabelText('Workflow JSON (API format)');
    await user.click(box);
    await user.paste('{"1": ');
    await user.click(screen.getByRole('button', { name: 'Import workflow' }));
    expect(box).toHaveAccessibleDescription(/not valid JSON/);
    await user.clear(box);
    await user.paste(JSON.stringify({ '1': { class_type: 'CLIPTextEncode', inputs: { text: 'x' } } }));
    await user.click(screen.getByRole('button', { name: 'Import workflow' }));
    expect(box).toHaveAccessibleDescription(/no output node/);
  });

  it('imports a pasted API-format graph', async () => {
    const api = new FakeApi()
      .on('POST', '/api/workflows', (req) => as('Workflow', custom({ ...(req.body as object) }), 201))
      .install();
    let imported = '';
    const { user } = renderWithClient(
      <ImportWorkflowForm onImported={(id) => (imported = id)} onCancel={() => {}} />,
    );
    await user.type(screen.getByLabelText('Name'), 'My cat workflow');
    await user.click(screen.getByLabelText('Workflow JSON (API format)'));
    await user.paste(JSON.stringify(API_GRAPH));
    await user.click(screen.getByRole('button', { name: 'Import workflow' }));
    await waitFor(() => expect(imported).toBe(custom().id));
    expect(api.requests[0]!.body).toEqual({ name: 'My cat workflow', category: 'custom', graph: API_GRAPH });
  });

  it('imports an uploaded file, naming it after the file', async () => {
    const api = new FakeApi()
      .on('POST', '/api/workflows', (req) => as('Workflow', custom({ ...(req.body as object) }), 201))
      .install();
    const { user } = renderWithClient(<ImportWorkflowForm onImported={() => {}} onCancel={() => {}} />);
    const file = new File([JSON.stringify(API_GRAPH)], 'cat-video.json', { type: 'application/json' });
    await user.upload(screen.getByLabelText('Or upload a .json file'), file);
    await waitFor(() => expect(screen.getByLabelText('Name')).toHaveValue('cat-video'));
    await user.click(screen.getByRole('button', { name: 'Import workflow' }));
    await waitFor(() => expect(api.requests).toHaveLength(1));
    expect(api.requests[0]!.body).toMatchObject({ name: 'cat-video', graph: API_GRAPH });
  });

  it('shows the server message beside the graph', async () => {
    new FakeApi()
      .on(
        'POST',
        '/api/workflows',
        apiError(
          400,
          'VALIDATION_ERROR',
          'graph: node 3 input "video" links to node 9, which does not exist',
          {
            fields: [
              { field: 'graph', message: 'node 3 input "video" links to node 9, which does not exist' },
            ],
          },
        ),
      )
      .install();
    const { user } = renderWithClient(<ImportWorkflowForm onImported={() => {}} onCancel={() => {}} />);
    await user.type(screen.getByLabelText('Name'), 'x');
    await user.click(screen.getByLabelText('Workflow JSON (API format)'));
    await user.paste(JSON.stringify(API_GRAPH));
    await user.click(screen.getByRole('button', { name: 'Import workflow' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Workflow JSON (API format)')).toHaveAccessibleDescription(
        /links to node 9/,
      ),
    );
  });
});

describe('workflow detail', () => {
  it('a built-in shows its graph and bindings, can be duplicated, not deleted or edited', () => {
    new FakeApi().install();
    const builtin = makeWorkflows()[0]!;
    renderWithClient(<WorkflowDetail workflow={builtin} highlightNodeId={null} />);
    expect(screen.getByRole('button', { name: 'Duplicate' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Edit bindings' })).not.toBeInTheDocument();
    const bindings = screen.getByRole('table');
    expect(within(bindings).getByRole('row', { name: /^Prompt/ })).toHaveTextContent(
      '#4 Positive Prompt → text',
    );
    const nodes = screen.getByRole('list', { name: 'Nodes' });
    expect(within(nodes).getAllByRole('listitem')).toHaveLength(Object.keys(builtin.graph).length);
    expect(within(nodes).getAllByText(/receives Prompt/)).toHaveLength(1);
  });

  it('edits the bindings of a custom workflow', async () => {
    const wf = custom();
    const api = new FakeApi()
      .on('PATCH', '/api/workflows/:id', (req) => as('Workflow', { ...wf, ...(req.body as object) }))
      .install();
    const { user } = renderWithClient(<WorkflowDetail workflow={wf} highlightNodeId={null} />);
    await user.click(screen.getByRole('button', { name: 'Edit bindings' }));
    await user.selectOptions(screen.getByLabelText('Negative prompt'), '#2 CLIPLoader → clip_name');
    await user.click(screen.getByRole('button', { name: 'Save bindings' }));
    await waitFor(() => expect(api.requests).toHaveLength(1));
    expect(api.requests[0]!.body).toMatchObject({
      bindings: {
        prompt: { nodeId: '1', input: 'text' },
        negativePrompt: { nodeId: '2', input: 'clip_name' },
        seed: null,
      },
    });
  });

  it('changes a value of a node (e.g. the model file) in a custom workflow', async () => {
    const wf = custom();
    const api = new FakeApi()
      .on('PATCH', '/api/workflows/:id', (req) => as('Workflow', { ...wf, ...(req.body as object) }))
      .install();
    const { user } = renderWithClient(<WorkflowDetail workflow={wf} highlightNodeId="2" />);
    await user.click(screen.getByRole('button', { name: 'Edit values of node 2' }));
    const input = screen.getByLabelText('clip_name');
    await user.clear(input);
    await user.type(input, 'other.safetensors');
    await user.click(screen.getByRole('button', { name: 'Save values' }));
    await waitFor(() => expect(api.requests).toHaveLength(1));
    const graph = (api.requests[0]!.body as { graph: typeof API_GRAPH }).graph;
    expect(graph['2'].inputs.clip_name).toBe('other.safetensors');
    expect(graph['1']).toEqual(API_GRAPH['1']);
  });

  it('deletes a custom workflow after confirming', async () => {
    const wf = custom();
    const api = new FakeApi()
      .on('DELETE', '/api/workflows/:id', { status: 204 })
      .on('GET', '/api/workflows', { status: 200, body: [] })
      .install();
    const { user } = renderWithClient(<WorkflowDetail workflow={wf} highlightNodeId={null} />);
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    await user.click(
      within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete workflow' }),
    );
    await waitFor(() => expect(api.calls('DELETE', `/api/workflows/${wf.id}`)).toHaveLength(1));
  });
});
