import type { Profile, TemperatureBoundary, TemperatureRange } from '../profile.js';
import {
  accrueStats,
  emptyStats,
  meanC,
  mktC,
  observeStats,
  type TemperatureStats,
} from '../temperature-stats.js';
import type { BoundaryTime, BudgetUse, TimedValue } from './report-model.js';
import { holdMs, type SeriesSample } from './series.js';

/** One judged period of one leg: from the end of its settle period to the instant it was evaluated at. */
export interface JudgedPeriod {
  fromMs: number;
  toMs: number;
}

/**
 * Statistics of one series accumulated over the legs' judged periods. The sums are the engine's own
 * (`temperature-stats.ts`), so the time-weighted mean and MKT are computed exactly as the engine computes
 * them; this adds what a report shows and the engine does not need: when the extremes happened, and the
 * time above and below each boundary.
 */
export interface SeriesAccumulator {
  stats: TemperatureStats;
  min: TimedValue | null;
  max: TimedValue | null;
  periodMs: number;
  boundaries: BoundaryTime[];
  range: TemperatureRange;
  target: TemperatureRange | null;
  maxGapMs: number;
}

export function createAccumulator(
  range: TemperatureRange,
  target: TemperatureRange | null,
  boundaries: readonly TemperatureBoundary[],
  maxGapMs: number,
): SeriesAccumulator {
  return {
    stats: emptyStats(),
    min: null,
    max: null,
    periodMs: 0,
    boundaries: boundaries.map((b) => ({
      boundaryId: b.id,
      direction: b.direction,
      severity: b.severity,
      limitC: b.limitC,
      timeAboveMs: 0,
      timeBelowMs: 0,
      timeBeyondMs: 0,
    })),
    range,
    target,
    maxGapMs,
  };
}

/** Adds one leg's samples; those outside the judged period are not judged, as in the engine. */
export function accumulate(
  acc: SeriesAccumulator,
  samples: readonly SeriesSample[],
  period: JudgedPeriod,
): void {
  acc.periodMs += Math.max(0, period.toMs - period.fromMs);
  const judged = samples.filter((s) => s.tsMs >= period.fromMs && s.tsMs <= period.toMs);
  for (const [i, sample] of judged.entries()) {
    observeStats(acc.stats, sample.value);
    if (acc.min === null || sample.value < acc.min.value)
      acc.min = { value: sample.value, tsMs: sample.tsMs };
    if (acc.max === null || sample.value > acc.max.value)
      acc.max = { value: sample.value, tsMs: sample.tsMs };
    const hold = holdMs(judged, i, period.toMs, acc.maxGapMs);
    accrueStats(acc.stats, acc.range, acc.target, sample.value, hold);
    for (const boundary of acc.boundaries) {
      if (sample.value > boundary.limitC) boundary.timeAboveMs += hold;
      if (sample.value < boundary.limitC) boundary.timeBelowMs += hold;
      boundary.timeBeyondMs = boundary.direction === 'upper' ? boundary.timeAboveMs : boundary.timeBelowMs;
    }
  }
}

export function meanOf(acc: SeriesAccumulator): number | null {
  return meanC(acc.stats);
}

export function mktOf(acc: SeriesAccumulator): number | null {
  return mktC(acc.stats);
}

/** Time no sample covers: the period less the time held. */
export function withoutDataMs(acc: SeriesAccumulator): number {
  return Math.max(0, acc.periodMs - acc.stats.heldMs);
}

/** Time outside the range against the profile's journey budget; null when the profile sets none. */
export function budgetUse(profile: Profile, outsideMs: number): BudgetUse | null {
  const budgetMs = profile.cumulativeBudgetMs;
  if (budgetMs === undefined) return null;
  return { budgetMs, usedMs: outsideMs, remainingMs: budgetMs - outsideMs, overBudget: outsideMs > budgetMs };
}
