import type { WorkflowBindings, WorkflowGraph } from './workflow-graph.ts';

export interface BuiltinWorkflow {
  id: string;
  name: string;
  description: string;
  category: string;
  graph: WorkflowGraph;
  bindings: WorkflowBindings;
}

/** Stable ids so a fresh database and an upgraded one agree on the built-ins. */
export const BUILTIN_TEXT_TO_VIDEO_ID = '00000000-0000-4000-8000-000000000001';
export const BUILTIN_IMAGE_TO_VIDEO_ID = '00000000-0000-4000-8000-000000000002';

const NEGATIVE =
  'blurry, low quality, distorted, watermark, text artifacts, static, overexposed, worst quality, jpeg artifacts';

/** Wan 2.1 text-to-video (1.3B), as ComfyUI's own example exports it in API format. */
const textToVideo: WorkflowGraph = {
  '1': {
    class_type: 'UNETLoader',
    inputs: { unet_name: 'wan2.1_t2v_1.3B_fp16.safetensors', weight_dtype: 'default' },
    _meta: { title: 'Load Diffusion Model' },
  },
  '2': {
    class_type: 'CLIPLoader',
    inputs: { clip_name: 'umt5_xxl_fp8_e4m3fn_scaled.safetensors', type: 'wan', device: 'default' },
    _meta: { title: 'Load CLIP' },
  },
  '3': {
    class_type: 'VAELoader',
    inputs: { vae_name: 'wan_2.1_vae.safetensors' },
    _meta: { title: 'Load VAE' },
  },
  '4': {
    class_type: 'CLIPTextEncode',
    inputs: { text: 'a fox running through snow', clip: ['2', 0] },
    _meta: { title: 'Positive Prompt' },
  },
  '5': {
    class_type: 'CLIPTextEncode',
    inputs: { text: NEGATIVE, clip: ['2', 0] },
    _meta: { title: 'Negative Prompt' },
  },
  '6': {
    class_type: 'EmptyHunyuanLatentVideo',
    inputs: { width: 832, height: 480, length: 33, batch_size: 1 },
    _meta: { title: 'Empty Latent Video' },
  },
  '7': {
    class_type: 'ModelSamplingSD3',
    inputs: { shift: 8, model: ['1', 0] },
    _meta: { title: 'Model Sampling' },
  },
  '8': {
    class_type: 'KSampler',
    inputs: {
      seed: 42,
      steps: 30,
      cfg: 6,
      sampler_name: 'uni_pc',
      scheduler: 'simple',
      denoise: 1,
      model: ['7', 0],
      positive: ['4', 0],
      negative: ['5', 0],
      latent_image: ['6', 0],
    },
    _meta: { title: 'KSampler' },
  },
  '9': {
    class_type: 'VAEDecode',
    inputs: { samples: ['8', 0], vae: ['3', 0] },
    _meta: { title: 'VAE Decode' },
  },
  '10': {
    class_type: 'CreateVideo',
    inputs: { fps: 16, images: ['9', 0] },
    _meta: { title: 'Create Video' },
  },
  '11': {
    class_type: 'SaveVideo',
    inputs: { filename_prefix: 'framesmith/clip', format: 'mp4', codec: 'h264', video: ['10', 0] },
    _meta: { title: 'Save Video' },
  },
};

/** Wan 2.1 image-to-video (480p): a start image, CLIP vision conditioning, and the same sampler chain. */
const imageToVideo: WorkflowGraph = {
  '1': {
    class_type: 'UNETLoader',
    inputs: { unet_name: 'wan2.1_i2v_480p_14B_fp8_scaled.safetensors', weight_dtype: 'default' },
    _meta: { title: 'Load Diffusion Model' },
  },
  '2': {
    class_type: 'CLIPLoader',
    inputs: { clip_name: 'umt5_xxl_fp8_e4m3fn_scaled.safetensors', type: 'wan', device: 'default' },
    _meta: { title: 'Load CLIP' },
  },
  '3': {
    class_type: 'VAELoader',
    inputs: { vae_name: 'wan_2.1_vae.safetensors' },
    _meta: { title: 'Load VAE' },
  },
  '4': {
    class_type: 'CLIPVisionLoader',
    inputs: { clip_name: 'clip_vision_h.safetensors' },
    _meta: { title: 'Load CLIP Vision' },
  },
  '5': { class_type: 'LoadImage', inputs: { image: 'example.png' }, _meta: { title: 'Start Image' } },
  '6': {
    class_type: 'CLIPVisionEncode',
    inputs: { crop: 'none', clip_vision: ['4', 0], image: ['5', 0] },
    _meta: { title: 'CLIP Vision Encode' },
  },
  '7': {
    class_type: 'CLIPTextEncode',
    inputs: { text: 'the scene slowly comes to life', clip: ['2', 0] },
    _meta: { title: 'Positive Prompt' },
  },
  '8': {
    class_type: 'CLIPTextEncode',
    inputs: { text: NEGATIVE, clip: ['2', 0] },
    _meta: { title: 'Negative Prompt' },
  },
  '9': {
    class_type: 'WanImageToVideo',
    inputs: {
      width: 832,
      height: 480,
      length: 33,
      batch_size: 1,
      positive: ['7', 0],
      negative: ['8', 0],
      vae: ['3', 0],
      clip_vision_output: ['6', 0],
      start_image: ['5', 0],
    },
    _meta: { title: 'Wan Image to Video' },
  },
  '10': {
    class_type: 'ModelSamplingSD3',
    inputs: { shift: 8, model: ['1', 0] },
    _meta: { title: 'Model Sampling' },
  },
  '11': {
    class_type: 'KSampler',
    inputs: {
      seed: 42,
      steps: 20,
      cfg: 6,
      sampler_name: 'uni_pc',
      scheduler: 'simple',
      denoise: 1,
      model: ['10', 0],
      positive: ['9', 0],
      negative: ['9', 1],
      latent_image: ['9', 2],
    },
    _meta: { title: 'KSampler' },
  },
  '12': {
    class_type: 'VAEDecode',
    inputs: { samples: ['11', 0], vae: ['3', 0] },
    _meta: { title: 'VAE Decode' },
  },
  '13': {
    class_type: 'CreateVideo',
    inputs: { fps: 16, images: ['12', 0] },
    _meta: { title: 'Create Video' },
  },
  '14': {
    class_type: 'SaveVideo',
    inputs: { filename_prefix: 'framesmith/clip', format: 'mp4', codec: 'h264', video: ['13', 0] },
    _meta: { title: 'Save Video' },
  },
};

export const BUILTIN_WORKFLOWS: readonly BuiltinWorkflow[] = [
  {
    id: BUILTIN_TEXT_TO_VIDEO_ID,
    name: 'Text to video (Wan 2.1)',
    description: 'Generates a clip from a prompt with Wan 2.1 T2V 1.3B.',
    category: 'text-to-video',
    graph: textToVideo,
    bindings: {
      prompt: { nodeId: '4', input: 'text' },
      negativePrompt: { nodeId: '5', input: 'text' },
      seed: { nodeId: '8', input: 'seed' },
      steps: { nodeId: '8', input: 'steps' },
      cfg: { nodeId: '8', input: 'cfg' },
      width: { nodeId: '6', input: 'width' },
      height: { nodeId: '6', input: 'height' },
      frames: { nodeId: '6', input: 'length' },
      fps: { nodeId: '10', input: 'fps' },
      inputImage: null,
    },
  },
  {
    id: BUILTIN_IMAGE_TO_VIDEO_ID,
    name: 'Image to video (Wan 2.1)',
    description: 'Animates a start image with Wan 2.1 I2V 480p, guided by a prompt.',
    category: 'image-to-video',
    graph: imageToVideo,
    bindings: {
      prompt: { nodeId: '7', input: 'text' },
      negativePrompt: { nodeId: '8', input: 'text' },
      seed: { nodeId: '11', input: 'seed' },
      steps: { nodeId: '11', input: 'steps' },
      cfg: { nodeId: '11', input: 'cfg' },
      width: { nodeId: '9', input: 'width' },
      height: { nodeId: '9', input: 'height' },
      frames: { nodeId: '9', input: 'length' },
      fps: { nodeId: '13', input: 'fps' },
      inputImage: { nodeId: '5', input: 'image' },
    },
  },
];
