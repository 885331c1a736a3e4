/**
 * The exceptions a node raises at run time, as ComfyUI reports them in execution_error
 * (protocol §3 and §5): exception_type strings, str(ex) texts, OOM tips, fake tracebacks and
 * the str() of non-primitive inputs in current_inputs.
 */
import { PyError } from './py.ts';

export const OOM_TIPS =
  'This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.';

export interface NodeFailure {
  exceptionType: string;
  /** str(ex), before ComfyUI appends "\n" + tips. */
  text: string;
  /** v0.3.64 adds the OOM tips only for torch.cuda.OutOfMemoryError (not AcceleratorError). */
  oomTips: boolean;
}

export function oomFailure(variant: string | undefined): NodeFailure {
  switch (variant) {
    case 'cuda':
      return {
        exceptionType: 'torch.cuda.OutOfMemoryError',
        text: 'Allocation on device 0 would exceed allowed memory. (out of memory)\nCurrently allocated     : 22.61 GiB\nRequested               : 2.50 GiB\nDevice limit            : 23.99 GiB\nFree (according to CUDA): 0 bytes\nPyTorch limit (set by user-supplied memory fraction)\n                        : 17179869184.00 GiB',
        oomTips: true,
      };
    case 'accelerator':
      return {
        exceptionType: 'torch.AcceleratorError',
        text: "CUDA error: out of memory\nSearch for `cudaErrorMemoryAllocation' in https://docs.nvidia.com/cuda/cuda-runtime-api/group__CUDART__TYPES.html for more information.\nCUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1\nCompile with `TORCH_USE_CUDA_DSA` to enable device-side assertions.\n",
        oomTips: false,
      };
    case 'hip':
      return {
        exceptionType: 'torch.OutOfMemoryError',
        text: 'HIP out of memory. Tried to allocate 6.46 GiB. GPU 0 has a total capacity of 23.98 GiB of which 2.67 GiB is free. Of the allocated memory 19.95 GiB is allocated by PyTorch, and 1.07 GiB is reserved by PyTorch but unallocated.',
        oomTips: true,
      };
    case 'size':
      return {
        exceptionType: 'torch.OutOfMemoryError',
        text: 'CUDA out of memory. Tried to allocate 31.64 GiB. GPU 0 has a total capacity of 23.99 GiB of which 9.87 GiB is free. Of the allocated memory 12.61 GiB is allocated by PyTorch, and 612.44 MiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.',
        oomTips: true,
      };
    default:
      return { exceptionType: 'torch.OutOfMemoryError', text: 'Allocation on device ', oomTips: true };
  }
}

export function missingModelFailure(folder: string, filename: string): NodeFailure {
  return {
    exceptionType: 'FileNotFoundError',
    text: `Model in folder '${folder}' with filename '${filename}' not found.`,
    oomTips: false,
  };
}

export function nodeFailure(exceptionType?: string, message?: string): NodeFailure {
  return {
    exceptionType: exceptionType ?? 'RuntimeError',
    text:
      message ??
      'Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu! (when checking argument for argument mat1 in method wrapper_CUDA_addmm)',
    oomTips: false,
  };
}

/** ComfyUI's `exception_message`: `"{ex}\n{tips}"`, so it always ends with the tips or a bare newline. */
export function exceptionMessage(f: NodeFailure): string {
  return `${f.text}\n${f.oomTips ? OOM_TIPS : ''}`;
}

export function failureFromError(err: unknown): NodeFailure {
  if (err instanceof PyError) return { exceptionType: err.pyType, text: err.message, oomTips: false };
  return {
    exceptionType: 'Exception',
    text: err instanceof Error ? err.message : String(err),
    oomTips: false,
  };
}

export function fakeExecutionTraceback(classType: string): string[] {
  return [
    '  File "/ComfyUI/execution.py", line 496, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, hidden_inputs=hidden_inputs)\n',
    '  File "/ComfyUI/execution.py", line 315, in get_output_data\n    return_values = await _async_map_node_over_list(prompt_id, unique_id, obj, input_data_all, obj.FUNCTION, allow_interrupt=True, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, hidden_inputs=hidden_inputs)\n',
    `  File "/ComfyUI/execution.py", line 289, in _async_map_node_over_list\n    await process_inputs(input_dict, i)\n`,
    `  File "/ComfyUI/nodes.py", line 1525, in ${classType === 'KSampler' ? 'sample' : 'execute'}\n    return common_ksampler(model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_image, denoise=denoise)\n`,
  ];
}

const OPAQUE_REPR: Record<string, string> = {
  MODEL: '<comfy.model_patcher.ModelPatcher object at 0x7f2c1c3b5e50>',
  CLIP: '<comfy.sd.CLIP object at 0x7f2c1c3b6a10>',
  VAE: '<comfy.sd.VAE object at 0x7f2c1c3b7c40>',
  CLIP_VISION: '<comfy.clip_vision.ClipVisionModel object at 0x7f2c1c3b8d30>',
  CLIP_VISION_OUTPUT: '<comfy.clip_vision.Output object at 0x7f2c1c3b9e20>',
  CONDITIONING:
    "[[tensor([[[ 0.0271, -0.0134,  0.0402,  ..., -0.0087,  0.0151,  0.0033]]]), {'pooled_output': None}]]",
  LATENT: "{'samples': tensor([[[[[0., 0., 0.,  ..., 0., 0., 0.]]]]])}",
  IMAGE: 'tensor([[[[0.5020, 0.5020, 0.5020],\n          ...,\n          [0.5020, 0.5020, 0.5020]]]])',
  MASK: 'tensor([[[0., 0., 0.,  ..., 0., 0., 0.]]])',
  VIDEO: '<comfy_api.latest._input_impl.video_types.VideoFromComponents object at 0x7f2c1c3bae80>',
};

/** `format_value` of a node input: primitives as they are, anything else as its str(). */
export function formatInputValue(value: unknown, linkedType: string | null): unknown {
  if (linkedType !== null)
    return OPAQUE_REPR[linkedType] ?? `<object of type ${linkedType} at 0x7f2c1c3bbf10>`;
  if (value === null || ['number', 'boolean', 'string'].includes(typeof value)) return value;
  return JSON.stringify(value);
}
