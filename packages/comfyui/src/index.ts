// Public API of @framesmith/comfyui: see ../README.md for how to use it.
export {
  type Classification,
  type ClassifyContext,
  classify,
  classifyAsError,
  isOutOfMemory,
  isTransientNetworkError,
  type RawOutcome,
} from './classifier.ts';
export {
  type AcquireOptions,
  type BackendConfig,
  BackendPool,
  type BackendPoolOptions,
  type BackendState,
  type Lease,
  type LeaseOutcome,
} from './backend-pool.ts';
export {
  type CallOptions,
  type CircuitStatus,
  ComfyClient,
  type ComfyClientOptions,
  type HealthReport,
  type HealthStatus,
  type QueuePosition,
  type SubmitOptions,
  type SubmitResult,
} from './comfy-client.ts';
export type * from './comfy-types.ts';
export {
  type GenerationOutput,
  type GenerationProgress,
  type GenerationRequest,
  type GenerationResult,
  type GenerationTuning,
  runGeneration,
} from './generation.ts';
export { type Logger, silentLogger } from './logger.ts';
export { collectMediaOutputs, type MediaOutput } from './media-outputs.ts';
export { closestNames, isModelInput } from './names.ts';
export { comboOptions, findMissingModels, type MissingModel, preflight } from './preflight.ts';
export { callInitialDelayMs, jitteredBackoffMs } from './resilience.ts';
export { buildPrompt, checkGraph } from './templating.ts';
export { type ProbeResult, probeVideo } from '@framesmith/media';
