import { createHash } from 'node:crypto';

/**
 * The ComfyUI prompt id of one generation attempt, derived from the segment id and the
 * attempt's lifetime number (a name-based UUID, version 5 layout). A worker that re-runs the
 * attempt after a crash derives the same id and reconciles instead of queueing twice; ComfyUI
 * requires a canonical lowercase UUID.
 */
const NAMESPACE = Buffer.from('6f1c1e0a7d4b4e6f9a3e5b8c2d1f0e47', 'hex');

export function promptIdFor(segmentId: string, lifetimeAttempt: number): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${segmentId}:${lifetimeAttempt}`).digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
