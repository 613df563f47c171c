/**
 * A token bucket per client: `ratePerSec` messages a second on average, bursts up to `burst`.
 * A device flushing a backlog sends batches of up to MAX_BATCH_READINGS readings per message, so
 * the burst bounds messages, not readings. Time is passed in.
 */
export interface RateLimiter {
  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string, nowMs: number): boolean;
  forget(key: string): void;
}

export function createRateLimiter(opts: { ratePerSec: number; burst: number }): RateLimiter {
  const buckets = new Map<string, { tokens: number; atMs: number }>();
  return {
    take(key, nowMs) {
      const b = buckets.get(key) ?? { tokens: opts.burst, atMs: nowMs };
      b.tokens = Math.min(opts.burst, b.tokens + ((nowMs - b.atMs) / 1000) * opts.ratePerSec);
      b.atMs = nowMs;
      buckets.set(key, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    forget(key) {
      buckets.delete(key);
    },
  };
}
