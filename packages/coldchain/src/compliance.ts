import type { Excursion } from './excursion.js';
import type { RuleSet } from './rule-set.js';
import { meanC, mktC, type TemperatureStats } from './temperature-stats.js';

export interface ComplianceReason {
  code: 'excursion' | 'mkt';
  /** The excursion that fails the shipment; null for MKT. */
  excursionKey: string | null;
  message: string;
}

/** What a shipment's report says about one leg's device. */
export interface ComplianceSummary {
  /** The evaluated period: leg start plus the settle period, to the evaluation instant. */
  fromMs: number;
  toMs: number;
  sampleCount: number;
  minC: number | null;
  maxC: number | null;
  /** Time-weighted mean. */
  meanC: number | null;
  /** Time-weighted mean kinetic temperature, USP <1079>. */
  mktC: number | null;
  timeInRangeMs: number;
  timeOutsideRangeMs: number;
  /** Time no temperature sample covers (`toMs − fromMs − in − outside`). */
  timeWithoutDataMs: number;
  /** Time within the profile's target band; null when the profile has none. */
  timeInTargetMs: number | null;
  verdict: 'pass' | 'fail';
  reasons: ComplianceReason[];
}

/**
 * Every temperature, humidity and data-gap excursion fails the leg: a gap means the temperature cannot be
 * shown to have stayed in range. A door left open is an operational alert; what it did to the product shows in
 * the temperature rules, so it does not fail the leg by itself.
 */
const FAILING_RULES: ReadonlySet<Excursion['rule']> = new Set([
  'range',
  'critical',
  'cumulative',
  'humidity',
  'gap',
]);

export function summarise(
  stats: TemperatureStats,
  excursions: readonly Excursion[],
  rules: RuleSet,
  fromMs: number,
  toMs: number,
): ComplianceSummary {
  const reasons: ComplianceReason[] = excursions
    .filter((e) => FAILING_RULES.has(e.rule))
    .map((e) => ({ code: 'excursion', excursionKey: e.key, message: describeExcursion(e) }));
  const mkt = mktC(stats);
  if (rules.mktLimitC !== null && mkt !== null && mkt > rules.mktLimitC) {
    reasons.push({
      code: 'mkt',
      excursionKey: null,
      message: `mean kinetic temperature ${mkt.toFixed(2)} °C is above the limit of ${rules.mktLimitC} °C`,
    });
  }
  return {
    fromMs,
    toMs,
    sampleCount: stats.sampleCount,
    minC: stats.minC,
    maxC: stats.maxC,
    meanC: meanC(stats),
    mktC: mkt,
    timeInRangeMs: stats.inRangeMs,
    timeOutsideRangeMs: stats.outsideRangeMs,
    timeWithoutDataMs: Math.max(0, toMs - fromMs - stats.inRangeMs - stats.outsideRangeMs),
    timeInTargetMs: rules.target === null ? null : stats.inTargetMs,
    verdict: reasons.length === 0 ? 'pass' : 'fail',
    reasons,
  };
}

/** Cheap to build (the streaming engine summarises on every message); times are in the excursion itself. */
function describeExcursion(e: Excursion): string {
  const limit = e.limit === null ? '' : ` beyond ${e.limit} (${e.boundary ?? 'range'})`;
  const peak = e.peak === null ? '' : `, peak ${e.peak.value}`;
  const state = e.endMs === null ? ', still open' : '';
  return `${e.rule} excursion${limit}${peak}${state}`;
}
