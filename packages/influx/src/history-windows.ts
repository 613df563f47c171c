import { HistoryQueryError } from './history-query-error.js';
import {
  DAY_MS,
  instantOfLocalTime,
  isTimeZone,
  localDayNumber,
  mod,
  startOfLocalDay,
  zoneOffsetMs,
} from './zoned-time.js';

/** A history window size: a fixed length shorter than a day, or a number of calendar days. */
export type Every =
  | { text: string; kind: 'fixed'; ms: number }
  | { text: string; kind: 'days'; days: number };

const EVERY_PATTERN = /^([1-9][0-9]{0,3})([mhd])$/;
const MAX_DAYS = 366;

/**
 * Reads a window size such as `5m`, `15m`, `1h`, `6h`, `1d` or `7d`. Minutes and hours must divide a
 * day, so that windows repeat the same way every day; a day or more is written in days (`1d`, not
 * `24h`), since those windows are calendar days in the requested zone.
 */
export function parseEvery(text: string): Every {
  const match = EVERY_PATTERN.exec(text);
  const invalid = (why: string) =>
    new HistoryQueryError('invalid_every', `every=${JSON.stringify(text)}: ${why}`);
  if (!match) throw invalid('expected a number and a unit m, h or d, e.g. 15m, 1h, 1d');
  const n = Number(match[1]);
  switch (match[2]) {
    case 'd':
      if (n > MAX_DAYS) throw invalid(`at most ${MAX_DAYS} days`);
      return { text, kind: 'days', days: n };
    case 'h':
      if (n >= 24 || 24 % n !== 0)
        throw invalid('hours must divide a day (1, 2, 3, 4, 6, 8 or 12); use d for days');
      return { text, kind: 'fixed', ms: n * 3_600_000 };
    default:
      if (n >= 1440 || 1440 % n !== 0)
        throw invalid('minutes must divide a day (e.g. 1, 5, 10, 15, 30); use h or d');
      return { text, kind: 'fixed', ms: n * 60_000 };
  }
}

/** More windows than this in one answer is refused: a chart cannot show them, and the answer grows large. */
export const MAX_HISTORY_WINDOWS = 20_000;

export interface WindowBounds {
  startMs: number;
  endMs: number;
}

/**
 * The windows of a history request and the fixed UTC grid InfluxDB aggregates on. Every window boundary
 * lies on the grid (`baseOffsetMs + k × baseMs`), so each grid cell falls inside exactly one window: the
 * cells' counts, sums, minima and maxima add up to the windows' exactly, whatever the zone does.
 */
export interface WindowPlan {
  /** Consecutive windows covering `[fromMs, toMs)`, the first and last cut at its ends. */
  windows: WindowBounds[];
  baseMs: number;
  /** In `[0, baseMs)`. */
  baseOffsetMs: number;
}

/**
 * The windows covering `[fromMs, toMs)`. Day windows are calendar days in `timeZone` (local midnight to
 * local midnight, 23 or 25 hours across a DST change); windows of several days start on the Mondays of
 * ISO weeks for `7d`, and at that anchor's multiples otherwise. Shorter windows are aligned to the epoch
 * in UTC when each of the zone's offsets in the range is a whole number of windows (then they also start
 * at every local midnight), otherwise in the zone, from local midnight.
 */
export function planWindows(fromMs: number, toMs: number, every: Every, timeZone: string): WindowPlan {
  if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || fromMs >= toMs)
    throw new HistoryQueryError(
      'invalid_range',
      `the range must be non-empty, from before to (${fromMs}, ${toMs})`,
    );
  if (!isTimeZone(timeZone))
    throw new HistoryQueryError('invalid_time_zone', `${JSON.stringify(timeZone)} is not an IANA time zone`);
  const boundaries =
    every.kind === 'days'
      ? dayBoundaries(fromMs, toMs, every.days, timeZone)
      : fixedBoundaries(fromMs, toMs, every.ms, timeZone);
  const windows: WindowBounds[] = [];
  let baseMs = 0;
  for (let i = 1; i < boundaries.length; i++) {
    const start = boundaries[i - 1] as number;
    const end = boundaries[i] as number;
    baseMs = gcd(baseMs, end - start);
    windows.push({ startMs: Math.max(start, fromMs), endMs: Math.min(end, toMs) });
  }
  return { windows, baseMs, baseOffsetMs: mod(boundaries[0] as number, baseMs) };
}

/**
 * Boundaries from the last one at or before `fromMs` to the first one at or after `toMs`, given the
 * boundaries from a start at or before `fromMs` in order (duplicates allowed: a skipped local hour maps
 * two local times onto one instant).
 */
function collect(fromMs: number, toMs: number, next: () => number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = next();
    if (out.length > 0 && b <= (out[out.length - 1] as number)) continue;
    if (b <= fromMs) out.length = 0;
    out.push(b);
    if (out.length > MAX_HISTORY_WINDOWS + 1)
      throw new HistoryQueryError(
        'too_many_windows',
        `more than ${MAX_HISTORY_WINDOWS} windows: ask for longer ones`,
      );
    if (b >= toMs) return out;
  }
}

function dayBoundaries(fromMs: number, toMs: number, days: number, timeZone: string): number[] {
  // 1970-01-05 (day 4) was a Monday: `7d` windows are ISO weeks.
  const firstDay = localDayNumber(fromMs, timeZone);
  let day = firstDay - mod(firstDay - 4, days);
  return collect(fromMs, toMs, () => {
    const b = startOfLocalDay(day, timeZone);
    day += days;
    return b;
  });
}

function fixedBoundaries(fromMs: number, toMs: number, ms: number, timeZone: string): number[] {
  const offsets = offsetsDuring(fromMs, toMs, timeZone);
  const onlyOffset = offsets.size === 1 ? (offsets.values().next().value as number) : null;
  if ([...offsets].every((o) => o % ms === 0) || onlyOffset !== null) {
    // One regular grid: UTC-aligned, or shifted by the zone's one offset (`ms` divides a day, so its
    // local midnights lie on it).
    const shift = onlyOffset === null ? 0 : mod(-onlyOffset, ms);
    let b = fromMs - mod(fromMs - shift, ms);
    return collect(fromMs, toMs, () => {
      const out = b;
      b += ms;
      return out;
    });
  }
  // The offset changes in the range and is not a whole number of windows: windows from each local midnight.
  let day = localDayNumber(fromMs, timeZone);
  let pending: number[] = [];
  return collect(fromMs, toMs, () => {
    if (pending.length === 0) {
      const start = startOfLocalDay(day, timeZone);
      const end = startOfLocalDay(day + 1, timeZone);
      if (end - start === DAY_MS && zoneOffsetMs(start, timeZone) === zoneOffsetMs(end - 1, timeZone)) {
        for (let t = start; t < end; t += ms) pending.push(t);
      } else {
        // The day of a DST change: each local window start, through the zone's rules.
        for (let local = day * DAY_MS; local < (day + 1) * DAY_MS; local += ms)
          pending.push(instantOfLocalTime(local, timeZone));
      }
      day += 1;
      pending = pending.reverse();
    }
    return pending.pop() as number;
  });
}

/** The zone's distinct offsets in `[fromMs, toMs)`, sampled every 12 hours (offsets last weeks at least). */
function offsetsDuring(fromMs: number, toMs: number, timeZone: string): Set<number> {
  const offsets = new Set<number>();
  for (let t = fromMs; t < toMs; t += DAY_MS / 2) offsets.add(zoneOffsetMs(t, timeZone));
  offsets.add(zoneOffsetMs(toMs - 1, timeZone));
  return offsets;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
