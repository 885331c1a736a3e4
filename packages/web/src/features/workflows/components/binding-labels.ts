import type { BindingName } from '@framesmith/core/workflow-graph';

/** What each binding receives, in words. */
export const BINDING_LABELS: Record<BindingName, string> = {
  prompt: 'Prompt',
  negativePrompt: 'Negative prompt',
  seed: 'Seed',
  width: 'Width',
  height: 'Height',
  frames: 'Length (frames)',
  fps: 'Frames per second',
  inputImage: 'Input image',
  steps: 'Steps',
  cfg: 'CFG scale',
};
