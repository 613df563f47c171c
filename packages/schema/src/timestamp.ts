import { z } from 'zod';
import { MAX_FUTURE_SKEW_MS, MAX_PAST_AGE_MS } from './limits.js';
import { createProblem, type Problem } from './problem.js';

const TIMESTAMP_ERROR =
  'an ISO-8601 time with a timezone (e.g. "2026-06-01T08:00:00.000Z") or integer epoch milliseconds';

/**
 * A device's event time, `ts` on the wire, as epoch milliseconds. Strings follow RFC 3339 (ISO 8601 with
 * a `Z` or `±hh:mm` offset): a local time without an offset is refused, because the device's time zone is
 * unknown here. Digits past milliseconds are truncated.
 */
export const timestampSchema = z.union(
  [
    z.iso.datetime({ offset: true, error: TIMESTAMP_ERROR }).transform((text) => Date.parse(text)),
    z.number({ error: TIMESTAMP_ERROR }).int({ error: TIMESTAMP_ERROR }),
  ],
  { error: TIMESTAMP_ERROR },
);

/**
 * The same check as `timestampSchema` without turning the text into milliseconds: `toEpochMs` does
 * that after validation. For readings, where a zod transform per reading cost more than the checks.
 */
export const timestampWireSchema = z.union(
  [
    z.iso.datetime({ offset: true, error: TIMESTAMP_ERROR }),
    z.number({ error: TIMESTAMP_ERROR }).int({ error: TIMESTAMP_ERROR }),
  ],
  { error: TIMESTAMP_ERROR },
);

/** Epoch milliseconds of a `ts` that `timestampWireSchema` accepted. */
export const toEpochMs = (ts: string | number): number => (typeof ts === 'string' ? Date.parse(ts) : ts);

/** Renames the parsed `ts` to `tsMs`, the name the rest of the system uses for event time. */
export function withTsMs<T extends { ts: number }>({ ts, ...fields }: T): Omit<T, 'ts'> & { tsMs: number } {
  return { tsMs: ts, ...fields };
}

/**
 * Checks an event time against the ingest clock `nowMs` (passed in: this package never reads the clock).
 * Returns the problem, or null when `tsMs` lies within [nowMs - MAX_PAST_AGE_MS, nowMs + MAX_FUTURE_SKEW_MS].
 */
export function checkTimestampWindow(
  tsMs: number,
  nowMs: number,
  path: string | (() => string),
): Problem | null {
  // The path is formed only for a problem: a batch checks every reading, and nearly all pass.
  const at = () => (typeof path === 'string' ? path : path());
  if (tsMs > nowMs + MAX_FUTURE_SKEW_MS) {
    const expected = `a time at most ${formatDuration(MAX_FUTURE_SKEW_MS)} after the ingest time ${isoTime(nowMs)}`;
    return createProblem('timestamp_out_of_range', at(), expected, isoTime(tsMs));
  }
  if (tsMs < nowMs - MAX_PAST_AGE_MS) {
    const expected = `a time at most ${formatDuration(MAX_PAST_AGE_MS)} before the ingest time ${isoTime(nowMs)}`;
    return createProblem('timestamp_out_of_range', at(), expected, isoTime(tsMs));
  }
  return null;
}

/** Largest |epoch ms| a Date can hold (ECMA-262, "Time Values and Time Range"); `toISOString` throws beyond it. */
const MAX_DATE_MS = 8.64e15;

function isoTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : String(ms);
}

const UNITS: [name: string, ms: number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

function formatDuration(ms: number): string {
  const [name, unitMs] = UNITS.find(([, unitMs]) => ms % unitMs === 0) ?? ['millisecond', 1];
  const count = ms / unitMs;
  return `${count} ${name}${count === 1 ? '' : 's'}`;
}
