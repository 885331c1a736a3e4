import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SegmentStatus } from '@framesmith/core';
import { renderJobProgress, type RenderSegmentState } from '@framesmith/db/queries/render-jobs';
import { decideRenderStep } from '../../src/render-accounting.ts';

const seg = (status: SegmentStatus, over: Partial<RenderSegmentState> = {}): RenderSegmentState => ({
  id: `s-${Math.random()}`,
  position: 0,
  status,
  progress: status === 'completed' ? 1 : 0,
  outputAssetId: status === 'completed' ? 'asset' : null,
  errorCode: status === 'failed' ? 'COMFYUI_MISSING_MODEL' : null,
  errorMessage: status === 'failed' ? 'A model is missing' : null,
  ...over,
});

test('waits while any segment is queued or generating, even after a failure', () => {
  assert.deepEqual(decideRenderStep([seg('completed'), seg('generating')]), { step: 'wait' });
  assert.deepEqual(decideRenderStep([seg('failed'), seg('queued')]), { step: 'wait' });
});

test('composes when every segment has its clip', () => {
  assert.deepEqual(decideRenderStep([seg('completed'), seg('completed')]), { step: 'compose' });
});

test('fails with a summary and the first error when a segment failed', () => {
  const step = decideRenderStep([
    seg('completed'),
    seg('failed'),
    seg('failed', { errorCode: 'COMFYUI_CONNECTION_ERROR', errorMessage: 'down' }),
  ]);
  assert.deepEqual(step, {
    step: 'fail',
    summary: '2 of 3 segments failed (COMFYUI_MISSING_MODEL ×1, COMFYUI_CONNECTION_ERROR ×1); 1 completed.',
    firstError: { code: 'COMFYUI_MISSING_MODEL', message: 'A model is missing' },
  });
});

test('ends cancelled when segments were cancelled or edited, and when all were deleted', () => {
  assert.deepEqual(decideRenderStep([seg('completed'), seg('cancelled'), seg('pending')]), {
    step: 'cancel',
    summary:
      '1 cancelled and 1 edited during the render of 3 segments; 1 completed. Render again to finish the video.',
  });
  assert.equal(decideRenderStep([]).step, 'cancel');
});

test('progress is derived from the segments: generation fills 90 %, composition the rest', () => {
  const states = [seg('completed'), seg('generating', { progress: 0.5 }), seg('queued'), seg('failed')];
  assert.equal(renderJobProgress('generating', states), (0.9 * 1.5) / 4);
  assert.equal(renderJobProgress('compositing', states), 0.9);
  assert.equal(renderJobProgress('completed', states), 1);
  assert.equal(renderJobProgress('queued', []), 0);
});
