import { z } from 'zod';

/**
 * The error taxonomy: the contract between workers, the API, the UI and the tests
 * (ARCHITECTURE §7). Codes are declared once here; everything else imports them.
 */
export const ErrorCode = z.enum([
  'COMFYUI_CONNECTION_ERROR',
  'COMFYUI_TIMEOUT',
  'COMFYUI_WORKFLOW_ERROR',
  'COMFYUI_MISSING_NODE',
  'COMFYUI_MISSING_MODEL',
  'COMFYUI_INVALID_PARAMETERS',
  'COMFYUI_INPUT_MISSING',
  'COMFYUI_OUT_OF_MEMORY',
  'COMFYUI_GENERATION_ERROR',
  'COMFYUI_INTERRUPTED',
  'COMFYUI_PROMPT_LOST',
  'COMFYUI_OUTPUT_ERROR',
  'COMPOSITION_ERROR',
  'INTERNAL_ERROR',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;
export const ERROR_CODES: readonly ErrorCode[] = ErrorCode.options;

export const Severity = z.enum(['warning', 'error', 'critical']);
export type Severity = z.infer<typeof Severity>;

export interface ErrorCopy {
  /** Short heading shown on the error card. */
  title: string;
  /** What happened, for a person: no URLs, paths, stack traces or raw exception text. */
  message: string;
  /** What to do next, in order of usefulness. */
  tips: readonly string[];
  severity: Severity;
  retryable: boolean;
  /** For a permanent error: what the user has to change before trying again. */
  fix?: string;
}

/**
 * Complete record (not Partial): a new code without copy or a retry decision fails the type check.
 */
export const ERROR_TAXONOMY: Readonly<Record<ErrorCode, ErrorCopy>> = {
  COMFYUI_CONNECTION_ERROR: {
    title: 'Cannot reach the video generation service',
    message: 'Cannot connect to video generation service. The GPU server did not answer.',
    tips: [
      'Please try again in a few moments; the server may be restarting.',
      'Check the backends indicator in the header to see which servers are up.',
      'If it keeps happening, ask your operator to check that ComfyUI is running.',
    ],
    severity: 'error',
    retryable: true,
  },
  COMFYUI_TIMEOUT: {
    title: 'Generation took too long',
    message: 'The video generation service did not finish in time.',
    tips: [
      'Try again: the server may have been busy with other work.',
      'Shorter clips, fewer frames or a smaller size generate faster.',
      'An operator can raise the generation timeout if long clips are expected.',
    ],
    severity: 'warning',
    retryable: true,
  },
  COMFYUI_WORKFLOW_ERROR: {
    title: 'The workflow cannot be used',
    message: 'The workflow for this segment is not a valid ComfyUI API-format graph.',
    tips: [
      'In ComfyUI, use "Export (API)" and import that file, not the regular save.',
      'Check that the workflow has an output node, such as Save Video.',
      'Open the workflow in the library to see which node is at fault.',
    ],
    severity: 'error',
    retryable: false,
    fix: 'Fix or replace the workflow, then generate again.',
  },
  COMFYUI_MISSING_NODE: {
    title: 'A workflow node is not installed',
    message: 'The workflow uses a node type that is not installed on the GPU server.',
    tips: [
      'Install the custom node pack that provides it on the ComfyUI server.',
      'Or pick a workflow that uses only installed nodes.',
    ],
    severity: 'error',
    retryable: false,
    fix: 'Install the missing node on the server, or choose another workflow.',
  },
  COMFYUI_MISSING_MODEL: {
    title: 'A model file is missing',
    message: 'The workflow asks for a model file that the GPU server does not have.',
    tips: [
      'Pick a model that is installed in the workflow settings.',
      'Or ask your operator to download the model to the ComfyUI models folder.',
    ],
    severity: 'error',
    retryable: false,
    fix: 'Choose an installed model in the workflow settings.',
  },
  COMFYUI_INVALID_PARAMETERS: {
    title: 'A setting is not accepted',
    message: 'One of the settings is out of range, of the wrong type, or not an allowed choice.',
    tips: [
      'Check the size, length, frame rate and seed of this segment.',
      'Open the technical details to see which setting was refused.',
    ],
    severity: 'error',
    retryable: false,
    fix: 'Change the refused setting, then generate again.',
  },
  COMFYUI_INPUT_MISSING: {
    title: 'An input file is missing',
    message: 'The workflow loads an image or video that is not on the GPU server.',
    tips: [
      'Upload the input image again, or choose another one.',
      'Check that the file name in the segment settings is right.',
    ],
    severity: 'error',
    retryable: false,
    fix: 'Provide the input image or video, then generate again.',
  },
  COMFYUI_OUT_OF_MEMORY: {
    title: 'The GPU ran out of memory',
    message: 'The GPU server ran out of memory while generating this clip.',
    tips: [
      'Try again: memory may be free now that other work has finished.',
      'A smaller size or fewer frames needs less memory.',
    ],
    severity: 'error',
    retryable: true,
  },
  COMFYUI_GENERATION_ERROR: {
    title: 'Generation failed',
    message: 'A step of the workflow failed while generating the clip.',
    tips: [
      'Try again: many generation failures are transient.',
      'If it fails the same way again, open the technical details to see which node failed.',
    ],
    severity: 'error',
    retryable: true,
  },
  COMFYUI_INTERRUPTED: {
    title: 'Generation was interrupted',
    message: 'The generation was stopped on the GPU server before it finished.',
    tips: ['Try again.', 'Someone may have pressed cancel on the ComfyUI server itself.'],
    severity: 'warning',
    retryable: true,
  },
  COMFYUI_PROMPT_LOST: {
    title: 'The GPU server lost the job',
    message: 'The GPU server accepted the job and then lost it, probably because it restarted.',
    tips: ['Try again: the job will be sent again.', 'If servers restart often, tell your operator.'],
    severity: 'warning',
    retryable: true,
  },
  COMFYUI_OUTPUT_ERROR: {
    title: 'No usable video was produced',
    message: 'Generation finished but did not produce a playable video.',
    tips: [
      'Check that the workflow ends in a node that saves a video, such as Save Video.',
      'Open the technical details to see what was produced instead.',
    ],
    severity: 'error',
    retryable: false,
    fix: 'Make sure the workflow saves a video, then generate again.',
  },
  COMPOSITION_ERROR: {
    title: 'The clips could not be joined',
    message: 'Stitching the clips into the final video failed.',
    tips: [
      'Render again; the clips are kept, so only the joining step runs.',
      'If it keeps failing, regenerate the segment whose clip looks wrong.',
    ],
    severity: 'error',
    retryable: false,
    fix: 'Render again, or regenerate a clip that looks wrong.',
  },
  INTERNAL_ERROR: {
    title: 'Something went wrong on our side',
    message: 'An unexpected error happened in Framesmith itself.',
    tips: ['Try again.', 'If it happens again, report it to your operator with the error code.'],
    severity: 'critical',
    retryable: false,
  },
};

/** Exhaustive: the record above is the single place retryability is decided. */
export function isRetryable(code: ErrorCode): boolean {
  return ERROR_TAXONOMY[code].retryable;
}

export function describeError(code: ErrorCode): ErrorCopy {
  return ERROR_TAXONOMY[code];
}
