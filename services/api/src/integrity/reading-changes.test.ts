import { describe, expect, it } from 'vitest';
import { diffReadingLines } from './reading-changes.js';
import { canonicalLines, linesDigest, readingLine } from './reading-lines.js';

const line = (tsMs: number, product: number, legId = 1) =>
  readingLine(legId, 'truck-1', { tsMs, temp: { product } });

describe('canonical reading lines', () => {
  it('writes each reading in one fixed form, sensors by name, numbers that read back exactly', () => {
    expect(
      readingLine(7, 'truck-1', { tsMs: 1_000, temp: { product: 2.9, air: -0 }, rh: 91.5, door: false }),
    ).toBe('7\ttruck-1\t1000\ttemp.air=0\ttemp.product=2.9\trh=91.5\tdoor=0');
  });

  it('gives the same lines and digest whatever the order and redelivery, another digest for one changed value', () => {
    const a = canonicalLines([line(3, 4), line(1, 4.1), line(2, 4.2), line(1, 4.1), line(1, 5, 2)]);
    const b = canonicalLines([line(1, 5, 2), line(2, 4.2), line(1, 4.1), line(3, 4)]);
    expect(a).toEqual(b);
    expect(a.map((l) => l.split('\t').slice(0, 3).join(' '))).toEqual([
      '1 truck-1 1',
      '1 truck-1 2',
      '1 truck-1 3',
      '2 truck-1 1',
    ]);
    expect(linesDigest(a)).toBe(linesDigest(b));
    expect(linesDigest(canonicalLines([line(1, 5, 2), line(2, 4.2), line(1, 4.1), line(3, 4.01)]))).not.toBe(
      linesDigest(a),
    );
  });
});

describe('reading changes between two sets of lines', () => {
  it('names each reading added, removed and changed, with old and new values, in time order', () => {
    const before = [line(1, 4), line(2, 4), line(3, 4), line(4, 4)];
    const after = [line(5, 6), line(1, 4), line(3, 9.5), line(0, 3), line(4, 4)];
    expect(diffReadingLines(before, after)).toEqual({
      added: [
        { legId: 1, deviceId: 'truck-1', tsMs: 0, values: { 'temp.product': '3' } },
        { legId: 1, deviceId: 'truck-1', tsMs: 5, values: { 'temp.product': '6' } },
      ],
      removed: [{ legId: 1, deviceId: 'truck-1', tsMs: 2, values: { 'temp.product': '4' } }],
      changed: [
        {
          legId: 1,
          deviceId: 'truck-1',
          tsMs: 3,
          before: { 'temp.product': '4' },
          after: { 'temp.product': '9.5' },
        },
      ],
    });
    expect(diffReadingLines(before, [...before].reverse())).toEqual({ added: [], removed: [], changed: [] });
  });
});
