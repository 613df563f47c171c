import type { WireReading } from './telemetry-payload.js';

/**
 * A device's reading memory while it cannot transmit. A logger's memory is finite: when full, the oldest
 * reading is overwritten (what LogTag and similar loggers do in wrap-around mode) and counted as dropped.
 */
export interface StoreAndForward {
  readonly size: number;
  readonly dropped: number;
  hold(reading: WireReading): void;
  /** Everything held, oldest first; the memory is empty afterwards. */
  drain(): WireReading[];
  /** The readings held that were taken before `tsMs`, oldest first; later ones stay held. */
  drainBefore(tsMs: number): WireReading[];
}

export function createStoreAndForward(capacity: number): StoreAndForward {
  if (!Number.isInteger(capacity) || capacity < 1)
    throw new RangeError('capacity must be a positive integer');
  let held: WireReading[] = [];
  let start = 0;
  let dropped = 0;
  return {
    get size() {
      return held.length - start;
    },
    get dropped() {
      return dropped;
    },
    hold(reading) {
      held.push(reading);
      if (held.length - start > capacity) {
        start++;
        dropped++;
        // Compact now and then rather than shift() on every overwrite.
        if (start >= capacity) {
          held = held.slice(start);
          start = 0;
        }
      }
    },
    drain() {
      const out = start === 0 ? held : held.slice(start);
      held = [];
      start = 0;
      return out;
    },
    drainBefore(tsMs) {
      // Held in the order taken, so the readings before `tsMs` are a prefix.
      let end = start;
      while (end < held.length && Date.parse((held[end] as WireReading).ts) < tsMs) end++;
      const out = held.slice(start, end);
      held = held.slice(end);
      start = 0;
      return out;
    },
  };
}
