import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { Config } from '@framesmith/core';
import type { BackendHealth } from '@framesmith/core/ops-schemas';
import type { Database } from '@framesmith/db';
import type { ProjectViewCache, ProjectViewCacheOptions } from './project-view-cache.ts';

/** Removes a project's stored files; provided by the pipeline's storage. */
export interface ProjectFileStore {
  deleteProjectFiles(projectId: string): Promise<void>;
}

/** Options every route plugin is registered with. */
export interface RoutePluginOptions {
  deps: AppDeps;
}

export type RoutePlugin = FastifyPluginAsync<RoutePluginOptions>;

/**
 * Everything the app needs, handed in once (no module-level singletons). Teammates add their
 * services as optional fields here (pipeline, pool, events, …) or by module augmentation:
 * `declare module '@framesmith/server/deps' { interface AppDeps { pipeline?: Pipeline } }`.
 */
export interface AppDeps {
  database: Database;
  config: Config;
  /** A pino logger; omitted means no logging (tests). */
  logger?: FastifyBaseLogger;
  /** Product version shown by /api/meta. */
  version?: string;
  /** 'simulated' when the ComfyUI simulator stands in for GPUs; derived from COMFYUI_URL when omitted. */
  backendMode?: 'simulated' | 'comfyui';
  /** Built web UI (index.html + assets) served at / with an SPA fallback; omitted or missing means API only. */
  webDir?: string;
  /** Extra route plugins (render, events, health, metrics, …), registered after the core routes. */
  routes?: RoutePlugin[];
  /** Removes stored files of a deleted project. */
  storage?: ProjectFileStore;
  /** Tuning of the project view cache (`ttlMs: 0` turns caching off). */
  projectViewCache?: ProjectViewCacheOptions;
  /** Backend health changes (the ops health monitor), sent to `/api/events` as `event: backend`. */
  backendChanges?: BackendChangeSource;
}

/** A backend's public health (as `GET /api/health/comfyui` lists it) on every change. */
export interface BackendChangeSource {
  onBackendChange(listener: (backend: BackendHealth) => void): () => void;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
    /** Serialized project views; routes that change a project may drop its entry at once. */
    projectViews: ProjectViewCache;
  }
}
