import { describe, expect, it } from 'vitest';
import { evaluate } from '../engine.js';
import { toEngineReading } from '../engine-reading.js';
import { buildComplianceReport } from './build-report.js';
import {
  at,
  leg,
  MIN,
  product,
  reportInput,
  reportProfile,
  shuffled,
  withProfile,
} from './report-fixtures.js';

/** USP <1079> written out independently of `mkt.ts`: (ΔH/R) / −ln(Σ tᵢ·e^(−ΔH/RTᵢ) / Σ tᵢ) − 273.15. */
function handMkt(parts: [tempC: number, minutes: number][]): number {
  const total = parts.reduce((s, [, m]) => s + m, 0);
  const sum = parts.reduce((s, [t, m]) => s + m * Math.exp(-10_000 / (t + 273.15)), 0);
  return 10_000 / -Math.log(sum / total) - 273.15;
}

// 0–60 min, every 5 min: 5 °C for 30 min, 9 °C for 10 min (under the 15-min delay), 1 °C for 5 min, 5 °C for 15.
const history = product([5, 5, 5, 5, 5, 5, 9, 9, 1, 5, 5, 5]);

describe('buildComplianceReport: statistics', () => {
  const report = buildComplianceReport(reportInput([leg(1, 0, 60, history)]));
  const productStats = report.sensors.find((s) => s.sensor === 'product')!;
  const air = report.sensors.find((s) => s.sensor === 'air')!;

  it('lists every temperature sensor by name and marks the judged one', () => {
    expect(report.sensors.map((s) => [s.sensor, s.kind, s.judged])).toEqual([
      ['air', 'temperature', false],
      ['product', 'temperature', true],
    ]);
  });

  it('gives min and max with the time of their first reading', () => {
    expect(productStats.min).toEqual({ value: 1, tsMs: at(40) });
    expect(productStats.max).toEqual({ value: 9, tsMs: at(30) });
    expect(air.max).toEqual({ value: 10, tsMs: at(30) });
  });

  it('weights the mean by how long each reading held', () => {
    expect(productStats.mean).toBeCloseTo((5 * 45 + 9 * 10 + 1 * 5) / 60, 10);
  });

  it('computes the MKT of the series as USP <1079> does', () => {
    expect(productStats.mktC).toBeCloseTo(
      handMkt([
        [5, 45],
        [9, 10],
        [1, 5],
      ]),
      10,
    );
    const flat = buildComplianceReport(reportInput([leg(1, 0, 60, product(Array(12).fill(5)))]));
    expect(flat.sensors.find((s) => s.sensor === 'product')!.mktC).toBeCloseTo(5, 10);
  });

  it.each([
    ['high', 10 * MIN, 50 * MIN, 10 * MIN],
    ['low', 55 * MIN, 5 * MIN, 5 * MIN],
    ['critical-high', 0, 60 * MIN, 0],
    ['critical-low', 60 * MIN, 0, 0],
  ])('counts the time above and below boundary %s', (id, above, below, beyond) => {
    const b = productStats.boundaries.find((x) => x.boundaryId === id)!;
    expect([b.timeAboveMs, b.timeBelowMs, b.timeBeyondMs]).toEqual([above, below, beyond]);
  });

  it('counts time in and outside the range, and the outside time against the budget', () => {
    expect(productStats.timeInRangeMs).toBe(45 * MIN);
    expect(productStats.timeOutsideRangeMs).toBe(15 * MIN);
    expect(productStats.timeWithoutDataMs).toBe(0);
    expect(productStats.budget).toEqual({
      budgetMs: 30 * MIN,
      usedMs: 15 * MIN,
      remainingMs: 15 * MIN,
      overBudget: false,
    });
  });

  it('agrees with the engine on the judged series', () => {
    const engine = evaluate(
      history.map(toEngineReading),
      reportProfile,
      { startMs: at(0), endMs: at(60) },
      at(120),
    );
    expect(report.judged.legs[0]).toMatchObject({
      meanC: engine.summary.meanC,
      mktC: engine.summary.mktC,
      timeOutsideRangeMs: engine.summary.timeOutsideRangeMs,
    });
    expect(report.judged.meanC).toBeCloseTo(engine.summary.meanC!, 12);
    expect(report.judged.mktC).toBeCloseTo(engine.summary.mktC!, 12);
    expect(productStats.mean).toBeCloseTo(engine.summary.meanC!, 12);
  });

  it('caps a reading’s hold at the maximum gap, leaving the rest as time without data', () => {
    // 5 °C at 0, then nothing until 30: 10 min held (maxGapMs), 20 min without data.
    const r = buildComplianceReport(reportInput([leg(1, 0, 35, product([5], 0).concat(product([5], 30)))]));
    const s = r.sensors.find((x) => x.sensor === 'product')!;
    expect([s.timeInRangeMs, s.timeWithoutDataMs, s.periodMs]).toEqual([15 * MIN, 20 * MIN, 35 * MIN]);
  });

  it('reports humidity where measured, against the profile’s humidity range', () => {
    const readings = history.map((r, i) => ({ ...r, rh: i < 6 ? 90 : 70 }));
    const rh = buildComplianceReport(reportInput([leg(1, 0, 60, readings)])).sensors.find(
      (s) => s.sensor === 'rh',
    )!;
    expect(rh).toMatchObject({
      kind: 'humidity',
      mktC: null,
      timeInRangeMs: 30 * MIN,
      timeOutsideRangeMs: 30 * MIN,
    });
    expect(rh.mean).toBeCloseTo(80, 10);
  });

  it('leaves readings of the settle period out of the statistics but shows and counts them', () => {
    const settled = withProfile({ settleMs: 10 * MIN });
    const readings = product([20, 20, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
    const r = buildComplianceReport(reportInput([leg(1, 0, 60, readings)], { profile: settled }));
    const s = r.sensors.find((x) => x.sensor === 'product')!;
    expect([s.max, s.sampleCount, s.periodMs]).toEqual([{ value: 5, tsMs: at(10) }, 10, 50 * MIN]);
    expect(r.completeness.legs[0]).toMatchObject({ receivedReadings: 12, settleReadings: 2 });
    expect(r.chart.points.some((p) => p.tempC === 20)).toBe(true);
    expect(r.chart.settle).toEqual([{ startMs: at(0), endMs: at(10) }]);
    expect(r.excursions).toEqual([]);
  });
});

describe('buildComplianceReport: data completeness', () => {
  // A 3-h leg, a reading due every 5 min; the first comes 20 min late and the hour 65–120 min is missing.
  const readings = product(Array(36).fill(5)).filter((r) => {
    const minute = (r.tsMs - at(0)) / MIN;
    return minute >= 20 && (minute < 65 || minute > 120);
  });
  const report = buildComplianceReport(reportInput([leg(1, 0, 180, readings)]));

  it('counts expected readings at the recording interval against received ones', () => {
    expect(report.completeness).toMatchObject({
      recordingIntervalMs: 5 * MIN,
      expectedReadings: 36,
      receivedReadings: 20,
    });
  });

  it('lists every gap with its start, end and missing readings', () => {
    expect(report.completeness.gaps).toEqual([
      {
        legId: 1,
        deviceId: 'logger-1',
        kind: 'start',
        startMs: at(0),
        endMs: at(20),
        durationMs: 20 * MIN,
        missingReadings: 4,
      },
      {
        legId: 1,
        deviceId: 'logger-1',
        kind: 'between',
        startMs: at(60),
        endMs: at(125),
        durationMs: 65 * MIN,
        missingReadings: 12,
      },
    ]);
    expect(report.completeness.timeInGapsMs).toBe(85 * MIN);
  });

  it('lists the stretch after the last reading and a leg without any reading', () => {
    const r = buildComplianceReport(reportInput([leg(1, 0, 30, product([5, 5])), leg(2, 30, 60, [])]));
    expect(r.completeness.gaps.map((g) => [g.legId, g.kind, g.startMs, g.endMs, g.missingReadings])).toEqual([
      [1, 'end', at(5), at(30), 4],
      [2, 'whole', at(30), at(60), 6],
    ]);
  });

  it('defaults the recording interval to the maximum gap', () => {
    const { recordingIntervalMs: _, ...rest } = reportProfile;
    const r = buildComplianceReport(reportInput([leg(1, 0, 60, history)], { profile: rest }));
    expect(r.profile).toMatchObject({ recordingIntervalMs: 10 * MIN, recordingIntervalDefaulted: true });
    expect(r.completeness.expectedReadings).toBe(6);
  });
});

describe('buildComplianceReport: verdict', () => {
  const codes = (r: ReturnType<typeof buildComplianceReport>) => r.verdict.reasons.map((x) => x.code);
  it.each([
    ['pass', reportInput([leg(1, 0, 60, history)]), 'pass', []],
    [
      'fail for an excursion',
      reportInput([leg(1, 0, 60, product([9, 9, 9, 9, 5, 5, 5, 5, 5, 5, 5, 5]))]),
      'fail',
      ['excursion'],
    ],
    [
      'fail for MKT',
      reportInput([leg(1, 0, 60, product(Array(12).fill(7)))], { profile: withProfile({ mktLimitC: 6 }) }),
      'fail',
      ['mkt'],
    ],
    [
      'fail for the budget',
      reportInput([leg(1, 0, 60, product([9, 9, 5, 9, 9, 5, 9, 9, 5, 9, 9, 5]))], {
        profile: withProfile({ cumulativeBudgetMs: 30 * MIN, mktLimitC: 20 }),
      }),
      'fail',
      ['excursion', 'budget'],
    ],
    [
      'pending for an open leg',
      reportInput([leg(1, 0, null, history)], { nowMin: 60, status: 'in_transit' }),
      'pending',
      ['leg-open', 'not-delivered'],
    ],
    [
      'pending while data may arrive',
      reportInput([leg(1, 0, 60, history)], { nowMin: 65 }),
      'pending',
      ['data-may-arrive'],
    ],
    [
      'pending without custody',
      reportInput([], { status: 'planned' }),
      'pending',
      ['no-custody', 'not-delivered'],
    ],
  ] as const)('%s', (_name, input, status, expected) => {
    const r = buildComplianceReport(input);
    expect(r.verdict.status).toBe(status);
    expect(codes(r)).toEqual(expected);
  });

  it('names the cumulative excursion and the budget when short excursions add up', () => {
    const r = buildComplianceReport(
      reportInput([leg(1, 0, 60, product([9, 9, 5, 9, 9, 5, 9, 9, 5, 9, 9, 5]))], {
        profile: withProfile({ mktLimitC: 20 }),
      }),
    );
    expect(r.judged.budget).toMatchObject({ usedMs: 40 * MIN, overBudget: true });
    expect(r.excursions.map((e) => [e.rule, e.failing])).toEqual([['cumulative', true]]);
  });

  it('fails a leg without readings for its data gap', () => {
    const r = buildComplianceReport(reportInput([leg(1, 0, 60, [])]));
    expect(r.verdict.status).toBe('fail');
    expect(r.excursions.map((e) => e.rule)).toEqual(['gap']);
  });
});

describe('buildComplianceReport: early warnings', () => {
  // The air at 9.5 °C from 0 to 30 min (a failing unit), back at 4 °C from 35; the product at 5 to 5.6 °C.
  const readings = Array.from({ length: 12 }, (_, i) => ({
    tsMs: at(5 * i),
    temp: { product: 5 + Math.min(i, 6) * 0.1, air: i <= 6 ? 9.5 : 4 },
  }));
  const warned = withProfile({ earlyWarning: { airDelayMs: 15 * MIN, trendWindowMs: 30 * MIN } });
  const key = `early_warning:high:${at(0)}`;
  const alert = {
    id: 9,
    key: `S-1:1:${key}`,
    rule: 'early_warning',
    severity: 'warning' as const,
    status: 'resolved' as const,
    acknowledgedBy: 'op-li',
    acknowledgedAtMs: at(20),
    note: 'driver restarted the unit',
    resolvedBy: 'system',
    resolutionNote: null,
    resolvedAtMs: at(40),
  };
  const report = buildComplianceReport(reportInput([leg(1, 0, 60, readings)], { profile: warned }, [alert]));

  it('lists an early warning in its own section, with its projection and its alert', () => {
    // The delay is reached with the air reading at 15 min; the product read 5.0, 5.1, 5.2 °C at 0–10 min
    // before it: 0.02 °C/min, 8 °C at 150 min.
    expect(report.earlyWarnings).toEqual([
      {
        key,
        alertKey: `S-1:1:${key}`,
        boundary: 'high',
        limit: 8,
        startMs: at(0),
        endMs: at(35),
        durationMs: 35 * MIN,
        peak: { value: 9.5, tsMs: at(0) },
        projectedBreachMs: at(150),
        legId: 1,
        holder: 'carrier-1',
        deviceId: 'logger-1',
        alert: expect.objectContaining({ id: 9, status: 'resolved', acknowledgementNote: alert.note }),
      },
    ]);
    expect(report.excursions).toEqual([]);
    expect(report.otherAlerts).toEqual([]);
  });

  it('leaves the verdict as it is without the early warning', () => {
    const plain = buildComplianceReport(reportInput([leg(1, 0, 60, readings)]));
    expect(plain.earlyWarnings).toEqual([]);
    expect(report.verdict).toEqual(plain.verdict);
    expect(report.verdict.status).toBe('pass');
    expect(report.judged).toEqual(plain.judged);
  });
});

describe('buildComplianceReport: excursions, alerts and custody', () => {
  const hot = product([9, 9, 9, 9, 5, 5, 5, 5, 5, 5, 5, 5]);
  const alertFor = (key: string, id: number) => ({
    id,
    key,
    rule: 'range',
    severity: 'warning' as const,
    status: 'acknowledged' as const,
    acknowledgedBy: 'op-li',
    acknowledgedAtMs: at(30),
    note: 'reefer door left ajar at the depot',
    resolvedBy: null,
    resolutionNote: null,
    resolvedAtMs: null,
  });
  const input = reportInput(
    [
      leg(1, 0, 60, hot),
      { ...leg(2, 60, 120, product(Array(12).fill(5), 60)), endedBy: 'clinic-b', endTempC: 4.8 },
    ],
    {},
    [alertFor(`S-1:1:range:high:${at(0)}`, 7), alertFor('S-1:1:gap:-:123', 3)],
  );
  const report = buildComplianceReport(input);

  it('lists each excursion with its holder, device and its alert’s handling', () => {
    expect(report.excursions).toEqual([
      {
        key: `range:high:${at(0)}`,
        alertKey: `S-1:1:range:high:${at(0)}`,
        rule: 'range',
        severity: 'warning',
        boundary: 'high',
        limit: 8,
        startMs: at(0),
        endMs: at(20),
        durationMs: 20 * MIN,
        peak: { value: 9, tsMs: at(0) },
        failing: true,
        legId: 1,
        holder: 'carrier-1',
        deviceId: 'logger-1',
        alert: {
          id: 7,
          key: `S-1:1:range:high:${at(0)}`,
          rule: 'range',
          severity: 'warning',
          status: 'acknowledged',
          acknowledgedBy: 'op-li',
          acknowledgedAtMs: at(30),
          acknowledgementNote: 'reefer door left ajar at the depot',
          resolvedBy: null,
          resolvedAtMs: null,
          resolutionNote: null,
        },
      },
    ]);
  });

  it('keeps alerts that match no current excursion visible', () => {
    expect(report.otherAlerts.map((a) => a.id)).toEqual([3]);
  });

  it('gives the custody chain with each handover and the unloading', () => {
    expect(
      report.custody.legs.map((l) => [
        l.legId,
        l.holder,
        l.deviceId,
        l.handedOverBy,
        l.handoverTempC,
        l.place,
      ]),
    ).toEqual([
      [1, 'carrier-1', 'logger-1', null, 5, 'dock-1'],
      [2, 'carrier-2', 'logger-2', 'carrier-1', 5, 'dock-2'],
    ]);
    expect(report.custody.unloading).toEqual({
      legId: 2,
      atMs: at(120),
      endedBy: 'clinic-b',
      endTempC: 4.8,
      endPlace: null,
      endNote: null,
    });
  });

  it('marks handovers, excursions and the range in the chart', () => {
    expect(report.chart.handovers.map((h) => h.tsMs)).toEqual([at(0), at(60)]);
    expect(report.chart.excursions).toEqual([
      {
        startMs: at(0),
        endMs: at(20),
        alertKey: `S-1:1:range:high:${at(0)}`,
        rule: 'range',
        severity: 'warning',
        open: false,
      },
    ]);
    expect(report.chart.rangeC).toEqual({ lowC: 2, highC: 8 });
    expect(report.chart.points).toHaveLength(24);
    expect(report.chart.downsampled).toBe(false);
  });

  it('changes nothing when readings are duplicated and reordered', () => {
    const messy = {
      ...input,
      legs: shuffled(input.legs).map((l) => ({
        ...l,
        readings: shuffled([...l.readings, ...l.readings.slice(0, 5)]),
      })),
    };
    const again = buildComplianceReport(messy);
    const { completeness, ...rest } = again;
    const { completeness: expected, ...expectedRest } = report;
    expect(rest).toEqual(expectedRest);
    // Only the count of redeliveries tells the two apart.
    expect(completeness.legs.map((l) => l.duplicateReadings)).toEqual([5, 5]);
    expect({ ...completeness, legs: completeness.legs.map((l) => ({ ...l, duplicateReadings: 0 })) }).toEqual(
      expected,
    );
  });
});
