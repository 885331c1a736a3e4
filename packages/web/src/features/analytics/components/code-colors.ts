import { ERROR_CODES } from '@framesmith/core/error-taxonomy';

/**
 * One color per error code, the same on every chart. Chosen to be told apart (and each passes
 * 3:1 against white as a graphic, WCAG 1.4.11); the tables beside the chart carry the numbers.
 */
const PALETTE = [
  '#b91c1c',
  '#c2410c',
  '#a16207',
  '#4d7c0f',
  '#047857',
  '#0e7490',
  '#1d4ed8',
  '#6d28d9',
  '#a21caf',
  '#be185d',
  '#57534e',
  '#0f766e',
  '#7c2d12',
  '#334155',
];

export function colorOf(code: string): string {
  const i = (ERROR_CODES as readonly string[]).indexOf(code);
  return PALETTE[(i >= 0 ? i : ERROR_CODES.length) % PALETTE.length]!;
}
