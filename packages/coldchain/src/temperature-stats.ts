import { arrheniusTerm, mktFromSums } from './mkt.js';
import type { TemperatureRange } from './profile.js';

/**
 * Running sums over the temperature samples, from which the compliance summary is read. Time-weighted by each
 * sample's hold (see `fold.ts`), so that irregular sampling — a logger that records every minute while out of
 * range and every 5 min otherwise, as the GSP appendix asks — does not skew the mean or the MKT.
 */
export interface TemperatureStats {
  sampleCount: number;
  minC: number | null;
  maxC: number | null;
  /** Σ value and Σ e^(−ΔH/RT) per sample: the unweighted fallback when no time is attributed yet. */
  sumC: number;
  arrheniusSum: number;
  /** Σ hold, Σ hold·value, Σ hold·e^(−ΔH/RT). */
  heldMs: number;
  heldSumC: number;
  heldArrheniusSum: number;
  inRangeMs: number;
  outsideRangeMs: number;
  inTargetMs: number;
}

export function emptyStats(): TemperatureStats {
  return {
    sampleCount: 0,
    minC: null,
    maxC: null,
    sumC: 0,
    arrheniusSum: 0,
    heldMs: 0,
    heldSumC: 0,
    heldArrheniusSum: 0,
    inRangeMs: 0,
    outsideRangeMs: 0,
    inTargetMs: 0,
  };
}

export function copyStats(stats: TemperatureStats): TemperatureStats {
  return { ...stats };
}

export function observeStats(stats: TemperatureStats, tempC: number): void {
  stats.sampleCount += 1;
  stats.minC = stats.minC === null ? tempC : Math.min(stats.minC, tempC);
  stats.maxC = stats.maxC === null ? tempC : Math.max(stats.maxC, tempC);
  stats.sumC += tempC;
  stats.arrheniusSum += arrheniusTerm(tempC);
}

export function accrueStats(
  stats: TemperatureStats,
  range: TemperatureRange,
  target: TemperatureRange | null,
  tempC: number,
  holdMs: number,
): void {
  if (holdMs <= 0) return;
  stats.heldMs += holdMs;
  stats.heldSumC += holdMs * tempC;
  stats.heldArrheniusSum += holdMs * arrheniusTerm(tempC);
  if (within(range, tempC)) stats.inRangeMs += holdMs;
  else stats.outsideRangeMs += holdMs;
  if (target !== null && within(target, tempC)) stats.inTargetMs += holdMs;
}

export function meanC(stats: TemperatureStats): number | null {
  if (stats.heldMs > 0) return stats.heldSumC / stats.heldMs;
  return stats.sampleCount > 0 ? stats.sumC / stats.sampleCount : null;
}

/** Time-weighted MKT (USP <1079>); the plain MKT of the samples while no time is attributed. */
export function mktC(stats: TemperatureStats): number | null {
  if (stats.heldMs > 0) return mktFromSums(stats.heldArrheniusSum, stats.heldMs);
  return mktFromSums(stats.arrheniusSum, stats.sampleCount);
}

export function within(range: TemperatureRange, tempC: number): boolean {
  return (range.lowC === null || tempC >= range.lowC) && (range.highC === null || tempC <= range.highC);
}
