import { ERROR_CODES, ERROR_TAXONOMY } from '@framesmith/core/error-taxonomy';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { makePublicError } from '../testing/factories.ts';
import { ErrorCard } from './error-card.tsx';

describe('ErrorCard, for every code in the taxonomy', () => {
  it.each(ERROR_CODES)(
    '%s: title, message, tips, code, technical details, and Retry only when retryable',
    async (code) => {
      const copy = ERROR_TAXONOMY[code];
      const error = makePublicError(code, {
        nodeId: '8',
        nodeType: 'KSampler',
        exceptionType: 'RuntimeError',
      });
      const onRetry = vi.fn();
      render(
        <ErrorCard error={error} onRetry={onRetry} workflowHref="/workflows/w1" onEditSettings={() => {}} />,
      );

      const card = screen.getByRole('article', { name: copy.title });
      expect(within(card).getByRole('heading', { name: copy.title })).toBeInTheDocument();
      expect(within(card).getByText(copy.message)).toBeInTheDocument();
      for (const tip of copy.tips) expect(within(card).getByText(tip)).toBeInTheDocument();
      // The code, in monospace.
      const codeEl = within(card).getByText(code);
      expect(codeEl.tagName).toBe('CODE');
      // Technical details are there, folded away until asked for.
      const summary = within(card).getByText('Technical details');
      const details = summary.closest('details')!;
      expect(details.open).toBe(false);
      await userEvent.click(summary);
      expect(details.open).toBe(true);
      expect(within(details).getByText('KSampler')).toBeInTheDocument();
      expect(within(details).getByText('RuntimeError')).toBeInTheDocument();

      const retry = within(card).queryByRole('button', { name: /retry/i });
      if (copy.retryable) {
        expect(within(card).getByText('Temporary')).toBeInTheDocument();
        expect(retry).toBeInTheDocument();
        await userEvent.click(retry!);
        expect(onRetry).toHaveBeenCalledTimes(1);
      } else {
        expect(within(card).getByText('Needs a change')).toBeInTheDocument();
        expect(retry).not.toBeInTheDocument();
        if (copy.fix)
          expect(within(card).getByText(/What to change/).parentElement).toHaveTextContent(copy.fix);
      }
    },
  );

  it('a missing model names the model and leads to the workflow settings, at the node', () => {
    const error = makePublicError('COMFYUI_MISSING_MODEL', {
      nodeId: '1',
      nodeType: 'UNETLoader',
      inputName: 'unet_name',
      receivedValue: 'wan2.1_t2v_14B_fp16.safetensors',
      suggestions: ['wan2.1_t2v_1.3B_fp16.safetensors'],
    });
    render(<ErrorCard error={error} workflowHref="/workflows/w1#node-1" onRetry={() => {}} />);
    const card = screen.getByRole('article', { name: 'A model file is missing' });
    expect(within(card).getByText(/Missing model/).parentElement).toHaveTextContent(
      'Missing model: wan2.1_t2v_14B_fp16.safetensors (input unet_name of UNETLoader).',
    );
    expect(within(card).getByText(/^Available:/)).toHaveTextContent('wan2.1_t2v_1.3B_fp16.safetensors');
    expect(within(card).getByRole('link', { name: 'Open workflow settings' })).toHaveAttribute(
      'href',
      '/workflows/w1#node-1',
    );
    expect(within(card).queryByRole('button', { name: /retry/i })).not.toBeInTheDocument();
  });

  it('a missing node names the node type', () => {
    const error = makePublicError('COMFYUI_MISSING_NODE', { missing: ['VHS_VideoCombine'] });
    render(<ErrorCard error={error} workflowHref="/workflows/w1" />);
    expect(screen.getByText(/Not installed/)).toHaveTextContent('Not installed: VHS_VideoCombine.');
  });

  it('a refused setting names it and offers to edit the segment', async () => {
    const onEdit = vi.fn();
    const error = makePublicError('COMFYUI_INVALID_PARAMETERS', { inputName: 'steps', receivedValue: 999 });
    render(<ErrorCard error={error} onEditSettings={onEdit} />);
    expect(screen.getByText(/Refused setting/)).toHaveTextContent('Refused setting: steps = 999.');
    await userEvent.click(screen.getByRole('button', { name: 'Edit segment settings' }));
    expect(onEdit).toHaveBeenCalled();
  });

  it('while retrying, the button says so and cannot be pressed twice', () => {
    render(<ErrorCard error={makePublicError('COMFYUI_CONNECTION_ERROR')} onRetry={() => {}} retrying />);
    const button = screen.getByRole('button', { name: /retrying/i });
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute('aria-busy', 'true');
  });

  it('says why a retry did not go through', () => {
    render(
      <ErrorCard
        error={makePublicError('COMFYUI_TIMEOUT')}
        onRetry={() => {}}
        retryError="This segment has not failed."
      />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('This segment has not failed.');
  });

  it('never shows a URL or file path from the technical detail', () => {
    const error = makePublicError('COMFYUI_GENERATION_ERROR', {
      exceptionMessage: 'failed at http://10.0.0.5:8188/prompt reading /opt/comfy/models/x.safetensors',
    });
    const { container } = render(<ErrorCard error={error} />);
    expect(container.textContent).not.toMatch(/10\.0\.0\.5|\/opt\/comfy/);
  });
});
