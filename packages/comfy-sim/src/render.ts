/** Runs ffmpeg for one simulated clip. The only module that spawns a process. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { buildRenderArgs, type RenderSpec } from './render-args.ts';

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/System/Library/Fonts/Supplemental/Arial.ttf',
  'C:\\Windows\\Fonts\\arial.ttf',
];

let fontCache: string | null | undefined;

/** A font file for drawtext, or null to let ffmpeg's fontconfig pick one. */
export function findFontFile(): string | null {
  if (fontCache === undefined) fontCache = FONT_CANDIDATES.find((f) => existsSync(f)) ?? null;
  return fontCache;
}

export class RenderError extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.name = 'RenderError';
    this.stderr = stderr;
  }
}

/** Renders the clip; rejects with RenderError if ffmpeg fails, or with the signal's reason when aborted. */
export function renderClip(spec: RenderSpec, signal?: AbortSignal): Promise<void> {
  const args = buildRenderArgs(spec);
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'], signal });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 8000) stderr += chunk;
    });
    child.on('error', (err) => reject(err));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new RenderError(`ffmpeg exited with code ${code}`, stderr.trim()));
    });
  });
}
