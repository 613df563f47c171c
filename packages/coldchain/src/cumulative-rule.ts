import { type Excursion, excursionKey, type Peak, type Severity } from './excursion.js';

/**
 * Accumulated time outside a band over the whole journey: the profile's `cumulativeBudgetMs` against the
 * range, or a boundary's own `budgetMs` against its limit. Many short excursions, none long enough for the
 * delay, can add up to a breach.
 */
export interface CumulativeRule {
  severity: Severity;
  /** The boundary id, or null for the profile's range. */
  boundary: string | null;
  /** The single limit of a boundary's budget; null for the two-sided range. */
  limit: number | null;
  lowC: number | null;
  highC: number | null;
  budgetMs: number;
}

export interface CumulativeState {
  accMs: number;
  /** The instant the budget ran out, in event time; null while budget remains. */
  exhaustedAtMs: number | null;
  /** Most extreme sample outside the band so far. */
  peak: Peak | null;
}

export function emptyCumulative(): CumulativeState {
  return { accMs: 0, exhaustedAtMs: null, peak: null };
}

export function copyCumulative(state: CumulativeState): CumulativeState {
  return { ...state };
}

/**
 * The previous sample (`value`, taken at `tsMs`) held for `holdMs`. When the budget runs out within the hold,
 * the breach starts at that instant — not at the next sample — so that its start does not depend on when the
 * next reading happens to come.
 */
export function accrueCumulative(
  state: CumulativeState,
  rule: CumulativeRule,
  value: number,
  tsMs: number,
  holdMs: number,
): void {
  if (excess(rule, value) <= 0) return;
  const before = state.accMs;
  state.accMs += holdMs;
  if (state.exhaustedAtMs === null && state.accMs > rule.budgetMs) {
    state.exhaustedAtMs = tsMs + Math.max(0, rule.budgetMs - before);
  }
}

export function observeCumulative(
  state: CumulativeState,
  rule: CumulativeRule,
  value: number,
  tsMs: number,
): void {
  const beyond = excess(rule, value);
  if (beyond <= 0) return;
  if (state.peak === null || beyond > excess(rule, state.peak.value)) state.peak = { value, tsMs };
}

/** The breach, once the budget has run out; it lasts until the leg ends (`endMs`; null: still open). */
export function cumulativeExcursion(
  state: CumulativeState,
  rule: CumulativeRule,
  endMs: number | null,
): Excursion | null {
  if (state.exhaustedAtMs === null) return null;
  return {
    key: excursionKey('cumulative', rule.boundary, state.exhaustedAtMs),
    rule: 'cumulative',
    severity: rule.severity,
    boundary: rule.boundary,
    limit: rule.limit,
    startMs: state.exhaustedAtMs,
    endMs,
    durationMs: endMs === null ? null : endMs - state.exhaustedAtMs,
    peak: state.peak,
    projectedBreachMs: null,
  };
}

/** How far `value` lies outside the band (> 0 outside, ≤ 0 inside). */
function excess(rule: CumulativeRule, value: number): number {
  const above = rule.highC === null ? Number.NEGATIVE_INFINITY : value - rule.highC;
  const below = rule.lowC === null ? Number.NEGATIVE_INFINITY : rule.lowC - value;
  return Math.max(above, below);
}
