export { type Pipeline, type PipelineOptions, startPipeline } from './pipeline.ts';
export { RenderService } from './render-service.ts';
export { EventHub, EVENTS_CHANNEL, type LiveEvent, publishRenderJob, publishSegment } from './events.ts';
export { type DeadLetter, DEFAULT_TUNING, JobQueue, type QueueTuning } from './queue.ts';
export { LocalStorage, type Storage, storageKeys } from './storage.ts';
export { DEAD_LETTER_QUEUE, JOB_NAMES, JOB_PAYLOADS, type JobName, type JobPayload } from './job-names.ts';
export { checkHandlers, type JobHandlers, type JobOutcome } from './job-registry.ts';
export {
  decideAfterFailure,
  type RetryDecision,
  type RetryPolicy,
  retryPolicyFrom,
} from './retry-decision.ts';
export { composeClips } from './composer.ts';
export { type ClipSpec, hashContent, resolveClipSpec } from './clip-spec.ts';
export { type Logger, silentLogger } from './logger.ts';
