import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './reconnect-backoff.js';

const policy = { minMs: 1_000, maxMs: 30_000 };

describe('reconnect backoff', () => {
  it('doubles from the minimum up to the cap, with up to half of each delay random', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect([0, 1, 2, 3, 4, 5, 10].map((n) => reconnectDelayMs(n, policy, high))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect([0, 1, 5].map((n) => reconnectDelayMs(n, policy, low))).toEqual([500, 1_000, 15_000]);
  });

  it('stays finite for any number of attempts', () => {
    expect(reconnectDelayMs(10_000, policy, () => 0.5)).toBe(22_500);
  });
});
