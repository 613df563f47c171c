import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.js';

describe('the per-device rate limiter', () => {
  it('allows a burst, then the sustained rate, per device', () => {
    const limiter = createRateLimiter({ ratePerSec: 10, burst: 5 });
    const taken = Array.from({ length: 7 }, () => limiter.take('a', 0));
    expect(taken).toEqual([true, true, true, true, true, false, false]);
    expect(limiter.take('b', 0)).toBe(true);
    expect(limiter.take('a', 100)).toBe(true); // 100 ms at 10/s refills one token
    expect(limiter.take('a', 100)).toBe(false);
  });
});
