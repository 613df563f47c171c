import { MAX_PAST_AGE_MS } from '@coldchain/schema';
import { describe, expect, it } from 'vitest';
import { createEventClock, defaultStartMs } from './event-clock.js';

const WALL_MS = Date.parse('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;

describe('event clock', () => {
  it('runs event time at real speed from now by default', () => {
    const clock = createEventClock({ wallStartMs: WALL_MS, startMs: defaultStartMs(WALL_MS, 1), speed: 1 });
    expect(clock(WALL_MS)).toBe(WALL_MS);
    expect(clock(WALL_MS + 5_000)).toBe(WALL_MS + 5_000);
  });

  it('replays faster from the past and reaches now when a timed run ends', () => {
    const startMs = defaultStartMs(WALL_MS, 60, HOUR);
    expect(startMs).toBe(WALL_MS - 59 * HOUR);
    const clock = createEventClock({ wallStartMs: WALL_MS, startMs, speed: 60 });
    expect(clock(WALL_MS + 60_000)).toBe(startMs + HOUR);
    expect(clock(WALL_MS + HOUR)).toBe(WALL_MS + HOUR);
  });

  it('never runs ahead of the wall clock, and never backwards', () => {
    const clock = createEventClock({ wallStartMs: WALL_MS, startMs: WALL_MS - HOUR, speed: 100 });
    let last = Number.NEGATIVE_INFINITY;
    for (let wall = WALL_MS; wall < WALL_MS + 2 * HOUR; wall += 7_000) {
      const event = clock(wall);
      expect(event).toBeLessThanOrEqual(wall);
      expect(event).toBeGreaterThanOrEqual(last);
      last = event;
    }
    expect(last).toBeGreaterThan(WALL_MS + HOUR);
  });

  it('keeps a very long replay inside the age the ingest accepts', () => {
    expect(WALL_MS - defaultStartMs(WALL_MS, 1000, 24 * HOUR)).toBeLessThan(MAX_PAST_AGE_MS);
  });
});
