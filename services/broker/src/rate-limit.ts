/**
 * A token bucket per key: `ratePerSec` tokens a second on average, bursts up to `burst`. The
 * broker keeps one for each device's messages (a device flushing a backlog sends batches of up to
 * MAX_BATCH_READINGS readings per message, so the burst bounds messages, not readings) and one for
 * each device's CONNECTs. Time is passed in.
 *
 * A bucket outlives the connection that emptied it: were it dropped on disconnect, a device could
 * reconnect for a fresh burst as often as it liked. Memory stays bounded all the same: a bucket
 * that has refilled completely is the same as none, so such buckets are swept, lazily, at most
 * once per refill time.
 */
export interface RateLimiter {
  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string, nowMs: number): boolean;
  /** Buckets held: keys that took tokens and have not refilled yet (or not been swept). */
  size(): number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** Sweeps happen at most this often even when buckets refill faster. */
const MIN_SWEEP_INTERVAL_MS = 1_000;

export function createRateLimiter(opts: { ratePerSec: number; burst: number }): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const refilled = (b: Bucket, nowMs: number) =>
    Math.min(opts.burst, b.tokens + ((nowMs - b.atMs) / 1000) * opts.ratePerSec);
  const sweepEveryMs = Math.max(MIN_SWEEP_INTERVAL_MS, (opts.burst / opts.ratePerSec) * 1000);
  let sweptAtMs: number | undefined;
  const sweep = (nowMs: number) => {
    for (const [key, b] of buckets) if (refilled(b, nowMs) >= opts.burst) buckets.delete(key);
  };
  return {
    take(key, nowMs) {
      sweptAtMs ??= nowMs;
      if (nowMs - sweptAtMs >= sweepEveryMs) {
        sweep(nowMs);
        sweptAtMs = nowMs;
      }
      const held = buckets.get(key);
      const b = held ?? { tokens: opts.burst, atMs: nowMs };
      if (held) held.tokens = refilled(held, nowMs);
      else buckets.set(key, b);
      b.atMs = nowMs;
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    size: () => buckets.size,
  };
}
