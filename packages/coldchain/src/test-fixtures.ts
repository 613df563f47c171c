// Shared by the engine's tests; not exported from the package.
import type { EvaluationWindow } from './evaluation-window.js';
import type { Excursion, ExcursionRule } from './excursion.js';
import { type Profile, ProfileSchema } from './profile.js';
import type { Reading } from './reading.js';

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);

/** Event time `minute` minutes into the test leg. */
export const at = (minute: number): number => T0 + minute * MIN;

/** A 2–8 °C profile with round numbers, so that each expectation can be worked out by hand. */
export const testProfile: Profile = ProfileSchema.parse({
  id: 'test-2-8',
  name: 'Test 2–8 °C',
  source: 'unit test',
  temperature: {
    boundaries: [
      { id: 'high', direction: 'upper', limitC: 8, severity: 'warning', delayMs: 15 * MIN },
      { id: 'low', direction: 'lower', limitC: 2, severity: 'warning', delayMs: 15 * MIN },
      { id: 'critical-high', direction: 'upper', limitC: 15, severity: 'critical', delayMs: 0 },
      { id: 'critical-low', direction: 'lower', limitC: 0, severity: 'critical', delayMs: 0 },
    ],
  },
  humidity: { lowPct: 80, highPct: 95, delayMs: 30 * MIN, hysteresisPct: 2 },
  cumulativeBudgetMs: 30 * MIN,
  maxGapMs: 10 * MIN,
  doorOpenMaxMs: 5 * MIN,
  mktLimitC: 8,
  hysteresisC: 0.5,
  settleMs: 0,
});

export const testLeg: EvaluationWindow = { startMs: T0 };

/** Temperature readings every `stepMin` minutes from `fromMin`. */
export function temps(stepMin: number, values: readonly number[], fromMin = 0): Reading[] {
  return values.map((tempC, i) => ({ tsMs: at(fromMin + i * stepMin), tempC }));
}

/** The excursion a test expects, from minutes into the leg. */
export function excursion(
  rule: ExcursionRule,
  boundary: string | null,
  startMin: number,
  endMin: number | null,
  details: { limit?: number; peak?: [value: number, minute: number] } = {},
): Excursion {
  return {
    key: `${rule}:${boundary ?? '-'}:${at(startMin)}`,
    rule,
    severity: rule === 'critical' || rule === 'cumulative' ? 'critical' : 'warning',
    boundary,
    limit: details.limit ?? null,
    startMs: at(startMin),
    endMs: endMin === null ? null : at(endMin),
    durationMs: endMin === null ? null : (endMin - startMin) * MIN,
    peak: details.peak === undefined ? null : { value: details.peak[0], tsMs: at(details.peak[1]) },
    projectedBreachMs: null,
  };
}
