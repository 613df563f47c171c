import {
  accrueRun,
  type ConsecutiveRule,
  copyRun,
  idleRun,
  observeRun,
  type RunState,
  runExcursion,
} from './consecutive-rule.js';
import type { Excursion } from './excursion.js';
import type { Sample } from './fold.js';
import { projectedCrossingMs } from './product-trend.js';
import type { TemperatureRange } from './profile.js';
import { within } from './temperature-stats.js';

/*
 * The verdict follows the product probe, which lags the air by hours in a loaded unit: when a compressor
 * fails the air leaves the range long before the product does, and an operator who learns of it only when
 * the product breaches has lost the time to act. The early warning is raised from the air instead, while the
 * product is still inside, and never counts as an excursion (`compliance.ts`).
 *
 * One side of the range per rule. The air's run is a consecutive rule (`consecutive-rule.ts`): it starts at
 * the first air reading beyond the range limit, lasts the profile's air delay before it counts (a door opened
 * at a drop raises nothing), and ends only at the first air reading back inside by the hysteresis margin.
 * The warning is open while the run has lasted the delay and the product is inside the range; it ends when
 * the air comes back, or when the product itself leaves the range — then the product's own rules take over,
 * and no second warning is raised for the same run of the air, so that a product hovering at its limit does
 * not open and close warnings over and over.
 */

export interface EarlyWarningRule {
  /** The air beyond one side's range limit: rule `early_warning`, severity `warning`, the air delay. */
  air: ConsecutiveRule;
  /** The product's range: the warning holds only while the product is inside it. */
  range: TemperatureRange;
}

export interface EarlyWarningState {
  air: RunState;
  open: boolean;
  /** This run of the air has had its warning, ended by the product leaving the range. */
  spent: boolean;
  /** Made once, when the warning opens: a projection revised on every reading would update the alert as often. */
  projectedBreachMs: number | null;
}

export function idleWarning(): EarlyWarningState {
  return { air: idleRun(), open: false, spent: false, projectedBreachMs: null };
}

export function copyWarning(state: EarlyWarningState): EarlyWarningState {
  return { ...state, air: copyRun(state.air) };
}

/**
 * The previous air sample held for `holdMs`. When that completes the delay, the warning opens if the product
 * (its latest sample, which held over the same time) is inside the range.
 */
export function accrueWarning(
  state: EarlyWarningState,
  rule: EarlyWarningRule,
  holdMs: number,
  product: Sample | null,
  trend: readonly Sample[],
): void {
  accrueRun(state.air, rule.air, holdMs);
  openIfDue(state, rule, product, trend);
}

/** A new air sample. Returns the warning it ends, if the air is back inside. */
export function observeAir(
  state: EarlyWarningState,
  rule: EarlyWarningRule,
  airC: number,
  tsMs: number,
): Excursion | null {
  // Taken before the run is reset; a reading that ends the run is not beyond, so it sets no new peak.
  const ending = warningExcursion(state, rule, tsMs);
  observeRun(state.air, rule.air, airC, tsMs);
  if (state.air.startMs !== null) return null;
  state.open = false;
  state.spent = false;
  state.projectedBreachMs = null;
  return ending;
}

/** A new product sample. Returns the warning it ends, if the product has left the range. */
export function observeProduct(
  state: EarlyWarningState,
  rule: EarlyWarningRule,
  productC: number,
  tsMs: number,
): Excursion | null {
  if (!state.open || within(rule.range, productC)) return null;
  const ended = warningExcursion(state, rule, tsMs);
  state.open = false;
  state.spent = true;
  return ended;
}

/**
 * Opens the warning once the air run has lasted the delay and the product is inside, projecting the product's
 * breach from its samples since the air left the range (`trend`: the product's recent samples, oldest first).
 */
export function openIfDue(
  state: EarlyWarningState,
  rule: EarlyWarningRule,
  product: Sample | null,
  trend: readonly Sample[],
): void {
  const startMs = state.air.startMs;
  if (state.open || state.spent || !state.air.fired || startMs === null) return;
  if (product === null || !within(rule.range, product.value)) return;
  state.open = true;
  const since = trend.filter((s) => s.tsMs >= startMs);
  state.projectedBreachMs = projectedCrossingMs(since, rule.air.limit, rule.air.direction);
}

/** The open warning, ending at `endMs` (null: still open). */
export function warningExcursion(
  state: EarlyWarningState,
  rule: EarlyWarningRule,
  endMs: number | null,
): Excursion | null {
  if (!state.open) return null;
  const excursion = runExcursion(state.air, rule.air, endMs);
  return excursion === null ? null : { ...excursion, projectedBreachMs: state.projectedBreachMs };
}
