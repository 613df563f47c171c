import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup } from './cleanup.js';

/** A background task of a benchmark: runs `step` every `intervalMs` (never two at once) until stopped. */
export interface Loop {
  /** Failed steps so far, and the last failure: a benchmark reports them rather than dying of them. */
  failures(): { count: number; last?: string };
  /** Waits for the running step to finish. Safe to call twice. */
  stop(): Promise<void>;
}

export function every(intervalMs: number, step: () => unknown): Loop {
  let running = true;
  let count = 0;
  let last: string | undefined;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      try {
        await step();
      } catch (err) {
        count++;
        last = (err as Error).message;
      }
      const rest = intervalMs - (performance.now() - started);
      if (running && rest > 0) await sleep(rest);
    }
  })();
  const stop = () => {
    running = false;
    return done;
  };
  const forget = onCleanup(stop);
  return {
    failures: () => (last === undefined ? { count } : { count, last }),
    async stop() {
      await stop();
      forget();
    },
  };
}

/**
 * Waits until `written()` reaches `target`, looking every `pollMs`; gives up when it has not moved
 * for `stallMs`, or after `maxMs` in all.
 */
export async function untilDrained(
  target: number,
  written: () => number,
  limits: { stallMs: number; maxMs: number; pollMs: number },
): Promise<{ done: boolean; seconds: number }> {
  const started = performance.now();
  let lastWritten = written();
  let lastProgress = started;
  while (written() < target) {
    const now = performance.now();
    if (written() > lastWritten) {
      lastWritten = written();
      lastProgress = now;
    }
    if (now - lastProgress > limits.stallMs || now - started > limits.maxMs) {
      return { done: false, seconds: (now - started) / 1000 };
    }
    await sleep(limits.pollMs);
  }
  return { done: true, seconds: (performance.now() - started) / 1000 };
}
