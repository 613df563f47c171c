/**
 * The period a device's readings are evaluated over: a custody leg, from handover to handover, `[startMs,
 * endMs)` — a reading at the instant of a handover belongs to the next leg. An open leg has no end yet.
 */
export interface EvaluationWindow {
  startMs: number;
  endMs?: number | null;
}

/** Where an evaluation stands: the instant it is evaluated at, and whether that is the leg's end. */
export interface Horizon {
  asOfMs: number;
  legEnded: boolean;
}

/**
 * The instant the rules are evaluated at. An ended leg is evaluated at its end. An open leg is evaluated at
 * `nowMs` (wall clock, given by the caller: the engine has no clock), so that "no data" and "out of range for
 * the delay" fire on a timer when the device goes quiet; without `nowMs`, at its last reading — nothing is
 * extrapolated. Never before the last reading or the start of evaluation.
 */
export function horizon(
  window: EvaluationWindow,
  evaluatedFromMs: number,
  lastReadingMs: number | null,
  nowMs: number | undefined,
): Horizon {
  const endMs = window.endMs ?? null;
  const legEnded = endMs !== null && (nowMs === undefined || nowMs >= endMs);
  const at = legEnded ? endMs : (nowMs ?? lastReadingMs ?? evaluatedFromMs);
  return { asOfMs: Math.max(at, lastReadingMs ?? at, evaluatedFromMs), legEnded };
}

/** Rules see readings from the end of the settle period at the start of the leg. */
export function evaluatedFrom(window: EvaluationWindow, settleMs: number): number {
  return window.startMs + settleMs;
}

/** Whether a reading at `tsMs` is judged: a finite time within the leg, after the settle period. */
export function isEvaluated(tsMs: number, window: EvaluationWindow, evaluatedFromMs: number): boolean {
  const endMs = window.endMs ?? null;
  return Number.isFinite(tsMs) && tsMs >= evaluatedFromMs && (endMs === null || tsMs < endMs);
}
