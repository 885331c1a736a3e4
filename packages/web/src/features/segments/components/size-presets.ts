/** Sizes people pick most; all multiples of 8, as the API requires. */
export const SIZE_PRESETS = [
  { id: 'square', label: 'Square 512 × 512', width: 512, height: 512 },
  { id: 'landscape', label: 'Landscape 832 × 480', width: 832, height: 480 },
  { id: 'portrait', label: 'Portrait 480 × 832', width: 480, height: 832 },
  { id: 'hd', label: 'HD 1280 × 720', width: 1280, height: 720 },
  { id: 'vertical-hd', label: 'Vertical HD 720 × 1280', width: 720, height: 1280 },
] as const;

export function presetFor(width: number, height: number): string {
  return SIZE_PRESETS.find((p) => p.width === width && p.height === height)?.id ?? 'custom';
}
