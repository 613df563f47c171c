import { describe, expect, it } from 'vitest';
import { instantOfLocalTime, isTimeZone, localIsoTime, startOfLocalDay, zoneOffsetMs } from './zoned-time.js';

const utc = (iso: string) => Date.parse(iso);
/** Local wall-clock time written as if it were UTC, the way `instantOfLocalTime` takes it. */
const local = (isoWithoutZone: string) => Date.parse(`${isoWithoutZone}Z`);

describe('zoned time', () => {
  it.each([
    ['Asia/Shanghai', '2026-06-01T00:00:00Z', 8 * 60],
    ['Asia/Kolkata', '2026-06-01T00:00:00Z', 5 * 60 + 30],
    ['America/New_York', '2026-01-15T12:00:00Z', -5 * 60],
    ['America/New_York', '2026-07-15T12:00:00Z', -4 * 60],
    ['UTC', '2026-07-15T12:00:00Z', 0],
  ])('knows the offset of %s at %s', (zone, at, minutes) => {
    expect(zoneOffsetMs(utc(at), zone)).toBe(minutes * 60_000);
  });

  it('tells IANA zone names from anything else', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });

  it.each([
    ['an ordinary local time', 'Asia/Shanghai', '2026-06-02T00:00:00', '2026-06-01T16:00:00.000Z'],
    // New York springs forward at 02:00 EST on 8 March 2026: 02:30 never happens on the clocks.
    [
      'a skipped local time, at the instant the clocks jump',
      'America/New_York',
      '2026-03-08T02:30:00',
      '2026-03-08T07:00:00.000Z',
    ],
    [
      'the time just after the skipped hour',
      'America/New_York',
      '2026-03-08T03:00:00',
      '2026-03-08T07:00:00.000Z',
    ],
    // It falls back at 02:00 EDT on 1 November 2026: 01:30 happens twice.
    [
      'a repeated local time, at its first occurrence',
      'America/New_York',
      '2026-11-01T01:30:00',
      '2026-11-01T05:30:00.000Z',
    ],
    [
      'the time after the repeated hour',
      'America/New_York',
      '2026-11-01T02:00:00',
      '2026-11-01T07:00:00.000Z',
    ],
  ])('maps %s to its instant', (_, zone, wall, expected) => {
    expect(new Date(instantOfLocalTime(local(wall), zone)).toISOString()).toBe(expected);
  });

  it('starts a day whose midnight is skipped when the clocks jump (Chile, 6 September 2026)', () => {
    const day = Date.UTC(2026, 8, 6) / 86_400_000;
    expect(new Date(startOfLocalDay(day, 'America/Santiago')).toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(localIsoTime(startOfLocalDay(day, 'America/Santiago'), 'America/Santiago')).toBe(
      '2026-09-06T01:00:00.000-03:00',
    );
  });

  it.each([
    ['Asia/Shanghai', '2026-06-01T16:00:00.000Z', '2026-06-02T00:00:00.000+08:00'],
    ['America/New_York', '2026-01-15T12:00:00.250Z', '2026-01-15T07:00:00.250-05:00'],
    ['Asia/Kathmandu', '2026-06-01T00:00:00.000Z', '2026-06-01T05:45:00.000+05:45'],
    ['UTC', '2026-06-01T00:00:00.000Z', '2026-06-01T00:00:00.000+00:00'],
  ])('writes local time in %s as ISO 8601 with its offset', (zone, at, expected) => {
    expect(localIsoTime(utc(at), zone)).toBe(expected);
  });
});
