import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CALL_MAX_DELAY_MS,
  callBackoff,
  callInitialDelayMs,
  jitteredBackoffMs,
} from '../../src/resilience.ts';

describe('call-level backoff', () => {
  test('starts at a tenth of RETRY_BASE_DELAY_MS, within [10, 250] ms', () => {
    assert.equal(callInitialDelayMs(2000), 200);
    assert.equal(callInitialDelayMs(0), 10);
    assert.equal(callInitialDelayMs(600_000), 250);
  });

  test('grows exponentially with jitter in [delay/2, delay) and is capped', () => {
    for (let run = 0; run < 50; run++) {
      let b = callBackoff(2000).next();
      const delays = [b.duration];
      for (let i = 0; i < 6; i++) {
        b = b.next(undefined);
        delays.push(b.duration);
      }
      delays.forEach((d, i) => {
        const nominal = Math.min(CALL_MAX_DELAY_MS, 200 * 2 ** i);
        assert.ok(
          d >= Math.floor(nominal / 2) && d <= nominal,
          `attempt ${i}: ${d} not in [${nominal / 2}, ${nominal}]`,
        );
      });
    }
  });

  test('three attempts with the default base wait well under five seconds in total', () => {
    const b = callBackoff(2000).next();
    const total = b.duration + b.next(undefined).duration;
    assert.ok(total <= 600);
  });
});

describe('reconnect backoff', () => {
  test('exponential with jitter, capped', () => {
    assert.equal(
      jitteredBackoffMs(0, 100, 5000, () => 0),
      50,
    );
    assert.equal(
      jitteredBackoffMs(0, 100, 5000, () => 0.999999),
      100,
    );
    assert.equal(
      jitteredBackoffMs(3, 100, 5000, () => 0),
      400,
    );
    assert.equal(
      jitteredBackoffMs(20, 100, 5000, () => 0.999999),
      5000,
    );
  });

  test('jitter spreads the waits', () => {
    const seen = new Set(Array.from({ length: 50 }, () => jitteredBackoffMs(4, 100, 5000)));
    assert.ok(seen.size > 10);
  });
});
