import type { MeasuredReading } from '../engine-reading.js';
import type { ReportLegInput } from './report-model.js';

/**
 * A leg's readings the report rests on: those in `[fromMs, toMs)` (an open leg has no end), as the engine
 * windows them — a reading at the instant of a handover belongs to the next leg. Sorted by event time;
 * duplicates are kept (callers dedupe as their measure needs).
 */
export function readingsInLeg(leg: ReportLegInput): MeasuredReading[] {
  return leg.readings
    .filter(
      (r) => Number.isFinite(r.tsMs) && r.tsMs >= leg.fromMs && (leg.toMs === null || r.tsMs < leg.toMs),
    )
    .sort((a, b) => a.tsMs - b.tsMs);
}

/** Legs in custody order: by start, then id. */
export function orderLegs(legs: readonly ReportLegInput[]): ReportLegInput[] {
  return [...legs].sort((a, b) => a.fromMs - b.fromMs || a.id - b.id);
}
