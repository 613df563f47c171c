import { describe, expect, it } from 'vitest';
import { createLoginBackoff } from './login-backoff.js';

const options = { failuresBeforeBackoff: 3, baseMs: 1_000, maxMs: 8_000 };

describe('the back-off after failed logins', () => {
  it('lets the first failures through, then waits twice as long after each further one, capped', () => {
    const backoff = createLoginBackoff(options);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      backoff.failed('truck-7', 0);
      waits.push(backoff.waitMs('truck-7', 0));
    }
    expect(waits).toEqual([0, 0, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(backoff.waitMs('truck-7', 5_000)).toBe(3_000);
    expect(backoff.waitMs('truck-7', 8_000)).toBe(0);
    expect(backoff.waitMs('other', 0)).toBe(0);
  });

  it('starts afresh after a success, or after twice the longest wait without a failure', () => {
    const backoff = createLoginBackoff(options);
    for (let i = 0; i < 3; i++) backoff.failed('a', 0);
    for (let i = 0; i < 3; i++) backoff.failed('b', 0);
    expect(backoff.waitMs('a', 0)).toBe(1_000);
    backoff.succeeded('a');
    expect(backoff.waitMs('a', 0)).toBe(0);
    backoff.failed('a', 0);
    expect(backoff.waitMs('a', 0)).toBe(0); // one failure: counting from zero again
    backoff.failed('b', 15_000); // the fourth failure within 16 s
    expect(backoff.waitMs('b', 15_000)).toBe(2_000);
    backoff.failed('b', 40_000); // 25 s after the last failure: more than 2 × 8 s
    expect(backoff.waitMs('b', 40_000)).toBe(0);
  });

  it('holds a bounded number of keys: stale ones are swept, the oldest go first past the cap', () => {
    const backoff = createLoginBackoff({ ...options, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) backoff.failed(`unknown-${i}`, 0);
    expect(backoff.size()).toBe(100);
    for (let i = 0; i < 3; i++) backoff.failed('recent', 10_000);
    backoff.failed('late', 18_000); // a sweep (8 s after the last): what failed at t = 0 is stale
    expect(backoff.size()).toBe(2);
    expect(backoff.waitMs('recent', 10_500)).toBe(500);
  });
});
