import { type Excursion, type ExcursionRule, excursionKey, type Peak, type Severity } from './excursion.js';

/**
 * A limit that is a breach once a value stays beyond it long enough: the temperature boundaries (`range`,
 * `critical`), humidity, the door (open = 1 against a limit of ½, cleared by the first closed reading), and the
 * air beside a product probe, which the early warning watches (`early-warning-rule.ts`).
 */
export interface ConsecutiveRule {
  rule: ExcursionRule;
  severity: Severity;
  boundary: string | null;
  direction: 'upper' | 'lower';
  limit: number;
  /** An open excursion clears at the first value inside the limit by this margin (hysteresis). */
  clearMargin: number;
  delayMs: number;
  /** True: a breach once time beyond is longer than the delay; false: at least the delay. */
  strictlyLonger: boolean;
  /** False for the door, whose limit and values mean nothing to a reader. */
  reportsValues: boolean;
}

/**
 * The run of consecutive samples beyond the limit. A run that has not yet lasted the delay ends at the first
 * sample inside the limit and leaves nothing behind (a door-open spike). Once it has lasted the delay it is an
 * excursion, which ends only at the first sample inside by the hysteresis margin, so that a value hovering at
 * the limit does not open and close alerts over and over.
 */
export interface RunState {
  startMs: number | null;
  /** Time beyond the limit so far (each sample's hold, see `fold.ts`). */
  accMs: number;
  /** The run has lasted the delay: it is an excursion. */
  fired: boolean;
  peak: Peak | null;
}

export function idleRun(): RunState {
  return { startMs: null, accMs: 0, fired: false, peak: null };
}

export function copyRun(run: RunState): RunState {
  return { ...run };
}

/** The previous sample's value held for `holdMs`: a run in progress accrues it. */
export function accrueRun(run: RunState, rule: ConsecutiveRule, holdMs: number): void {
  if (run.startMs === null || run.fired) return;
  run.accMs += holdMs;
  run.fired = lastedDelay(run.accMs, rule);
}

/** A new sample. Returns the excursion it closes, if any. */
export function observeRun(
  run: RunState,
  rule: ConsecutiveRule,
  value: number,
  tsMs: number,
): Excursion | null {
  if (isBeyond(rule.direction, rule.limit, value)) {
    if (run.startMs === null) {
      run.startMs = tsMs;
      run.accMs = 0;
      run.fired = lastedDelay(0, rule);
      run.peak = { value, tsMs };
    } else if (run.peak !== null && isBeyond(rule.direction, run.peak.value, value)) {
      run.peak = { value, tsMs };
    }
    return null;
  }
  if (run.startMs === null) return null;
  if (run.fired && !clears(rule, value)) return null;
  const closed = run.fired ? runExcursion(run, rule, tsMs) : null;
  Object.assign(run, idleRun());
  return closed;
}

/** The excursion of a run that has lasted the delay, ending at `endMs` (null: still open). */
export function runExcursion(run: RunState, rule: ConsecutiveRule, endMs: number | null): Excursion | null {
  if (run.startMs === null || !run.fired) return null;
  return {
    key: excursionKey(rule.rule, rule.boundary, run.startMs),
    rule: rule.rule,
    severity: rule.severity,
    boundary: rule.boundary,
    limit: rule.reportsValues ? rule.limit : null,
    startMs: run.startMs,
    endMs,
    durationMs: endMs === null ? null : endMs - run.startMs,
    peak: rule.reportsValues ? run.peak : null,
    projectedBreachMs: null,
  };
}

function isBeyond(direction: 'upper' | 'lower', limit: number, value: number): boolean {
  return direction === 'upper' ? value > limit : value < limit;
}

function clears(rule: ConsecutiveRule, value: number): boolean {
  return rule.direction === 'upper'
    ? value <= rule.limit - rule.clearMargin
    : value >= rule.limit + rule.clearMargin;
}

function lastedDelay(accMs: number, rule: ConsecutiveRule): boolean {
  return rule.strictlyLonger ? accMs > rule.delayMs : accMs >= rule.delayMs;
}
