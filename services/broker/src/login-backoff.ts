/**
 * Back-off after failed logins, per key (a username, or a remote address). After
 * `failuresBeforeBackoff` failures the key waits `baseMs` before its next attempt is even checked,
 * and twice as long after each further failure, at most `maxMs`. A key whose last failure is `2 · maxMs` old starts afresh, and a success resets it
 * (the broker does that for usernames only: a valid login from an address shared by a NAT says
 * nothing about the other logins from it). Time is passed in.
 *
 * Memory is bounded by `maxKeys`: past it the key that failed longest ago goes first, and keys
 * that have started afresh are swept at most once per `maxMs`.
 */
export interface LoginBackoff {
  /** How long `key` must still wait before an attempt is checked; 0 when it may try now. */
  waitMs(key: string, nowMs: number): number;
  /** Records a failed attempt of `key`. */
  failed(key: string, nowMs: number): void;
  /** Forgets the failures of `key`. */
  succeeded(key: string): void;
  /** Keys held. */
  size(): number;
}

export interface LoginBackoffOptions {
  /** Failures after which the key waits. */
  failuresBeforeBackoff: number;
  /** The first wait. */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
  /** Keys held at most. Default 100,000. */
  maxKeys?: number;
}

interface Failures {
  count: number;
  lastMs: number;
  untilMs: number;
}

export function createLoginBackoff(opts: LoginBackoffOptions): LoginBackoff {
  const maxKeys = opts.maxKeys ?? 100_000;
  const forgetAfterMs = 2 * opts.maxMs;
  // In the order of their last failure (a failing key is moved to the end), oldest first.
  const keys = new Map<string, Failures>();
  let sweptAtMs: number | undefined;
  const stale = (f: Failures, nowMs: number) => nowMs - f.lastMs >= forgetAfterMs;
  const sweep = (nowMs: number) => {
    for (const [key, f] of keys) {
      if (!stale(f, nowMs)) break;
      keys.delete(key);
    }
  };
  return {
    waitMs(key, nowMs) {
      const f = keys.get(key);
      if (!f) return 0;
      if (stale(f, nowMs)) {
        keys.delete(key);
        return 0;
      }
      return Math.max(0, f.untilMs - nowMs);
    },
    failed(key, nowMs) {
      sweptAtMs ??= nowMs;
      if (nowMs - sweptAtMs >= opts.maxMs) {
        sweep(nowMs);
        sweptAtMs = nowMs;
      }
      const before = keys.get(key);
      const f = before && !stale(before, nowMs) ? before : { count: 0, lastMs: nowMs, untilMs: 0 };
      keys.delete(key);
      f.count++;
      f.lastMs = nowMs;
      const over = f.count - opts.failuresBeforeBackoff;
      if (over >= 0) f.untilMs = nowMs + Math.min(opts.maxMs, opts.baseMs * 2 ** over);
      keys.set(key, f);
      if (keys.size > maxKeys) keys.delete(keys.keys().next().value as string);
    },
    succeeded(key) {
      keys.delete(key);
    },
    size: () => keys.size,
  };
}
