import { MAX_PAST_AGE_MS } from '@coldchain/schema';

export interface EventClockOptions {
  /** Wall-clock time the run started (epoch ms). */
  wallStartMs: number;
  /** Event time at the start. */
  startMs: number;
  /** Event milliseconds per wall-clock millisecond. */
  speed: number;
}

/**
 * Maps wall-clock time to the simulated devices' event time. Event time runs `speed` times faster, but
 * never ahead of the wall clock: the ingest refuses readings dated more than MAX_FUTURE_SKEW_MS after its
 * own clock. A fast run therefore starts in the past and replays toward now; once it catches up it
 * continues in real time. The result never decreases as the wall clock advances.
 */
export function createEventClock({
  wallStartMs,
  startMs,
  speed,
}: EventClockOptions): (wallNowMs: number) => number {
  if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
  return (wallNowMs) => Math.floor(Math.min(wallNowMs, startMs + (wallNowMs - wallStartMs) * speed));
}

/** How far back a fast run with no duration starts: a day of history. */
const DEFAULT_REPLAY_MS = 24 * 3_600_000;
/** Stay a day inside the ingest's MAX_PAST_AGE_MS, so that a backlog sent later is still accepted. */
const MAX_REPLAY_MS = MAX_PAST_AGE_MS - 24 * 3_600_000;

/**
 * Where event time starts when the caller does not say: now at real speed; for a faster run, far enough
 * back that event time reaches now when the run ends (a day back when it runs until stopped).
 */
export function defaultStartMs(wallNowMs: number, speed: number, durationMs?: number): number {
  if (speed <= 1) return wallNowMs;
  const replayMs = durationMs === undefined ? DEFAULT_REPLAY_MS : durationMs * (speed - 1);
  return wallNowMs - Math.min(replayMs, MAX_REPLAY_MS);
}
