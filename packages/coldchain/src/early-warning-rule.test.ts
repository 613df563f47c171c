import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate } from './engine.js';
import { toEngineReading } from './engine-reading.js';
import type { Excursion } from './excursion.js';
import { type Profile, parseProfiles } from './profile.js';
import type { Reading } from './reading.js';
import { createEngineState, ingest } from './streaming-engine.js';
import { at, MIN, T0 } from './test-fixtures.js';

const seeds = parseProfiles(
  JSON.parse(readFileSync(new URL('../../../seeds/profiles.json', import.meta.url), 'utf8')),
);
// 0–4 °C, warning delays 30 min, 0.5 °C hysteresis, 30-min settle period, air delay 15 min, trend 30 min.
const seafood = seeds.find((p) => p.id === 'chilled-seafood') as Profile;
const leg = { startMs: T0 };

/** A reefer's readings every 5 min from minute `fromMin` (after the 30-min settle period), as the wire has them. */
function reefer(air: readonly number[], product: readonly number[], fromMin = 30): Reading[] {
  return air.map((a, i) =>
    toEngineReading({ tsMs: at(fromMin + 5 * i), temp: { air: a, product: product[i]! } }),
  );
}

// Normal running for 30 min, then a compressor failure from minute 60: the air at 6–8.4 °C for 30 min while
// the product warms from 2.0 to 3.0 °C; the unit recovers at minute 95.
const normal = reefer([2.5, 2.4, 2.6, 2.5, 2.5, 2.6], [2, 2, 2, 2, 2, 2], 30);
const failure = reefer([6, 6.5, 7, 7.5, 8, 8.2, 8.4], [2, 2.2, 2.3, 2.5, 2.7, 2.8, 3], 60);
const recovered = reefer([3, 2.6, 2.4], [3, 2.9, 2.8], 95);
const demo = [...normal, ...failure, ...recovered];

/**
 * The delay (15 min of air from 60) is reached with the air reading at 75, when the product had been read at
 * 60, 65 and 70 min: 2.0, 2.2, 2.3 °C. Least squares: mean (65 min, 2.1667 °C), slope 1.5 / 50 = 0.03 °C/min,
 * so 4 °C at 65 + (4 − 2.1667) / 0.03 = 126.1 min, to the nearest minute.
 */
const demoWarning = (endMin: number | null): Excursion => ({
  key: `early_warning:high:${at(60)}`,
  rule: 'early_warning',
  severity: 'warning',
  boundary: 'high',
  limit: 4,
  startMs: at(60),
  endMs: endMin === null ? null : at(endMin),
  durationMs: endMin === null ? null : (endMin - 60) * MIN,
  peak: { value: 8.4, tsMs: at(90) },
  projectedBreachMs: at(126),
});

describe('early warning', () => {
  it('raises an early warning, and no excursion, when the air fails while the product is still inside', () => {
    const evaluation = evaluate(demo, seafood, leg);
    expect(evaluation.excursions).toEqual([demoWarning(95)]);
    expect(evaluation.summary.verdict).toBe('pass');
    expect(evaluation.summary.reasons).toEqual([]);
  });

  it('raises it once the air has been out for the delay, and not before', () => {
    const upTo = (minute: number) => demo.filter((r) => r.tsMs <= at(minute));
    expect(evaluate(upTo(70), seafood, leg).excursions).toEqual([]);
    expect(evaluate(upTo(70), seafood, leg, at(74)).excursions).toEqual([]);
    const open = { ...demoWarning(null), peak: { value: 7, tsMs: at(70) } };
    // On the clock: the air read at 70 holds until 75, completing the delay, though no reading came.
    expect(evaluate(upTo(70), seafood, leg, at(75)).excursions).toEqual([open]);
    expect(evaluate(upTo(75), seafood, leg).excursions).toEqual([
      { ...open, peak: { value: 7.5, tsMs: at(75) } },
    ]);
  });

  it('ends by itself when the air is back inside by the hysteresis margin', () => {
    // 3.8 °C is inside the range but not by 0.5 °C: the warning stays open until 3.4 °C at 100 min.
    const hovering = [...normal, ...failure, ...reefer([3.8, 3.4, 2.6], [3, 2.9, 2.8], 95)];
    expect(evaluate(hovering, seafood, leg).excursions).toEqual([demoWarning(100)]);
  });

  it('raises nothing for the air out for less than the delay, as at a door opening', () => {
    // Out at 60 and 65 min, back at 70: 10 min of the 15-min delay.
    const door = [...normal, ...reefer([7, 5.5], [2, 2.1], 60), ...reefer([3, 2.6], [2.1, 2], 70)];
    expect(evaluate(door, seafood, leg).excursions).toEqual([]);
  });

  it('ends when the product leaves the range, and the product’s own excursion follows', () => {
    // The product passes 4 °C at 90 min and stays out: the warning ends there, and 30 min later (the warning
    // delay) the product's range excursion stands. The air stays out, but no second warning is raised.
    const product = [2, 2.4, 2.8, 3.2, 3.6, 3.9, 4.2, 4.4, 4.6, 4.8, 5, 5.2, 5.4];
    const air = [6, 6.5, 7, 7.5, 8, 8.2, 8.4, 8.5, 8.6, 8.7, 8.8, 8.9, 9];
    const evaluation = evaluate([...normal, ...reefer(air, product, 60)], seafood, leg);
    expect(evaluation.excursions.map((e) => [e.rule, e.startMs, e.endMs])).toEqual([
      ['early_warning', at(60), at(90)],
      ['range', at(90), null],
    ]);
    expect(evaluation.excursions[0]!.projectedBreachMs).not.toBeNull();
    expect(evaluation.excursions[1]!.projectedBreachMs).toBeNull();
    expect(evaluation.summary.reasons.map((r) => r.excursionKey)).toEqual([`range:high:${at(90)}`]);
  });

  it('warns of air below the range as well, projecting the product falling to the lower limit', () => {
    const cold = [...normal, ...reefer([-1, -1.5, -2, -2, -2], [2, 1.8, 1.6, 1.4, 1.2], 60)];
    const [warning] = evaluate(cold, seafood, leg).excursions;
    // Product 2.0, 1.8, 1.6 at 60–70 min: −0.04 °C/min, 0 °C at 65 + 1.8 / 0.04 = 110 min.
    expect(warning).toMatchObject({ rule: 'early_warning', boundary: 'low', limit: 0, endMs: null });
    expect(warning!.projectedBreachMs).toBe(at(110));
  });

  it('projects no breach while the product is not warming', () => {
    const flat = [...normal, ...reefer([7, 7, 7, 7, 7], [2, 2, 2, 2, 2], 60)];
    expect(evaluate(flat, seafood, leg).excursions.map((e) => [e.rule, e.projectedBreachMs])).toEqual([
      ['early_warning', null],
    ]);
  });

  it('needs an air probe beside the product: a device with air alone is judged on the air', () => {
    const airOnly = demo.map(({ airC, ...r }) => ({ ...r, tempC: airC ?? (r.tempC as number) }));
    // The air above 4 °C from 60 to 95 min (longer than the 30-min delay) and above 8 °C at 85 and 90.
    expect(evaluate(airOnly, seafood, leg).excursions.map((e) => e.rule)).toEqual(['range', 'critical']);
    const { earlyWarning: _, ...withoutWarning } = seafood;
    expect(evaluate(demo, withoutWarning, leg).excursions).toEqual([]);
  });

  it('gives the same warning for late, reordered and redelivered readings, batch or streaming', () => {
    const reordered = [...demo].reverse();
    const shuffled = [...reordered.filter((_, i) => i % 2 === 0), ...reordered.filter((_, i) => i % 2 === 1)];
    expect(evaluate([...shuffled, ...demo.slice(3, 8)], seafood, leg).excursions).toEqual([demoWarning(95)]);

    const state = createEngineState({ checkpointEvery: 3 });
    // Live readings up to the failure, then the failure as a late backlog, newest first, after the recovery.
    ingest(state, normal, seafood, leg, at(60));
    ingest(state, recovered, seafood, leg, at(106));
    const result = ingest(state, [...failure].reverse(), seafood, leg, at(106));
    expect(result.excursions).toEqual([demoWarning(95)]);
    expect(result.changes.map((c) => [c.type, c.excursion.rule])).toEqual([
      ['removed', 'gap'],
      ['opened', 'early_warning'],
    ]);
  });

  it('raises one alert when the warning opens and closes it when the air returns, projection unchanged', () => {
    const state = createEngineState();
    const changes = demo.map((r) => ingest(state, [r], seafood, leg, r.tsMs).changes);
    const flat = changes.flat();
    expect(flat.map((c) => c.type)).toEqual(['opened', 'updated', 'updated', 'updated', 'closed']);
    expect(flat[0]!.excursion).toMatchObject({ startMs: at(60), endMs: null, projectedBreachMs: at(126) });
    // Only the air's peak moves while it is open; the projection is the one made when it was raised.
    expect(new Set(flat.map((c) => c.excursion.projectedBreachMs))).toEqual(new Set([at(126)]));
    expect(flat.at(-1)!.excursion).toEqual(demoWarning(95));
  });
});
