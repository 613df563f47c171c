import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from './engine.js';
import type { EvaluationWindow } from './evaluation-window.js';
import type { Excursion } from './excursion.js';
import { applyExcursionChanges, type ExcursionChange } from './excursion-changes.js';
import { type Profile, ProfileSchema } from './profile.js';
import type { Reading } from './reading.js';
import {
  canIngest,
  createEngineState,
  type EngineState,
  type IngestResult,
  ingest,
  trimHistory,
} from './streaming-engine.js';
import { at, excursion, testLeg as leg, MIN, testProfile as profile, T0, temps } from './test-fixtures.js';

const changeTypes = (changes: readonly ExcursionChange[]) => changes.map((c) => [c.type, c.excursion.key]);

describe('ingest: the change stream', () => {
  it('raises one alert for a compressor failure, updates its peak and closes it', () => {
    const state = createEngineState();
    const readings = temps(5, [5, 5, 9, 9.5, 10, 10.5, 11, 5]);
    const changes = readings.map((r) => ingest(state, [r], profile, leg, r.tsMs).changes);
    const key = `range:high:${at(10)}`;
    expect(changes.map(changeTypes)).toEqual([
      [],
      [],
      [],
      [],
      [],
      [['opened', key]],
      [['updated', key]],
      [['closed', key]],
    ]);
    expect(changes[5]![0]!.excursion).toEqual(
      excursion('range', 'high', 10, null, { limit: 8, peak: [10.5, 25] }),
    );
    expect(changes[7]![0]!.excursion).toEqual(
      excursion('range', 'high', 10, 35, { limit: 8, peak: [11, 30] }),
    );
  });

  it('raises nothing again when the same readings are delivered twice', () => {
    const state = createEngineState();
    const readings = temps(5, [5, 9, 9, 9, 9]);
    expect(changeTypes(ingest(state, readings, profile, leg).changes)).toEqual([
      ['opened', `range:high:${at(5)}`],
    ]);
    expect(ingest(state, readings, profile, leg).changes).toEqual([]);
  });

  it('opens a gap on the clock and removes it when the backlog fills it', () => {
    const state = createEngineState();
    expect(ingest(state, temps(5, [5, 5]), profile, leg, at(5)).changes).toEqual([]);
    const silent = ingest(state, [], profile, leg, at(16));
    expect(silent.changes).toEqual([{ type: 'opened', excursion: excursion('gap', null, 5, null) }]);
    const filled = ingest(state, temps(5, [5, 5, 5, 5], 10), profile, leg, at(26));
    expect(filled.changes).toEqual([{ type: 'removed', excursion: excursion('gap', null, 5, null) }]);
    expect(filled.excursions).toEqual([]);
  });

  it('places an excursion in a late backlog at its true event time', () => {
    // A cabinet goes quiet after 10 min; two hours later it flushes its backlog, in which it was at 9 °C from
    // 40 to 60 min.
    const state = createEngineState();
    ingest(state, temps(5, [5, 5, 5]), profile, leg, at(10));
    expect(changeTypes(ingest(state, [], profile, leg, at(130)).changes)).toEqual([
      ['opened', `gap:-:${at(10)}`],
    ]);
    const backlog = temps(
      5,
      Array.from({ length: 24 }, (_, i) => (i >= 5 && i <= 9 ? 9 : 5)),
      15,
    ).reverse();
    const flushed = ingest(state, backlog, profile, leg, at(131));
    expect(flushed.changes).toEqual([
      { type: 'removed', excursion: excursion('gap', null, 10, null) },
      { type: 'opened', excursion: excursion('range', 'high', 40, 65, { limit: 8, peak: [9, 40] }) },
    ]);
  });

  it('ends open excursions when the leg ends', () => {
    const state = createEngineState();
    ingest(state, temps(5, [5, 9, 9, 9, 9]), profile, leg);
    const ended = ingest(state, [], profile, { startMs: T0, endMs: at(30) });
    expect(ended.changes).toEqual([
      { type: 'closed', excursion: excursion('range', 'high', 5, 30, { limit: 8, peak: [9, 5] }) },
    ]);
  });

  it('carries its alarm state across a restart through JSON', () => {
    const state = createEngineState();
    const readings = temps(5, [5, 9, 9, 9, 9, 9, 5]);
    ingest(state, readings.slice(0, 5), profile, leg);
    const restored: EngineState = JSON.parse(JSON.stringify(state));
    const result = ingest(restored, readings.slice(5), profile, leg);
    expect(changeTypes(result.changes)).toEqual([['closed', `range:high:${at(5)}`]]);
    expect(result.excursions).toEqual(evaluate(readings, profile, leg).excursions);
  });
});

// Random profiles with short delays, so that random histories break every rule often.
const minutes = (...values: number[]) => fc.constantFrom(...values.map((m) => m * MIN));
const arbitraryProfile: fc.Arbitrary<Profile> = fc
  .record({
    warningDelayMs: minutes(0, 2, 5, 15),
    criticalDelayMs: minutes(0, 1),
    budgetMs: fc.option(minutes(0, 5, 20), { nil: undefined }),
    lowBudgetMs: fc.option(minutes(3, 10), { nil: undefined }),
    humidityDelayMs: minutes(0, 3, 10),
    maxGapMs: minutes(2, 5, 10),
    doorOpenMaxMs: fc.option(minutes(0, 2, 5), { nil: undefined }),
    hysteresisC: fc.constantFrom(0, 0.5, 1),
    settleMs: minutes(0, 7),
    earlyWarning: fc.option(fc.record({ airDelayMs: minutes(0, 3, 10), trendWindowMs: minutes(5, 30) }), {
      nil: undefined,
    }),
  })
  .map((p) =>
    ProfileSchema.parse({
      id: 'random',
      name: 'random',
      source: 'property test',
      temperature: {
        targetC: { lowC: 3, highC: 7 },
        boundaries: [
          { id: 'high', direction: 'upper', limitC: 8, severity: 'warning', delayMs: p.warningDelayMs },
          {
            id: 'low',
            direction: 'lower',
            limitC: 2,
            severity: 'warning',
            delayMs: p.warningDelayMs,
            budgetMs: p.lowBudgetMs,
          },
          {
            id: 'critical-high',
            direction: 'upper',
            limitC: 15,
            severity: 'critical',
            delayMs: p.criticalDelayMs,
          },
        ],
      },
      humidity: { lowPct: 80, highPct: 95, delayMs: p.humidityDelayMs, hysteresisPct: 2 },
      cumulativeBudgetMs: p.budgetMs,
      maxGapMs: p.maxGapMs,
      doorOpenMaxMs: p.doorOpenMaxMs,
      mktLimitC: 8,
      hysteresisC: p.hysteresisC,
      settleMs: p.settleMs,
      earlyWarning: p.earlyWarning,
    }),
  );

// Readings over ~7 h, some before the leg, many sharing a timestamp (redeliveries, and disagreeing ones).
// Up to 300 readings: with the default snapshot interval of 128, several snapshots.
const arbitraryReading: fc.Arbitrary<Reading> = fc.record(
  {
    tsMs: fc
      .tuple(fc.integer({ min: -10, max: 420 }), fc.constantFrom(0, 20_000, 40_000))
      .map(([m, s]) => at(m) + s),
    tempC: fc.oneof(
      fc.constantFrom(-1, 1.5, 2, 2.3, 5, 7.6, 8, 8.4, 9, 14.6, 15, 16),
      fc.double({ min: -3, max: 18, noNaN: true }),
    ),
    // The air beside the product, around the same limits, so that it leaves the range while the product is in.
    airC: fc.oneof(fc.constantFrom(1.5, 2, 5, 8, 8.4, 9, 12), fc.double({ min: -3, max: 18, noNaN: true })),
    rh: fc.integer({ min: 70, max: 100 }),
    door: fc.boolean(),
  },
  { requiredKeys: ['tsMs'] },
);

interface Delivery {
  /** Small intervals make a late reading rewind across many snapshots even in a short history. */
  checkpointEvery: number;
  profile: Profile;
  window: EvaluationWindow;
  readings: Reading[];
  /** The readings as delivered: permuted, some twice, cut into batches, each evaluated at its own clock. */
  calls: { batch: Reading[]; nowMs: number | undefined; restart: boolean }[];
}

// Each reading carries where it lands in the delivery order, whether it is delivered a second time (and
// where), and whether the batch ends after it — with the clock of that evaluation and whether the ingest
// restarts from its persisted state first. A flat array, so that fast-check shrinks a failure quickly.
const arbitraryDelivered = fc.record({
  reading: arbitraryReading,
  order: fc.nat(),
  again: fc.option(fc.nat(), { nil: undefined }),
  endsBatch: fc.nat({ max: 15 }).map((n) => n === 0),
  nowMs: fc.option(fc.integer({ min: 0, max: 500 }).map(at), { nil: undefined }),
  restart: fc.boolean(),
});

const arbitraryDelivery: fc.Arbitrary<Delivery> = fc
  .record({
    checkpointEvery: fc.constantFrom(1, 3, 16, 128),
    profile: arbitraryProfile,
    window: fc.record({
      startMs: fc.constant(T0),
      endMs: fc.option(fc.integer({ min: 60, max: 480 }).map(at), { nil: null }),
    }),
    delivered: fc.array(arbitraryDelivered, { maxLength: 300, size: 'max' }),
    finalNowMs: fc.option(fc.integer({ min: 0, max: 500 }).map(at), { nil: undefined }),
  })
  .map(({ checkpointEvery, profile, window, delivered, finalNowMs }) => {
    const copies = delivered.flatMap((d) => [
      { ...d, order: d.order },
      ...(d.again === undefined ? [] : [{ ...d, order: d.again }]),
    ]);
    copies.sort((a, b) => a.order - b.order);
    const calls: Delivery['calls'] = [];
    let batch: Reading[] = [];
    for (const [i, copy] of copies.entries()) {
      batch.push(copy.reading);
      if (copy.endsBatch || i === copies.length - 1) {
        calls.push({ batch, nowMs: copy.nowMs, restart: copy.restart });
        batch = [];
      }
    }
    calls.push({ batch: [], nowMs: finalNowMs, restart: false });
    return { checkpointEvery, profile, window, readings: delivered.map((d) => d.reading), calls };
  });

describe('ingest: streaming equals batch', () => {
  // The properties return booleans rather than calling `expect`: a failing `toEqual` formats a diff of the
  // whole evaluation, which would make shrinking a counterexample take minutes. fast-check prints the input.
  it('finds exactly the excursions and summary of the batch computation, after every batch, for any delivery', () => {
    fc.assert(
      fc.property(arbitraryDelivery, ({ checkpointEvery, profile, window, calls }) => {
        let state = createEngineState({ checkpointEvery });
        const seen: Reading[] = [];
        return calls.every((call) => {
          if (call.restart) state = JSON.parse(JSON.stringify(state));
          seen.push(...call.batch);
          const { changes: _, ...streamed } = ingest(state, call.batch, profile, window, call.nowMs);
          return isDeepStrictEqual(streamed, evaluate(seen, profile, window, call.nowMs));
        });
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('stays exact after trimming its oldest readings, for every batch it still takes', () => {
    const taken = { trimmedAndTaken: 0, refused: 0 };
    fc.assert(
      fc.property(
        arbitraryDelivery,
        fc.nat({ max: 40 }),
        ({ checkpointEvery, profile, window, calls }, keep) => {
          let state = createEngineState({ checkpointEvery });
          const seen: Reading[] = [];
          return calls.every((call) => {
            seen.push(...call.batch);
            let result: IngestResult;
            if (canIngest(state, call.batch, profile, window)) {
              if (state.floorMs != null && call.batch.length > 0) taken.trimmedAndTaken++;
              result = ingest(state, call.batch, profile, window, call.nowMs);
            } else {
              // What the ingest does then: build the state again from every reading of the leg.
              taken.refused++;
              state = createEngineState({ checkpointEvery });
              result = ingest(state, seen, profile, window, call.nowMs);
            }
            const { changes: _, ...streamed } = result;
            trimHistory(state, keep);
            if (call.restart) state = JSON.parse(JSON.stringify(state));
            return isDeepStrictEqual(streamed, evaluate(seen, profile, window, call.nowMs));
          });
        },
      ),
      { numRuns: 150 },
    );
    // Both ways were taken: the property is not vacuous.
    expect(taken.trimmedAndTaken).toBeGreaterThan(100);
    expect(taken.refused).toBeGreaterThan(10);
  }, 60_000);

  it('refuses, after trimming, a reading older than those kept, and a changed leg', () => {
    const state = createEngineState({ checkpointEvery: 2 });
    ingest(state, temps(5, [5, 5, 5, 5, 5, 5]), profile, leg);
    expect(trimHistory(state, 3)).toBe(2);
    expect(state.history).toHaveLength(4);
    expect(canIngest(state, temps(5, [5], 35), profile, leg)).toBe(true);
    // Between the last dropped reading (5 min) and the first kept one (10 min): still in order.
    expect(canIngest(state, temps(5, [5], 6), profile, leg)).toBe(true);
    expect(canIngest(state, temps(5, [9], 5), profile, leg)).toBe(false);
    expect(canIngest(state, [], profile, { ...leg, endMs: at(60) })).toBe(false);
    expect(() => ingest(state, temps(5, [9], 5), profile, leg)).toThrow(/trimmed/);
  });

  it('emits changes that replay to the current excursions', () => {
    fc.assert(
      fc.property(arbitraryDelivery, ({ checkpointEvery, profile, window, calls }) => {
        const state = createEngineState({ checkpointEvery });
        const replayed: Record<string, Excursion> = {};
        return calls.every((call) => {
          const result = ingest(state, call.batch, profile, window, call.nowMs);
          applyExcursionChanges(replayed, result.changes);
          return isDeepStrictEqual(replayed, Object.fromEntries(result.excursions.map((e) => [e.key, e])));
        });
      }),
      { numRuns: 100 },
    );
  }, 60_000);

  it('breaks every rule somewhere in the random histories (the properties are not vacuous)', () => {
    const rules = new Set<string>();
    fc.assert(
      fc.property(arbitraryDelivery, ({ profile, window, readings }) => {
        const { excursions, summary } = evaluate(readings, profile, window);
        for (const e of excursions) rules.add(e.rule);
        // An early warning is never a reason to fail the leg.
        const warnings = new Set(excursions.filter((e) => e.rule === 'early_warning').map((e) => e.key));
        return summary.reasons.every((r) => r.excursionKey === null || !warnings.has(r.excursionKey));
      }),
      { numRuns: 100 },
    );
    expect([...rules].sort()).toEqual([
      'critical',
      'cumulative',
      'door',
      'early_warning',
      'gap',
      'humidity',
      'range',
    ]);
  });
});
