import type { ComplianceSummary } from './compliance.js';
import { type EvaluationWindow, evaluatedFrom, horizon, isEvaluated } from './evaluation-window.js';
import type { Excursion } from './excursion.js';
import { finish, initialFold, step } from './fold.js';
import type { Profile } from './profile.js';
import { type Reading, sortReadings } from './reading.js';
import { ruleSet } from './rule-set.js';

export interface Evaluation {
  /** The instant evaluated at: the leg's end, `nowMs`, or the last reading (see `horizon`). */
  asOfMs: number;
  legEnded: boolean;
  /** Ordered by start, then key. */
  excursions: Excursion[];
  summary: ComplianceSummary;
}

/**
 * Evaluates a device's complete history against a profile over one custody leg: the reference computation.
 * Readings may come in any order and with duplicates; those outside the leg or inside its settle period are
 * ignored. `nowMs` (wall clock) lets an open leg be judged at the present, so that silence counts.
 */
export function evaluate(
  readings: readonly Reading[],
  profile: Profile,
  window: EvaluationWindow,
  nowMs?: number,
): Evaluation {
  const rules = ruleSet(profile);
  const fromMs = evaluatedFrom(window, rules.settleMs);
  const history = sortReadings(readings.filter((r) => isEvaluated(r.tsMs, window, fromMs)));
  const state = initialFold(rules, fromMs);
  const closed: Excursion[] = [];
  for (const reading of history) step(state, rules, reading, closed);
  const at = horizon(window, fromMs, history.at(-1)?.tsMs ?? null, nowMs);
  return { asOfMs: at.asOfMs, legEnded: at.legEnded, ...finish(state, rules, closed, at, fromMs) };
}
