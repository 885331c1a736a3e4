import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Bulletproof React's import zones (STYLE §5): shared code (components, lib) feeds features, and
 * features feed the app. Features never import each other; shared code imports no feature.
 */
const SRC = resolve(__dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

function zoneOf(path: string): string {
  const rel = relative(SRC, path).split(/[\\/]/);
  if (rel[0] === 'features') return `features/${rel[1]}`;
  return rel[0] ?? '';
}

describe('import zones', () => {
  const all = files(SRC).filter((f) => !relative(SRC, f).startsWith('testing'));

  it('features import no other feature; shared code imports no feature or app code', () => {
    const problems: string[] = [];
    for (const file of all) {
      const from = zoneOf(file);
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const to = zoneOf(resolve(file, '..', spec));
        const fromFeature = from.startsWith('features/');
        const toFeature = to.startsWith('features/');
        if (fromFeature && toFeature && from !== to) problems.push(`${relative(SRC, file)} → ${spec}`);
        if ((from === 'components' || from === 'lib') && (toFeature || to === 'app')) {
          problems.push(`${relative(SRC, file)} → ${spec}`);
        }
        if (fromFeature && to === 'app') problems.push(`${relative(SRC, file)} → ${spec}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the browser bundle takes from core only its pure modules, never node-only code', () => {
    const problems: string[] = [];
    for (const file of all) {
      for (const spec of importsOf(file)) {
        if (
          spec.startsWith('node:') ||
          spec === '@framesmith/core/config' ||
          /^@framesmith\/(db|pipeline|server|comfyui)/.test(spec)
        ) {
          problems.push(`${relative(SRC, file)} → ${spec}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
