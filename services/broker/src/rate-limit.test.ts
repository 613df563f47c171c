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

  it('keeps an emptied bucket while other devices come and go: only time refills it', () => {
    const limiter = createRateLimiter({ ratePerSec: 50, burst: 500 });
    let at = 0;
    for (let i = 0; i < 500; i++) expect(limiter.take('truck-7', at)).toBe(true);
    // The device disconnects and reconnects again and again, others publish meanwhile, and sweeps
    // run (every 10 s, the refill time): its bucket holds what 50/s has put back, no more.
    let taken = 0;
    for (at = 0; at <= 30_000; at += 500) {
      limiter.take(`other-${at}`, at);
      while (limiter.take('truck-7', at)) taken++;
    }
    expect(taken).toBe(50 * 30);
  });

  it('drops buckets that have refilled completely, and only those', () => {
    const limiter = createRateLimiter({ ratePerSec: 10, burst: 10 }); // refills in 1 s
    for (let i = 0; i < 1000; i++) limiter.take(`device-${i}`, 0);
    for (let i = 0; i < 10; i++) limiter.take('busy', 900);
    expect(limiter.size()).toBe(1001);
    // A sweep: the 1,000 are full again and go; `busy` has one token back, and keeps its bucket.
    expect(limiter.take('busy', 1_000)).toBe(true);
    expect(limiter.size()).toBe(1);
    expect(limiter.take('busy', 1_000)).toBe(false);
  });
});
