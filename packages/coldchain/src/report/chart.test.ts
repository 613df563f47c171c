import { describe, expect, it } from 'vitest';
import { buildComplianceReport } from './build-report.js';
import { CHART_MAX_POINTS, doorOpenSpans, downsample } from './chart.js';
import { at, leg, MIN, reportInput } from './report-fixtures.js';

describe('downsample', () => {
  // Ten days at one reading a minute: 14,400 points, one 30-s spike to 14 °C and one dip to 1 °C.
  const points = Array.from({ length: 14_400 }, (_, i) => ({
    tsMs: at(i),
    tempC: i === 7_777 ? 14 : i === 12_345 ? 1 : 5 + Math.sin(i / 100),
  }));
  const { points: kept, downsampled } = downsample(points, at(0), at(14_399), CHART_MAX_POINTS);

  it('keeps at most the maximum number of points, in time order', () => {
    expect(downsampled).toBe(true);
    expect(kept.length).toBeLessThanOrEqual(CHART_MAX_POINTS);
    expect(kept.length).toBeGreaterThan(CHART_MAX_POINTS / 2);
    expect(kept.every((p, i) => i === 0 || p.tsMs > kept[i - 1]!.tsMs)).toBe(true);
  });

  it('keeps every peak', () => {
    expect(kept).toContainEqual({ tsMs: at(7_777), tempC: 14 });
    expect(kept).toContainEqual({ tsMs: at(12_345), tempC: 1 });
  });

  it('leaves a short series as it is', () => {
    expect(downsample(points.slice(0, 10), at(0), at(9), CHART_MAX_POINTS)).toEqual({
      points: points.slice(0, 10),
      downsampled: false,
    });
  });
});

describe('doorOpenSpans', () => {
  it.each([
    [
      'from the first open reading to the next closed one',
      [
        [10, true],
        [15, true],
        [20, false],
      ],
      60,
      [[10, 20]],
    ],
    [
      'for at most the maximum gap without a door reading',
      [
        [10, true],
        [40, false],
      ],
      60,
      [[10, 20]],
    ],
    ['until the end of the leg when still open', [[50, true]], 55, [[50, 55]]],
    [
      'separately for separate openings',
      [
        [0, true],
        [5, false],
        [30, true],
        [35, false],
      ],
      60,
      [
        [0, 5],
        [30, 35],
      ],
    ],
  ] as const)('spans an open door %s', (_name, doors, untilMin, expected) => {
    const readings = doors.map(([m, door]) => ({ tsMs: at(m), door }));
    expect(doorOpenSpans(readings, at(untilMin), 10 * MIN)).toEqual(
      expected.map(([s, e]) => ({ startMs: at(s), endMs: at(e) })),
    );
  });

  it('reaches the report’s chart', () => {
    const readings = [0, 5, 10, 15].map((m) => ({ tsMs: at(m), temp: { air: 5 }, door: m === 5 }));
    const report = buildComplianceReport(reportInput([leg(1, 0, 20, readings)]));
    expect(report.chart.doorOpen).toEqual([{ startMs: at(5), endMs: at(10) }]);
    expect(report.sensors.map((s) => [s.sensor, s.judged])).toEqual([['air', true]]);
  });
});
