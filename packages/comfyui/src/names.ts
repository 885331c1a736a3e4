/**
 * Small pure helpers about ComfyUI names: which inputs name a model or an input file, how to
 * show a name to a person, and which installed names are closest to a missing one.
 */

const MODEL_INPUT_NAMES = new Set([
  'ckpt_name',
  'unet_name',
  'clip_name',
  'clip_name1',
  'clip_name2',
  'clip_name3',
  'clip_name4',
  'vae_name',
  'lora_name',
  'control_net_name',
  'style_model_name',
  'gligen_name',
  'hypernetwork_name',
  'upscale_model_name',
  'model_name',
  'audio_encoder_name',
]);

const NOT_MODEL_INPUTS = new Set(['sampler_name', 'scheduler_name', 'preset_name', 'filename_prefix']);

/** True when an input's value is a model file name (so "not in list" means a missing model). */
export function isModelInput(classType: string, inputName: string): boolean {
  if (NOT_MODEL_INPUTS.has(inputName)) return false;
  if (MODEL_INPUT_NAMES.has(inputName)) return true;
  return /loader/i.test(classType) && /_name\d*$/.test(inputName);
}

/** True when an input names an image, video or audio file the workflow loads. */
export function isInputMediaInput(classType: string, inputName: string): boolean {
  return (
    /^(Load(Image|Video|Audio)|VHS_Load)/.test(classType) && /^(image|video|audio|file)$/.test(inputName)
  );
}

/**
 * A name safe to show a person: ComfyUI's own relative names (with their subfolder) are kept,
 * but anything that looks like an absolute path is cut to its last part.
 */
export function displayName(name: string): string {
  const trimmed = name.trim();
  if (/^(?:[A-Za-z]:[\\/]|[\\/])/.test(trimmed)) {
    const parts = trimmed.split(/[\\/]/);
    return parts[parts.length - 1] ?? trimmed;
  }
  return trimmed;
}

function stem(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  return base.replace(/\.[a-z0-9]{2,12}$/i, '').toLowerCase();
}

function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Similarity in [0, 1] of two file names, ignoring folder, extension and case. */
export function nameSimilarity(a: string, b: string): number {
  const x = stem(a);
  const y = stem(b);
  if (x === y) return 1;
  const longest = Math.max(x.length, y.length);
  const lev = 1 - levenshtein(x, y) / longest;
  const contains = x.includes(y) || y.includes(x) ? Math.min(x.length, y.length) / longest : 0;
  return Math.max(lev, 0.5 + contains / 2 - (contains === 0 ? 0.5 : 0));
}

/** Up to `limit` installed names closest to `wanted`, best first. */
export function closestNames(wanted: string, available: readonly string[], limit = 3): string[] {
  return available
    .map((name) => ({ name, score: nameSimilarity(wanted, name) }))
    .filter((s) => s.score > 0.3)
    .sort((p, q) => q.score - p.score || p.name.localeCompare(q.name))
    .slice(0, limit)
    .map((s) => s.name);
}
