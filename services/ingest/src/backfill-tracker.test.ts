import type { Excursion, ExcursionChange } from '@coldchain/coldchain';
import { describe, expect, it } from 'vitest';
import { createBackfillTracker } from './backfill-tracker.js';

const MIN = 60_000;
const opened = (startMs: number, endMs: number | null): ExcursionChange => ({
  type: 'opened',
  excursion: {
    key: `range:high:${startMs}`,
    rule: 'range',
    severity: 'warning',
    boundary: 'high',
    limit: 8,
    startMs,
    endMs,
    durationMs: endMs === null ? null : endMs - startMs,
    peak: null,
    projectedBreachMs: null,
  } satisfies Excursion,
});

/** Readings at these event times (the tracker looks only at `tsMs`). */
const at = (...tsMs: number[]) => tsMs.map((ms) => ({ tsMs: ms }));

describe('the backfill tracker', () => {
  const t0 = Date.UTC(2026, 11, 1, 8, 0, 0);
  const setup = () => {
    const clock = { ms: t0 };
    const tracker = createBackfillTracker({ settleMs: 5_000, backlogLagMs: 5 * MIN, now: () => clock.ms });
    return { clock, tracker };
  };

  it('holds nothing for readings that extend the history in order and in real time', () => {
    const { clock, tracker } = setup();
    for (let m = 0; m < 30; m++) {
      clock.ms = t0 + m * MIN + 2_000;
      tracker.observe('truck', at(t0 + m * MIN));
      expect(tracker.holds('truck', opened(t0 + 10 * MIN, null), undefined)).toBe(false);
    }
    // A redelivery of the newest reading is no filling in either.
    tracker.observe('truck', at(t0 + 29 * MIN));
    expect(tracker.filling()).toBe(0);
  });

  it('holds what reaches back to a late reading until the device has been quiet for the settle time', () => {
    const { clock, tracker } = setup();
    clock.ms = t0 + 40 * MIN;
    tracker.observe('truck', at(t0 + 39 * MIN));
    tracker.observe('truck', at(t0 + 20 * MIN, t0 + 21 * MIN));
    expect(tracker.holds('truck', opened(t0 + 10 * MIN, t0 + 25 * MIN), undefined)).toBe(true);
    expect(tracker.holds('truck', opened(t0 + 30 * MIN, null), undefined)).toBe(true);
    // Ended before the stretch: nothing in it can change it.
    expect(tracker.holds('truck', opened(t0 + 5 * MIN, t0 + 15 * MIN), undefined)).toBe(false);
    // Another device is not affected.
    expect(tracker.holds('room', opened(t0 + 30 * MIN, null), undefined)).toBe(false);
    tracker.heldFor('truck', 7);
    clock.ms += 4_999;
    expect(tracker.takeSettled()).toEqual([]);
    clock.ms += 1;
    expect(tracker.holds('truck', opened(t0 + 30 * MIN, null), undefined)).toBe(false);
    expect(tracker.takeSettled()).toEqual([{ deviceId: 'truck', legIds: [7] }]);
    expect(tracker.takeSettled()).toEqual([]);
  });

  it('treats readings far behind the wall clock as a backlog being replayed, even in order', () => {
    const { clock, tracker } = setup();
    clock.ms = t0 + 3 * 60 * MIN;
    tracker.observe('cabinet', at(t0, t0 + MIN, t0 + 2 * MIN));
    expect(tracker.filling()).toBe(1);
    expect(tracker.holds('cabinet', opened(t0 + MIN, null), undefined)).toBe(true);
    // A later chunk keeps it filling; the stretch starts at the oldest reading replayed.
    clock.ms += 3_000;
    tracker.observe('cabinet', at(t0 + 3 * MIN, t0 + 4 * MIN));
    clock.ms += 3_000;
    expect(tracker.holds('cabinet', opened(t0, t0 + 2 * MIN), undefined)).toBe(true);
  });
});
