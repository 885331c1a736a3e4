/**
 * The simulator's installed nodes: the input specs, outputs and output_node flags of the real
 * ComfyUI v0.3.64 nodes (nodes.py, comfy_extras/*) and VideoHelperSuite's VHS_VideoCombine, rendered
 * in /object_info's shape. Model combos come from the model lists; LoadImage's from the input folder.
 */
import type { ExtraNodeDef } from './types.ts';

/** `[type, options]` as in INPUT_TYPES; type is a string, or a list of choices for a V1 combo. */
export type InputSpec = [string | string[]] | [string | string[], Record<string, unknown>];

export interface NodeClass {
  name: string;
  display_name: string;
  description: string;
  python_module: string;
  category: string;
  input: {
    required: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, string | [string]>;
  };
  output: string[];
  output_is_list: boolean[];
  output_name: string[];
  output_node: boolean;
  output_tooltips?: (string | null)[];
  /** A V3 node (io.ComfyNode): /object_info carries deprecated/experimental/api_node. */
  v3?: boolean;
  /** Inputs taken by the node's VALIDATE_INPUTS: ComfyUI skips their min/max/combo checks and calls it. */
  validateInputs?: string[];
}

export type ModelLists = Record<string, string[]>;

/** Folder keys in folder_paths order (what GET /models lists). */
export const MODEL_FOLDERS = [
  'checkpoints',
  'configs',
  'loras',
  'vae',
  'text_encoders',
  'diffusion_models',
  'clip_vision',
  'style_models',
  'embeddings',
  'diffusers',
  'vae_approx',
  'controlnet',
  'gligen',
  'upscale_models',
  'custom_nodes',
  'hypernetworks',
  'photomaker',
  'classifiers',
  'model_patches',
  'audio_encoders',
] as const;

/** Installed model files. Includes everything the built-in workflows (packages/core) load. */
export const DEFAULT_MODELS: ModelLists = {
  checkpoints: [
    'ltx-video-2b-v0.9.5.safetensors',
    'sd_xl_base_1.0.safetensors',
    'v1-5-pruned-emaonly-fp16.safetensors',
  ],
  configs: [],
  loras: ['wan2.1_t2v_lightx2v_lora.safetensors'],
  vae: ['hunyuan_video_vae_bf16.safetensors', 'wan2.2_vae.safetensors', 'wan_2.1_vae.safetensors'],
  text_encoders: [
    'clip_l.safetensors',
    'llava_llama3_fp8_scaled.safetensors',
    't5xxl_fp16.safetensors',
    'umt5_xxl_fp8_e4m3fn_scaled.safetensors',
  ],
  diffusion_models: [
    'hunyuan_video_t2v_720p_bf16.safetensors',
    'wan2.1_i2v_480p_14B_fp8_scaled.safetensors',
    'wan2.1_i2v_720p_14B_fp8_scaled.safetensors',
    'wan2.1_t2v_1.3B_fp16.safetensors',
    'wan2.1_t2v_14B_fp8_scaled.safetensors',
  ],
  clip_vision: ['clip_vision_h.safetensors'],
  style_models: [],
  embeddings: [],
  diffusers: [],
  vae_approx: [],
  controlnet: [],
  gligen: [],
  upscale_models: [],
  custom_nodes: [],
  hypernetworks: [],
  photomaker: [],
  classifiers: [],
  model_patches: [],
  audio_encoders: [],
};

/** Which model folder each loader input reads (for missing-model faults and runtime FileNotFoundError). */
export const MODEL_INPUTS: Record<string, Record<string, string>> = {
  CheckpointLoaderSimple: { ckpt_name: 'checkpoints' },
  UNETLoader: { unet_name: 'diffusion_models' },
  CLIPLoader: { clip_name: 'text_encoders' },
  DualCLIPLoader: { clip_name1: 'text_encoders', clip_name2: 'text_encoders' },
  VAELoader: { vae_name: 'vae' },
  CLIPVisionLoader: { clip_name: 'clip_vision' },
  LoraLoaderModelOnly: { lora_name: 'loras' },
};

export const MAX_RESOLUTION = 16384;
/** 0xffffffffffffffff as a double (2**64); toComfyJson prints it as the exact integer ComfyUI sends. */
export const SEED_MAX = 2 ** 64;

const KSAMPLER_NAMES = [
  'euler',
  'euler_cfg_pp',
  'euler_ancestral',
  'euler_ancestral_cfg_pp',
  'heun',
  'heunpp2',
  'dpm_2',
  'dpm_2_ancestral',
  'lms',
  'dpm_fast',
  'dpm_adaptive',
  'dpmpp_2s_ancestral',
  'dpmpp_2s_ancestral_cfg_pp',
  'dpmpp_sde',
  'dpmpp_sde_gpu',
  'dpmpp_2m',
  'dpmpp_2m_cfg_pp',
  'dpmpp_2m_sde',
  'dpmpp_2m_sde_gpu',
  'dpmpp_2m_sde_heun',
  'dpmpp_2m_sde_heun_gpu',
  'dpmpp_3m_sde',
  'dpmpp_3m_sde_gpu',
  'ddpm',
  'lcm',
  'ipndm',
  'ipndm_v',
  'deis',
  'res_multistep',
  'res_multistep_cfg_pp',
  'res_multistep_ancestral',
  'res_multistep_ancestral_cfg_pp',
  'gradient_estimation',
  'gradient_estimation_cfg_pp',
  'er_sde',
  'seeds_2',
  'seeds_3',
  'sa_solver',
  'sa_solver_pece',
];
export const SAMPLER_NAMES = [...KSAMPLER_NAMES, 'ddim', 'uni_pc', 'uni_pc_bh2'];
export const SCHEDULER_NAMES = [
  'simple',
  'sgm_uniform',
  'karras',
  'exponential',
  'ddim_uniform',
  'beta',
  'normal',
  'linear_quadratic',
  'kl_optimal',
];
const CLIP_TYPES = [
  'stable_diffusion',
  'stable_cascade',
  'sd3',
  'stable_audio',
  'mochi',
  'ltxv',
  'pixart',
  'cosmos',
  'lumina2',
  'wan',
  'hidream',
  'chroma',
  'ace',
  'omnigen2',
  'qwen_image',
  'hunyuan_image',
];
export const VHS_FORMATS = [
  'image/gif',
  'image/webp',
  'video/16bit-png',
  'video/8bit-png',
  'video/av1-webm',
  'video/ffmpeg-gif',
  'video/h264-mp4',
  'video/h265-mp4',
  'video/nvenc_av1-mp4',
  'video/nvenc_h264-mp4',
  'video/nvenc_hevc-mp4',
  'video/ProRes',
  'video/webm',
];

const IMAGE_EXTENSIONS = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.gif',
  '.bmp',
  '.tif',
  '.tiff',
  '.avif',
]);

export function isImageFileName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && IMAGE_EXTENSIONS.has(name.slice(dot).toLowerCase());
}

interface V1Def {
  display?: string;
  description?: string;
  module?: string;
  category: string;
  required: Record<string, InputSpec>;
  optional?: Record<string, InputSpec>;
  hidden?: Record<string, string | [string]>;
  output: string[];
  outputNames?: string[];
  outputTooltips?: string[];
  outputNode?: boolean;
  validateInputs?: string[];
}

function v1(name: string, d: V1Def): NodeClass {
  const node: NodeClass = {
    name,
    display_name: d.display ?? name,
    description: d.description ?? '',
    python_module: d.module ?? 'nodes',
    category: d.category,
    input: { required: d.required },
    output: d.output,
    output_is_list: d.output.map(() => false),
    output_name: d.outputNames ?? d.output,
    output_node: d.outputNode ?? false,
  };
  if (d.optional) node.input.optional = d.optional;
  if (d.hidden) node.input.hidden = d.hidden;
  if (d.outputTooltips) node.output_tooltips = d.outputTooltips;
  if (d.validateInputs) node.validateInputs = d.validateInputs;
  return node;
}

function v3(name: string, d: V1Def): NodeClass {
  const node = v1(name, d);
  node.v3 = true;
  node.output_tooltips = d.output.map(() => null);
  return node;
}

const PROMPT_HIDDEN = { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' } as const;

export interface CatalogContext {
  models: ModelLists;
  /** Files in the input folder (LoadImage's combo). */
  inputFiles: string[];
  removeNodes?: readonly string[];
  extraNodes?: Record<string, ExtraNodeDef>;
}

/** Every installed node class, keyed by class name, in registration order. */
export function buildCatalog(ctx: CatalogContext): Record<string, NodeClass> {
  const m = (folder: string) => [...(ctx.models[folder] ?? [])];
  const images = ctx.inputFiles.filter(isImageFileName).sort();
  const nodes: NodeClass[] = [
    v1('KSampler', {
      display: 'KSampler',
      category: 'sampling',
      description: 'Uses the provided model, positive and negative conditioning to denoise the latent image.',
      required: {
        model: ['MODEL', { tooltip: 'The model used for denoising the input latent.' }],
        seed: [
          'INT',
          {
            default: 0,
            min: 0,
            max: SEED_MAX,
            control_after_generate: true,
            tooltip: 'The random seed used for creating the noise.',
          },
        ],
        steps: [
          'INT',
          { default: 20, min: 1, max: 10000, tooltip: 'The number of steps used in the denoising process.' },
        ],
        cfg: ['FLOAT', { default: 8.0, min: 0.0, max: 100.0, step: 0.1, round: 0.01 }],
        sampler_name: [SAMPLER_NAMES, { tooltip: 'The algorithm used when sampling.' }],
        scheduler: [SCHEDULER_NAMES, { tooltip: 'The scheduler controls how noise is gradually removed.' }],
        positive: [
          'CONDITIONING',
          { tooltip: 'The conditioning describing the attributes you want to include.' },
        ],
        negative: [
          'CONDITIONING',
          { tooltip: 'The conditioning describing the attributes you want to exclude.' },
        ],
        latent_image: ['LATENT', { tooltip: 'The latent image to denoise.' }],
        denoise: ['FLOAT', { default: 1.0, min: 0.0, max: 1.0, step: 0.01 }],
      },
      output: ['LATENT'],
      outputTooltips: ['The denoised latent.'],
    }),
    v1('CheckpointLoaderSimple', {
      display: 'Load Checkpoint',
      category: 'loaders',
      description: 'Loads a diffusion model checkpoint, diffusion models are used to denoise latents.',
      required: { ckpt_name: [m('checkpoints'), { tooltip: 'The name of the checkpoint (model) to load.' }] },
      output: ['MODEL', 'CLIP', 'VAE'],
      outputTooltips: [
        'The model used for denoising latents.',
        'The CLIP model used for encoding text prompts.',
        'The VAE model used for encoding and decoding images to and from latent space.',
      ],
    }),
    v1('CLIPTextEncode', {
      display: 'CLIP Text Encode (Prompt)',
      category: 'conditioning',
      description:
        'Encodes a text prompt using a CLIP model into an embedding that can be used to guide the diffusion model towards generating specific images.',
      required: {
        text: ['STRING', { multiline: true, dynamicPrompts: true, tooltip: 'The text to be encoded.' }],
        clip: ['CLIP', { tooltip: 'The CLIP model used for encoding the text.' }],
      },
      output: ['CONDITIONING'],
      outputTooltips: ['A conditioning containing the embedded text used to guide the diffusion model.'],
    }),
    v1('VAEDecode', {
      display: 'VAE Decode',
      category: 'latent',
      description: 'Decodes latent images back into pixel space images.',
      required: {
        samples: ['LATENT', { tooltip: 'The latent to be decoded.' }],
        vae: ['VAE', { tooltip: 'The VAE model used for decoding the latent.' }],
      },
      output: ['IMAGE'],
      outputTooltips: ['The decoded image.'],
    }),
    v1('VAELoader', {
      display: 'Load VAE',
      category: 'loaders',
      required: { vae_name: [[...m('vae'), 'pixel_space']] },
      output: ['VAE'],
    }),
    v1('EmptyLatentImage', {
      display: 'Empty Latent Image',
      category: 'latent',
      description: 'Create a new batch of empty latent images to be denoised via sampling.',
      required: {
        width: ['INT', { default: 512, min: 16, max: MAX_RESOLUTION, step: 8 }],
        height: ['INT', { default: 512, min: 16, max: MAX_RESOLUTION, step: 8 }],
        batch_size: ['INT', { default: 1, min: 1, max: 4096 }],
      },
      output: ['LATENT'],
      outputTooltips: ['The empty latent image batch.'],
    }),
    v1('SaveImage', {
      display: 'Save Image',
      category: 'image',
      description: 'Saves the input images to your ComfyUI output directory.',
      required: {
        images: ['IMAGE', { tooltip: 'The images to save.' }],
        filename_prefix: ['STRING', { default: 'ComfyUI', tooltip: 'The prefix for the file to save.' }],
      },
      hidden: PROMPT_HIDDEN,
      output: [],
      outputNode: true,
    }),
    v1('LoadImage', {
      display: 'Load Image',
      category: 'image',
      required: { image: [images, { image_upload: true }] },
      output: ['IMAGE', 'MASK'],
      validateInputs: ['image'],
    }),
    v1('CLIPVisionLoader', {
      display: 'Load CLIP Vision',
      category: 'loaders',
      required: { clip_name: [m('clip_vision')] },
      output: ['CLIP_VISION'],
    }),
    v1('CLIPVisionEncode', {
      display: 'CLIP Vision Encode',
      category: 'conditioning',
      required: { clip_vision: ['CLIP_VISION'], image: ['IMAGE'], crop: [['center', 'none']] },
      output: ['CLIP_VISION_OUTPUT'],
    }),
    v1('KSamplerAdvanced', {
      display: 'KSampler (Advanced)',
      category: 'sampling',
      required: {
        model: ['MODEL'],
        add_noise: [['enable', 'disable']],
        noise_seed: ['INT', { default: 0, min: 0, max: SEED_MAX, control_after_generate: true }],
        steps: ['INT', { default: 20, min: 1, max: 10000 }],
        cfg: ['FLOAT', { default: 8.0, min: 0.0, max: 100.0, step: 0.1, round: 0.01 }],
        sampler_name: [SAMPLER_NAMES],
        scheduler: [SCHEDULER_NAMES],
        positive: ['CONDITIONING'],
        negative: ['CONDITIONING'],
        latent_image: ['LATENT'],
        start_at_step: ['INT', { default: 0, min: 0, max: 10000 }],
        end_at_step: ['INT', { default: 10000, min: 0, max: 10000 }],
        return_with_leftover_noise: [['disable', 'enable']],
      },
      output: ['LATENT'],
    }),
    v1('UNETLoader', {
      display: 'Load Diffusion Model',
      category: 'advanced/loaders',
      required: {
        unet_name: [m('diffusion_models')],
        weight_dtype: [['default', 'fp8_e4m3fn', 'fp8_e4m3fn_fast', 'fp8_e5m2']],
      },
      output: ['MODEL'],
    }),
    v1('CLIPLoader', {
      display: 'Load CLIP',
      category: 'advanced/loaders',
      description: '[Recipes]\n\nstable_diffusion: clip-l\nsd3: t5 xxl/ clip-g / clip-l\nwan: umt5 xxl',
      required: { clip_name: [m('text_encoders')], type: [CLIP_TYPES] },
      optional: { device: [['default', 'cpu'], { advanced: true }] },
      output: ['CLIP'],
    }),
    v1('DualCLIPLoader', {
      display: 'DualCLIPLoader',
      category: 'advanced/loaders',
      description: '[Recipes]\n\nsdxl: clip-l, clip-g\nflux: clip-l, t5\nhunyuan_video: clip-l, llava',
      required: {
        clip_name1: [m('text_encoders')],
        clip_name2: [m('text_encoders')],
        type: [['sdxl', 'sd3', 'flux', 'hunyuan_video', 'hidream', 'hunyuan_image']],
      },
      optional: { device: [['default', 'cpu'], { advanced: true }] },
      output: ['CLIP'],
    }),
    v1('LoraLoaderModelOnly', {
      display: 'LoraLoaderModelOnly',
      category: 'loaders',
      required: {
        model: ['MODEL'],
        lora_name: [m('loras')],
        strength_model: ['FLOAT', { default: 1.0, min: -100.0, max: 100.0, step: 0.01 }],
      },
      output: ['MODEL'],
    }),
    v1('SaveAnimatedWEBP', {
      display: 'SaveAnimatedWEBP',
      module: 'comfy_extras.nodes_images',
      category: 'image/animation',
      required: {
        images: ['IMAGE'],
        filename_prefix: ['STRING', { default: 'ComfyUI' }],
        fps: ['FLOAT', { default: 6.0, min: 0.01, max: 1000.0, step: 0.01 }],
        lossless: ['BOOLEAN', { default: true }],
        quality: ['INT', { default: 80, min: 0, max: 100 }],
        method: [['default', 'fastest', 'slowest']],
      },
      hidden: PROMPT_HIDDEN,
      output: [],
      outputNode: true,
    }),
    v1('ModelSamplingSD3', {
      display: 'ModelSamplingSD3',
      module: 'comfy_extras.nodes_model_advanced',
      category: 'advanced/model',
      required: { model: ['MODEL'], shift: ['FLOAT', { default: 3.0, min: 0.0, max: 100.0, step: 0.01 }] },
      output: ['MODEL'],
    }),
    v1('EmptyHunyuanLatentVideo', {
      display: 'EmptyHunyuanLatentVideo',
      module: 'comfy_extras.nodes_hunyuan',
      category: 'latent/video',
      required: {
        width: ['INT', { default: 848, min: 16, max: MAX_RESOLUTION, step: 16 }],
        height: ['INT', { default: 480, min: 16, max: MAX_RESOLUTION, step: 16 }],
        length: ['INT', { default: 25, min: 1, max: MAX_RESOLUTION, step: 4 }],
        batch_size: ['INT', { default: 1, min: 1, max: 4096 }],
      },
      output: ['LATENT'],
    }),
    v3('EmptyLTXVLatentVideo', {
      module: 'comfy_extras.nodes_lt',
      category: 'latent/video/ltxv',
      required: {
        width: ['INT', { default: 768, min: 64, max: MAX_RESOLUTION, step: 32 }],
        height: ['INT', { default: 512, min: 64, max: MAX_RESOLUTION, step: 32 }],
        length: ['INT', { default: 97, min: 1, max: MAX_RESOLUTION, step: 8 }],
        batch_size: ['INT', { default: 1, min: 1, max: 4096 }],
      },
      output: ['LATENT'],
    }),
    v3('WanImageToVideo', {
      module: 'comfy_extras.nodes_wan',
      category: 'conditioning/video_models',
      required: {
        positive: ['CONDITIONING', {}],
        negative: ['CONDITIONING', {}],
        vae: ['VAE', {}],
        width: ['INT', { default: 832, min: 16, max: MAX_RESOLUTION, step: 16 }],
        height: ['INT', { default: 480, min: 16, max: MAX_RESOLUTION, step: 16 }],
        length: ['INT', { default: 81, min: 1, max: MAX_RESOLUTION, step: 4 }],
        batch_size: ['INT', { default: 1, min: 1, max: 4096 }],
      },
      optional: { clip_vision_output: ['CLIP_VISION_OUTPUT', {}], start_image: ['IMAGE', {}] },
      output: ['CONDITIONING', 'CONDITIONING', 'LATENT'],
      outputNames: ['positive', 'negative', 'latent'],
    }),
    v3('SaveVideo', {
      display: 'Save Video',
      description: 'Saves the input images to your ComfyUI output directory.',
      module: 'comfy_extras.nodes_video',
      category: 'image/video',
      required: {
        video: ['VIDEO', { tooltip: 'The video to save.' }],
        filename_prefix: [
          'STRING',
          { default: 'video/ComfyUI', tooltip: 'The prefix for the file to save.' },
        ],
        format: [
          'COMBO',
          { default: 'auto', tooltip: 'The format to save the video as.', options: ['auto', 'mp4'] },
        ],
        codec: [
          'COMBO',
          { default: 'auto', tooltip: 'The codec to use for the video.', options: ['auto', 'h264'] },
        ],
      },
      hidden: { prompt: ['PROMPT'], extra_pnginfo: ['EXTRA_PNGINFO'] },
      output: [],
      outputNode: true,
    }),
    v3('CreateVideo', {
      display: 'Create Video',
      description: 'Create a video from images.',
      module: 'comfy_extras.nodes_video',
      category: 'image/video',
      required: {
        images: ['IMAGE', { tooltip: 'The images to create a video from.' }],
        fps: ['FLOAT', { default: 30.0, min: 1.0, max: 120.0, step: 1.0 }],
      },
      optional: { audio: ['AUDIO', { tooltip: 'The audio to add to the video.' }] },
      output: ['VIDEO'],
    }),
    v1('VHS_VideoCombine', {
      display: 'Video Combine 🎥🅥🅗🅢',
      module: 'custom_nodes.ComfyUI-VideoHelperSuite',
      category: 'Video Helper Suite 🎥🅥🅗🅢',
      required: {
        images: ['IMAGE'],
        frame_rate: ['FLOAT', { default: 8, min: 1, step: 1 }],
        loop_count: ['INT', { default: 0, min: 0, max: 100, step: 1 }],
        filename_prefix: ['STRING', { default: 'AnimateDiff' }],
        format: [VHS_FORMATS, { formats: {} }],
        pingpong: ['BOOLEAN', { default: false }],
        save_output: ['BOOLEAN', { default: true }],
      },
      optional: { audio: ['AUDIO'], meta_batch: ['VHS_BatchManager'], vae: ['VAE'] },
      hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO', unique_id: 'UNIQUE_ID' },
      output: ['VHS_FILENAMES'],
      outputNames: ['Filenames'],
      outputNode: true,
    }),
  ];

  const removed = new Set(ctx.removeNodes ?? []);
  const out: Record<string, NodeClass> = {};
  for (const n of nodes) if (!removed.has(n.name)) out[n.name] = n;
  for (const [name, def] of Object.entries(ctx.extraNodes ?? {})) {
    if (removed.has(name)) continue;
    const output = def.output ?? [];
    out[name] = v1(name, {
      category: def.category ?? 'custom',
      required: (def.input.required ?? {}) as Record<string, InputSpec>,
      optional: def.input.optional as Record<string, InputSpec> | undefined,
      output,
      outputNode: def.output_node ?? false,
    });
    out[name].python_module = 'custom_nodes';
  }
  return out;
}

/** One node's entry in /object_info, with the keys in the order ComfyUI's node_info writes them. */
export function nodeInfo(n: NodeClass): Record<string, unknown> {
  const input: Record<string, unknown> = { required: n.input.required };
  if (n.input.optional) input['optional'] = n.input.optional;
  if (n.input.hidden) input['hidden'] = n.input.hidden;
  const inputOrder: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(input)) inputOrder[k] = Object.keys(v as object);
  const info: Record<string, unknown> = {
    input,
    input_order: inputOrder,
    output: n.output,
    output_is_list: n.output_is_list,
    output_name: n.output_name,
  };
  if (n.v3) {
    info['output_tooltips'] = n.output_tooltips;
    Object.assign(info, {
      name: n.name,
      display_name: n.display_name,
      category: n.category,
      description: n.description,
      output_node: n.output_node,
      deprecated: false,
      experimental: false,
      api_node: false,
      python_module: n.python_module,
    });
    return info;
  }
  Object.assign(info, {
    name: n.name,
    display_name: n.display_name,
    description: n.description,
    python_module: n.python_module,
    category: n.category,
    output_node: n.output_node,
  });
  if (n.output_tooltips) info['output_tooltips'] = n.output_tooltips;
  return info;
}

/** JSON as Python's json module would print it; keeps 0xffffffffffffffff exact. */
export function toComfyJson(value: unknown): string {
  return JSON.stringify(value).replaceAll('18446744073709552000', '18446744073709551615');
}
