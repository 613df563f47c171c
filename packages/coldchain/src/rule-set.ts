import type { ConsecutiveRule } from './consecutive-rule.js';
import type { CumulativeRule } from './cumulative-rule.js';
import type { EarlyWarningRule } from './early-warning-rule.js';
import { type Profile, type TemperatureRange, temperatureRange } from './profile.js';

/** A profile turned into the rules the fold evaluates. */
export interface RuleSet {
  maxGapMs: number;
  settleMs: number;
  temperature: ConsecutiveRule[];
  humidity: ConsecutiveRule[];
  door: ConsecutiveRule | null;
  cumulative: CumulativeRule[];
  range: TemperatureRange;
  target: TemperatureRange | null;
  mktLimitC: number | null;
  /** One rule per bounded side of the range; null when the profile sets no early warning. */
  earlyWarning: { sides: EarlyWarningRule[]; trendWindowMs: number } | null;
}

/**
 * Profiles are parsed once and then treated as immutable values, so each profile object is compiled once:
 * the streaming engine is called for every message and would otherwise spend most of its time here.
 */
const compiled = new WeakMap<Profile, { rules: RuleSet; fingerprint: string }>();

/** The profile's rules, and a fingerprint that changes when the profile's content does. */
export function compileProfile(profile: Profile): { rules: RuleSet; fingerprint: string } {
  let entry = compiled.get(profile);
  if (entry === undefined) {
    entry = { rules: ruleSet(profile), fingerprint: JSON.stringify(profile) };
    compiled.set(profile, entry);
  }
  return entry;
}

export function ruleSet(profile: Profile): RuleSet {
  const range = temperatureRange(profile);
  const temperature = profile.temperature.boundaries.map(
    (b): ConsecutiveRule => ({
      rule: b.severity === 'critical' ? 'critical' : 'range',
      severity: b.severity,
      boundary: b.id,
      direction: b.direction,
      limit: b.limitC,
      clearMargin: profile.hysteresisC,
      delayMs: b.delayMs,
      strictlyLonger: false,
      reportsValues: true,
    }),
  );
  const humidity: ConsecutiveRule[] = [];
  const h = profile.humidity;
  if (h?.lowPct !== undefined)
    humidity.push(humidityRule('low', 'lower', h.lowPct, h.delayMs, h.hysteresisPct));
  if (h?.highPct !== undefined)
    humidity.push(humidityRule('high', 'upper', h.highPct, h.delayMs, h.hysteresisPct));
  const door: ConsecutiveRule | null =
    profile.doorOpenMaxMs === undefined
      ? null
      : {
          rule: 'door',
          severity: 'warning',
          boundary: null,
          direction: 'upper',
          limit: 0.5,
          clearMargin: 0,
          delayMs: profile.doorOpenMaxMs,
          // DESIGN.md §4: "open longer than the limit".
          strictlyLonger: true,
          reportsValues: false,
        };
  const cumulative: CumulativeRule[] = [];
  if (profile.cumulativeBudgetMs !== undefined && (range.lowC !== null || range.highC !== null)) {
    cumulative.push({
      severity: 'critical',
      boundary: null,
      limit: null,
      lowC: range.lowC,
      highC: range.highC,
      budgetMs: profile.cumulativeBudgetMs,
    });
  }
  for (const b of profile.temperature.boundaries) {
    if (b.budgetMs === undefined) continue;
    const band = b.direction === 'upper' ? { lowC: null, highC: b.limitC } : { lowC: b.limitC, highC: null };
    cumulative.push({ severity: b.severity, boundary: b.id, limit: b.limitC, ...band, budgetMs: b.budgetMs });
  }
  const targetC = profile.temperature.targetC;
  return {
    maxGapMs: profile.maxGapMs,
    settleMs: profile.settleMs,
    temperature,
    humidity,
    door,
    cumulative,
    range,
    target: targetC === undefined ? null : { lowC: targetC.lowC ?? null, highC: targetC.highC ?? null },
    mktLimitC: profile.mktLimitC ?? null,
    earlyWarning: earlyWarningRules(profile, range),
  };
}

function earlyWarningRules(profile: Profile, range: TemperatureRange): RuleSet['earlyWarning'] {
  const ew = profile.earlyWarning;
  if (ew === undefined) return null;
  const sides: EarlyWarningRule[] = [];
  for (const [direction, limit] of [
    ['upper', range.highC],
    ['lower', range.lowC],
  ] as const) {
    if (limit === null) continue;
    sides.push({
      air: {
        rule: 'early_warning',
        severity: 'warning',
        // The boundary that sets the range on this side (the tightest warning limit, see `temperatureRange`).
        boundary: rangeBoundaryId(profile, direction, limit),
        direction,
        limit,
        clearMargin: profile.hysteresisC,
        delayMs: ew.airDelayMs,
        strictlyLonger: false,
        reportsValues: true,
      },
      range,
    });
  }
  return { sides, trendWindowMs: ew.trendWindowMs };
}

function rangeBoundaryId(profile: Profile, direction: 'upper' | 'lower', limitC: number): string {
  const side = profile.temperature.boundaries.filter((b) => b.direction === direction && b.limitC === limitC);
  const boundary = side.find((b) => b.severity === 'warning') ?? side[0];
  return boundary?.id ?? direction;
}

function humidityRule(
  boundary: 'low' | 'high',
  direction: 'upper' | 'lower',
  limit: number,
  delayMs: number,
  clearMargin: number,
): ConsecutiveRule {
  return {
    rule: 'humidity',
    severity: 'warning',
    boundary,
    direction,
    limit,
    clearMargin,
    delayMs,
    strictlyLonger: false,
    reportsValues: true,
  };
}
