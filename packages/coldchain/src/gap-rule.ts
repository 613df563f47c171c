import { type Excursion, excursionKey } from './excursion.js';

/**
 * No reading for longer than `maxGapMs`: from the last reading before the silence (or the start of evaluation)
 * to the first reading after it. While the silence lasts the gap is open, so "no data" fires on a timer; when a
 * backlog arrives, its readings split or remove the gap.
 */
export function isGap(lastDataMs: number, tsMs: number, maxGapMs: number): boolean {
  return tsMs - lastDataMs > maxGapMs;
}

export function gapExcursion(startMs: number, endMs: number | null): Excursion {
  return {
    key: excursionKey('gap', null, startMs),
    rule: 'gap',
    severity: 'warning',
    boundary: null,
    limit: null,
    startMs,
    endMs,
    durationMs: endMs === null ? null : endMs - startMs,
    peak: null,
    projectedBreachMs: null,
  };
}
