import type { Pipeline } from '@framesmith/pipeline';
import type { AppDeps } from '../deps.ts';

/** The render pipeline as the API sees it: `startPipeline` hands it to the app as `deps.pipeline`. */
declare module '../deps.ts' {
  interface AppDeps {
    pipeline?: Pipeline;
  }
}

export function requirePipeline(deps: AppDeps): Pipeline {
  if (!deps.pipeline) throw new Error('These routes need the render pipeline (deps.pipeline)');
  return deps.pipeline;
}
