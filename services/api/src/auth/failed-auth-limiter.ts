/**
 * Counts failed authentications per client address in a fixed one-minute window: past the limit
 * the address gets 429 until the window ends, whatever it sends, so guessing tokens costs a
 * minute per few attempts. Bounded: at most `maxAddresses` are tracked (the oldest windows are
 * dropped first), so a flood from many addresses cannot grow memory.
 */
export function createFailedAuthLimiter(opts: {
  perMinute: number;
  now?: () => number;
  maxAddresses?: number;
}) {
  const now = opts.now ?? Date.now;
  const maxAddresses = opts.maxAddresses ?? 10_000;
  const windows = new Map<string, { startMs: number; failures: number }>();
  const current = (address: string) => {
    const w = windows.get(address);
    return w && now() - w.startMs < 60_000 ? w : undefined;
  };
  return {
    /** Milliseconds until this address may try again, or 0 when it may now. */
    retryAfterMs(address: string): number {
      const w = current(address);
      return w && w.failures >= opts.perMinute ? w.startMs + 60_000 - now() : 0;
    },
    fail(address: string): void {
      const w = current(address);
      if (w) {
        w.failures++;
        return;
      }
      windows.delete(address);
      if (windows.size >= maxAddresses) {
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
      windows.set(address, { startMs: now(), failures: 1 });
    },
  };
}
