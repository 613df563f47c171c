import { describe, expect, it } from 'vitest';
import { HistoryQueryError } from './history-query-error.js';
import { MAX_HISTORY_WINDOWS, parseEvery, planWindows, type WindowPlan } from './history-windows.js';
import { localIsoTime } from './zoned-time.js';

const H = 3_600_000;
const utc = (iso: string) => Date.parse(iso);

function plan(from: string, to: string, every: string, zone: string): WindowPlan {
  return planWindows(utc(from), utc(to), parseEvery(every), zone);
}

/** What every plan must be: windows back to back over the range, each boundary on the aggregation grid. */
function expectConsistent(p: WindowPlan, from: string, to: string) {
  expect(p.windows[0]?.startMs).toBe(utc(from));
  expect(p.windows.at(-1)?.endMs).toBe(utc(to));
  for (const [i, w] of p.windows.entries()) {
    expect(w.endMs).toBeGreaterThan(w.startMs);
    if (i > 0) expect(w.startMs).toBe(p.windows[i - 1]?.endMs);
    if (i > 0) expect((w.startMs - p.baseOffsetMs) % p.baseMs).toBe(0);
  }
  expect(p.baseOffsetMs).toBeGreaterThanOrEqual(0);
  expect(p.baseOffsetMs).toBeLessThan(p.baseMs);
}

const starts = (p: WindowPlan, zone: string) => p.windows.map((w) => localIsoTime(w.startMs, zone));
const hours = (p: WindowPlan) => p.windows.map((w) => (w.endMs - w.startMs) / H);

describe('parseEvery', () => {
  it.each([
    ['5m', { kind: 'fixed', ms: 5 * 60_000 }],
    ['15m', { kind: 'fixed', ms: 15 * 60_000 }],
    ['1h', { kind: 'fixed', ms: H }],
    ['6h', { kind: 'fixed', ms: 6 * H }],
    ['1d', { kind: 'days', days: 1 }],
    ['7d', { kind: 'days', days: 7 }],
  ])('reads %s', (text, expected) => {
    expect(parseEvery(text)).toEqual({ text, ...expected });
  });

  it.each(['', '15', 'm', '0m', '-5m', '1.5h', '7m', '5h', '24h', '1440m', '367d', '1w', '15M', ' 15m'])(
    'refuses %j with a stable code',
    (text) => {
      expect(() => parseEvery(text)).toThrow(HistoryQueryError);
      try {
        parseEvery(text);
      } catch (err) {
        expect((err as HistoryQueryError).code).toBe('invalid_every');
      }
    },
  );
});

describe('planWindows', () => {
  it('aligns short windows to the epoch in UTC and cuts the first at the start of the range', () => {
    const p = plan('2026-06-01T00:07:00Z', '2026-06-01T01:00:00Z', '15m', 'Asia/Shanghai');
    expectConsistent(p, '2026-06-01T00:07:00Z', '2026-06-01T01:00:00Z');
    expect(p.windows.map((w) => new Date(w.startMs).toISOString().slice(11, 16))).toEqual([
      '00:07',
      '00:15',
      '00:30',
      '00:45',
    ]);
    expect([p.baseMs, p.baseOffsetMs]).toEqual([15 * 60_000, 0]);
  });

  it('starts 1d windows in Asia/Shanghai at local midnight, 16:00 UTC', () => {
    const p = plan('2026-06-01T00:00:00Z', '2026-06-04T00:00:00Z', '1d', 'Asia/Shanghai');
    expectConsistent(p, '2026-06-01T00:00:00Z', '2026-06-04T00:00:00Z');
    expect(p.windows.slice(1).map((w) => new Date(w.startMs).toISOString())).toEqual([
      '2026-06-01T16:00:00.000Z',
      '2026-06-02T16:00:00.000Z',
      '2026-06-03T16:00:00.000Z',
    ]);
    expect([p.baseMs, p.baseOffsetMs]).toEqual([24 * H, 16 * H]);
  });

  it('gives 23 h and 25 h days where the zone changes to and from summer time (Europe/Berlin)', () => {
    const spring = plan('2026-03-27T23:00:00Z', '2026-03-30T22:00:00Z', '1d', 'Europe/Berlin');
    expectConsistent(spring, '2026-03-27T23:00:00Z', '2026-03-30T22:00:00Z');
    expect(starts(spring, 'Europe/Berlin')).toEqual([
      '2026-03-28T00:00:00.000+01:00',
      '2026-03-29T00:00:00.000+01:00',
      '2026-03-30T00:00:00.000+02:00',
    ]);
    expect(hours(spring)).toEqual([24, 23, 24]);
    const autumn = plan('2026-10-24T22:00:00Z', '2026-10-26T23:00:00Z', '1d', 'Europe/Berlin');
    expect(hours(autumn)).toEqual([25, 24]);
    expect(autumn.baseMs).toBe(H);
  });

  it('starts a day whose midnight the clocks skip when they jump (America/Santiago)', () => {
    const p = plan('2026-09-05T04:00:00Z', '2026-09-07T03:00:00Z', '1d', 'America/Santiago');
    expect(starts(p, 'America/Santiago')).toEqual([
      '2026-09-05T00:00:00.000-04:00',
      '2026-09-06T01:00:00.000-03:00',
    ]);
    expect(hours(p)).toEqual([24, 23]);
  });

  it('aligns short windows in the zone when its offset is not a whole number of them (Asia/Kolkata, 6h)', () => {
    const p = plan('2026-05-31T18:30:00Z', '2026-06-01T18:30:00Z', '6h', 'Asia/Kolkata');
    expectConsistent(p, '2026-05-31T18:30:00Z', '2026-06-01T18:30:00Z');
    expect(starts(p, 'Asia/Kolkata').map((s) => s.slice(11, 16))).toEqual([
      '00:00',
      '06:00',
      '12:00',
      '18:00',
    ]);
    expect([p.baseMs, p.baseOffsetMs]).toEqual([6 * H, 30 * 60_000]);
  });

  it('keeps zone-aligned windows on local time across a DST change (America/New_York, 6h)', () => {
    const p = plan('2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z', '6h', 'America/New_York');
    expectConsistent(p, '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z');
    expect(starts(p, 'America/New_York').map((s) => s.slice(11, 16))).toEqual([
      '00:00',
      '06:00',
      '12:00',
      '18:00',
    ]);
    expect(hours(p)).toEqual([5, 6, 6, 6]);
  });

  it('keeps hourly windows on the UTC hours when every offset is whole hours, repeated local hour included', () => {
    const p = plan('2026-11-01T04:00:00Z', '2026-11-01T08:00:00Z', '1h', 'America/New_York');
    expect(hours(p)).toEqual([1, 1, 1, 1]);
    expect(starts(p, 'America/New_York').map((s) => s.slice(11))).toEqual([
      '00:00:00.000-04:00',
      '01:00:00.000-04:00',
      '01:00:00.000-05:00',
      '02:00:00.000-05:00',
    ]);
  });

  it('starts 7d windows on Monday at local midnight', () => {
    const p = plan('2026-06-03T00:00:00Z', '2026-06-22T00:00:00Z', '7d', 'Asia/Shanghai');
    expectConsistent(p, '2026-06-03T00:00:00Z', '2026-06-22T00:00:00Z');
    expect(p.windows.slice(1).map((w) => localIsoTime(w.startMs, 'Asia/Shanghai'))).toEqual([
      '2026-06-08T00:00:00.000+08:00',
      '2026-06-15T00:00:00.000+08:00',
      '2026-06-22T00:00:00.000+08:00',
    ]);
    expect(new Date(p.windows[1]?.startMs ?? 0).getUTCDay()).toBe(0); // Sunday 16:00 UTC
  });

  it.each([
    ['an empty range', '2026-06-01T00:00:00Z', '2026-06-01T00:00:00Z', '15m', 'UTC', 'invalid_range'],
    ['a reversed range', '2026-06-02T00:00:00Z', '2026-06-01T00:00:00Z', '15m', 'UTC', 'invalid_range'],
    [
      'an unknown zone',
      '2026-06-01T00:00:00Z',
      '2026-06-02T00:00:00Z',
      '1d',
      'Asia/Dalian',
      'invalid_time_zone',
    ],
    ['too many windows', '2026-01-01T00:00:00Z', '2026-12-31T00:00:00Z', '5m', 'UTC', 'too_many_windows'],
  ])('refuses %s', (_, from, to, every, zone, code) => {
    expect(() => plan(from, to, every, zone)).toThrow(expect.objectContaining({ code }));
  });

  it(`allows up to ${MAX_HISTORY_WINDOWS} windows`, () => {
    const p = planWindows(0, MAX_HISTORY_WINDOWS * 60_000, parseEvery('1m'), 'UTC');
    expect(p.windows).toHaveLength(MAX_HISTORY_WINDOWS);
  });
});
