/** Reconnect delays: exponential from `minMs`, capped at `maxMs`. */
export interface BackoffPolicy {
  minMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { minMs: 1_000, maxMs: 30_000 };

/**
 * The delay before reconnect attempt `attempt` (0 = the first after a loss): min·2^attempt capped at max,
 * with "equal jitter" (half fixed, half random) so that a fleet cut off together by a broker restart does
 * not come back in one burst.
 */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
