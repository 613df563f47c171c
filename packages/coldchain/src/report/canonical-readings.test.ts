import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildComplianceReport } from './build-report.js';
import { canonicalReadings, readingsDigest } from './canonical-readings.js';
import { at, leg, product, reportInput, shuffled } from './report-fixtures.js';

const legs = [
  leg(1, 0, 30, [
    ...product([4.5, 5.25, -0]),
    { tsMs: at(15), temp: { product: 5, air: 6 }, rh: 91.5, door: true },
    { tsMs: at(30), temp: { product: 99 } }, // at the handover: belongs to the next leg
  ]),
  leg(2, 30, 60, product([5.1, 5.2], 30)),
];

describe('canonicalReadings', () => {
  it('writes one line per reading in a fixed field order with shortest round-trip numbers', () => {
    expect(canonicalReadings({ legs })).toEqual([
      `1\tlogger-1\t${at(0)}\ttemp.air=5.5\ttemp.product=4.5`,
      `1\tlogger-1\t${at(5)}\ttemp.air=6.25\ttemp.product=5.25`,
      `1\tlogger-1\t${at(10)}\ttemp.air=1\ttemp.product=0`,
      `1\tlogger-1\t${at(15)}\ttemp.air=6\ttemp.product=5\trh=91.5\tdoor=1`,
      `2\tlogger-2\t${at(30)}\ttemp.air=6.1\ttemp.product=5.1`,
      `2\tlogger-2\t${at(35)}\ttemp.air=6.2\ttemp.product=5.2`,
    ]);
  });

  it('is the same for reordered and redelivered readings', () => {
    const messy = shuffled(legs).map((l) => ({ ...l, readings: shuffled([...l.readings, ...l.readings]) }));
    expect(canonicalReadings({ legs: messy })).toEqual(canonicalReadings({ legs }));
  });

  it('keeps both of two different values for one timestamp', () => {
    const conflicting = [leg(1, 0, 30, [...product([5]), { tsMs: at(0), temp: { product: 6, air: 6 } }])];
    expect(canonicalReadings({ legs: conflicting })).toHaveLength(2);
  });
});

describe('readingsDigest', () => {
  const digest = readingsDigest(canonicalReadings({ legs }));

  it('is the SHA-256 of the lines, each ended by a newline', () => {
    const expected = createHash('sha256')
      .update(`${canonicalReadings({ legs }).join('\n')}\n`)
      .digest('hex');
    expect(digest).toBe(expected);
    expect(readingsDigest([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('is stable under reordering', () => {
    const reordered = shuffled(legs).map((l) => ({ ...l, readings: shuffled(l.readings) }));
    expect(readingsDigest(canonicalReadings({ legs: reordered }))).toBe(digest);
  });

  it('changes when one value changes', () => {
    const changed = legs.map((l) =>
      l.id === 2
        ? {
            ...l,
            readings: l.readings.map((r, i) => (i === 1 ? { ...r, temp: { product: 5.21, air: 6.2 } } : r)),
          }
        : l,
    );
    expect(readingsDigest(canonicalReadings({ legs: changed }))).not.toBe(digest);
  });

  it('is the digest the report carries', () => {
    const report = buildComplianceReport(reportInput(legs));
    expect(report.evidence).toEqual({
      canonicalForm: 'coldchain-readings/1',
      algorithm: 'sha256',
      lineCount: 6,
      digest,
    });
  });
});
