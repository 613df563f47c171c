/**
 * Wall-clock time in an IANA time zone, from the time zone data the runtime ships (`Intl`): the
 * offsets, local dates and local midnights that a shipment's day windows and its local-time columns
 * are built from. DST zones have 23 h and 25 h days, and some skip midnight itself.
 */

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether the runtime knows `timeZone` as an IANA zone name (or `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant: local wall-clock time minus UTC, in ms. */
export function zoneOffsetMs(tsMs: number, timeZone: string): number {
  const whole = tsMs - mod(tsMs, 1000);
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatter(timeZone).formatToParts(whole)) {
    if (part.type === 'literal') continue;
    const n = Number(part.value);
    if (part.type === 'year') year = n;
    else if (part.type === 'month') month = n;
    else if (part.type === 'day') day = n;
    else if (part.type === 'hour') hour = n;
    else if (part.type === 'minute') minute = n;
    else if (part.type === 'second') second = n;
  }
  return Date.UTC(year, month - 1, day, hour, minute, second) - whole;
}

/** The local calendar day of an instant, as days since 1970-01-01 (a local date, not an instant). */
export function localDayNumber(tsMs: number, timeZone: string): number {
  return Math.floor((tsMs + zoneOffsetMs(tsMs, timeZone)) / DAY_MS);
}

/**
 * The first instant whose local wall-clock time is `localMs` or later (`localMs` counts local time as if
 * it were UTC). Unambiguous local times map to their instant; a time the clocks skip (spring forward)
 * to the instant they jump, and a repeated one (fall back) to its first occurrence.
 */
export function instantOfLocalTime(localMs: number, timeZone: string): number {
  // Every offset lies within ±14 h, so the instant lies within 14 h of `localMs`; offsets 30 h either
  // side are those before and after any transition near it (zones change offset at most every few weeks).
  const before = zoneOffsetMs(localMs - 30 * HOUR_MS, timeZone);
  const after = zoneOffsetMs(localMs + 30 * HOUR_MS, timeZone);
  const first = localMs - Math.max(before, after);
  const second = localMs - Math.min(before, after);
  // The earlier of two valid instants is the first occurrence of a repeated local time.
  if (zoneOffsetMs(first, timeZone) === Math.max(before, after)) return first;
  if (zoneOffsetMs(second, timeZone) === Math.min(before, after)) return second;
  // Spring forward: `localMs` does not exist; the clocks jump at the first instant with the later
  // offset, somewhere in (first, second].
  let lo = first;
  let hi = second;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (zoneOffsetMs(mid, timeZone) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The first instant of a local calendar day (days since 1970-01-01): local midnight, or later if skipped. */
export function startOfLocalDay(dayNumber: number, timeZone: string): number {
  return instantOfLocalTime(dayNumber * DAY_MS, timeZone);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO 8601 local time with the zone's offset, e.g. `2026-06-02T00:00:00.000+08:00`. */
export function localIsoTime(tsMs: number, timeZone: string): string {
  const offset = zoneOffsetMs(tsMs, timeZone);
  const local = new Date(tsMs + offset).toISOString().slice(0, -1);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  // Offsets of whole seconds (local mean time before 1900) are shown to the minute, as ISO 8601 allows.
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(Math.floor(abs % 60))}`;
}

/** Modulo with the sign of the divisor. */
export const mod = (a: number, b: number) => ((a % b) + b) % b;
