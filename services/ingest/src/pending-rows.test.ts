import { describe, expect, it } from 'vitest';
import { findInText, PendingRows, rowsOfText } from './pending-rows.js';

const T = Date.UTC(2026, 5, 1, 12);

describe('pending rows', () => {
  it('holds the index text of the readings, in acceptance order', () => {
    const rows = new PendingRows(8); // small, so that it grows
    rows.push(T, 'temp_air=4,seq=1i');
    rows.push(T + 60_000, 'temp_air=4.5,temp_product=3.9,rh=91.5,door=false,seq=2i');
    expect(rows.text().toString('latin1')).toBe(
      `\n${T} temp_air=4,seq=1i\n${T + 60_000} temp_air=4.5,temp_product=3.9,rh=91.5,door=false,seq=2i`,
    );
    expect([rows.count, rows.minTs, rows.maxTs, rows.ordered]).toEqual([2, T, T + 60_000, true]);
  });

  it('finds a timestamp, and not one that only starts like it', () => {
    const rows = new PendingRows();
    rows.push(T + 10, 'temp_air=1');
    rows.push(T + 1, 'temp_air=2');
    expect(rows.find(T + 1)).toBe('temp_air=2');
    expect(rows.find(T + 10)).toBe('temp_air=1');
    expect(rows.find(T)).toBeUndefined();
    expect(rows.find(T + 100)).toBeUndefined();
    expect([rows.minTs, rows.maxTs, rows.ordered]).toEqual([T + 1, T + 10, false]);
  });

  it('writes any timestamp as text, also zero and negative ones', () => {
    const rows = new PendingRows();
    for (const ts of [0, 9, 10, 99_999, -5, Number.MAX_SAFE_INTEGER]) rows.push(ts, `seq=${ts}i`);
    for (const ts of [0, 9, 10, 99_999, -5, Number.MAX_SAFE_INTEGER])
      expect(rows.find(ts)).toBe(`seq=${ts}i`);
    expect(rowsOfText(rows.text()).ts).toEqual([0, 9, 10, 99_999, -5, Number.MAX_SAFE_INTEGER]);
  });

  it('reads index text alike as a string and as bytes', () => {
    const text = `\n${T} temp_air=30\n${T + 1} temp_air=4`;
    for (const t of [text, Buffer.from(text, 'latin1')]) {
      expect(findInText(t, T)).toBe('temp_air=30');
      expect(findInText(t, T + 1)).toBe('temp_air=4');
      expect(findInText(t, T + 2)).toBeUndefined();
      expect(rowsOfText(t)).toEqual({ ts: [T, T + 1], fields: ['temp_air=30', 'temp_air=4'] });
    }
  });
});
