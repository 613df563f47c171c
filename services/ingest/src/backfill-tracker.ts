import type { Excursion, ExcursionChange } from '@coldchain/coldchain';

/**
 * Which stretch of each device's history is still being filled in, so that what is found there is told
 * once the data has stopped changing, not on the way.
 *
 * A device fills in its past when readings older than its newest arrive (messages reordered by the
 * network, a redelivery, a logger's backlog sent after newer readings), or when it replays a backlog
 * (its readings lag the wall clock by more than `backlogLagMs`). Alerts derived from a partial view of
 * that stretch would come and go as the rest arrives — a hole that the next message fills looks like a
 * data gap — so the breach monitor holds every change of an excursion that touches the stretch until
 * the device has been quiet, or in order again, for `settleMs`. A reading that extends the history in
 * order and in real time (the live case) marks nothing, and its alerts go out at once.
 */
export interface BackfillTracker {
  /** Records a message's readings (their event times) as it arrives, in arrival order. */
  observe(deviceId: string, readings: ReadonlyArray<{ tsMs: number }>): void;
  /** Whether the change touches a stretch of the device that is still being filled in. */
  holds(deviceId: string, change: ExcursionChange, previous: Excursion | undefined): boolean;
  /** Remembers that a leg of the device has changes held back. */
  heldFor(deviceId: string, legId: number): void;
  /** The devices settled since they were last filling in, with the legs whose changes they held. */
  takeSettled(): Array<{ deviceId: string; legIds: number[] }>;
  /** Devices still filling in. */
  filling(): number;
}

interface Stretch {
  /** The oldest event time filled in: excursions reaching it or later may still change. */
  fromMs: number;
  /** Wall clock of the last message that filled in this stretch. */
  lastAtMs: number;
  legIds: Set<number>;
}

export function createBackfillTracker(opts: {
  settleMs: number;
  backlogLagMs: number;
  now: () => number;
}): BackfillTracker {
  const { settleMs, backlogLagMs, now } = opts;
  const newest = new Map<string, number>();
  const stretches = new Map<string, Stretch>();
  const active = (deviceId: string): Stretch | undefined => {
    const s = stretches.get(deviceId);
    return s && now() - s.lastAtMs < settleMs ? s : undefined;
  };

  return {
    observe(deviceId, readings) {
      if (readings.length === 0) return;
      const before = newest.get(deviceId) ?? Number.NEGATIVE_INFINITY;
      let minMs = Number.POSITIVE_INFINITY;
      let maxMs = Number.NEGATIVE_INFINITY;
      let minPastMs = Number.POSITIVE_INFINITY;
      for (const { tsMs: ts } of readings) {
        if (ts < minMs) minMs = ts;
        if (ts > maxMs) maxMs = ts;
        // Strictly older: a redelivery of the newest reading changes nothing.
        if (ts < before && ts < minPastMs) minPastMs = ts;
      }
      newest.set(deviceId, Math.max(before, maxMs));
      const replaying = now() - maxMs > backlogLagMs;
      if (minPastMs === Number.POSITIVE_INFINITY && !replaying) return;
      // Filling in the past: from the oldest reading that came late. Replaying: from the oldest the
      // message carries. Either way everything after it may still change: the runs and gaps that
      // reach the newest reading, and what the engine extrapolates from it to the wall clock.
      const fromMs = Math.min(minPastMs, replaying ? minMs : Number.POSITIVE_INFINITY);
      const s = stretches.get(deviceId);
      if (!s) stretches.set(deviceId, { fromMs, lastAtMs: now(), legIds: new Set() });
      else if (active(deviceId)) {
        s.fromMs = Math.min(s.fromMs, fromMs);
        s.lastAtMs = now();
      } else {
        // Settled but not yet released: a new stretch, keeping the legs whose changes wait.
        Object.assign(s, { fromMs, lastAtMs: now() });
      }
    },
    holds(deviceId, change, previous) {
      const s = active(deviceId);
      if (!s) return false;
      const touches = (e: Excursion) => (e.endMs ?? Number.POSITIVE_INFINITY) >= s.fromMs;
      return touches(change.excursion) || (previous !== undefined && touches(previous));
    },
    heldFor(deviceId, legId) {
      stretches.get(deviceId)?.legIds.add(legId);
    },
    takeSettled() {
      const settled: Array<{ deviceId: string; legIds: number[] }> = [];
      for (const [deviceId, s] of stretches) {
        if (now() - s.lastAtMs < settleMs) continue;
        stretches.delete(deviceId);
        if (s.legIds.size > 0) settled.push({ deviceId, legIds: [...s.legIds] });
      }
      return settled;
    },
    filling: () => [...stretches.values()].filter((s) => now() - s.lastAtMs < settleMs).length,
  };
}
