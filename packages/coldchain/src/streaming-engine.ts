import type { Evaluation } from './engine.js';
import { type EvaluationWindow, evaluatedFrom, horizon, isEvaluated } from './evaluation-window.js';
import type { Excursion } from './excursion.js';
import { applyExcursionChanges, diffExcursions, type ExcursionChange } from './excursion-changes.js';
import { copyFold, type FoldState, finish, initialFold, step } from './fold.js';
import type { Profile } from './profile.js';
import { mergeReadings, type Reading, sameReading, sortReadings } from './reading.js';
import { compileProfile, type RuleSet } from './rule-set.js';

/**
 * One device's engine state for one leg and profile, kept by the ingest between messages. Plain JSON: persist
 * it with `JSON.stringify` and read it back with `JSON.parse` to carry alarms across a restart.
 *
 * It holds the device's sorted, de-duplicated readings within the leg (memory grows with the leg, so evaluate
 * per custody leg or another bounded window), the fold state after all of them, and a snapshot of the fold
 * state every `checkpointEvery` readings. A reading later than all others is folded in directly (O(1)); an
 * older one — a backlog flushed after an outage — restores the last snapshot before it and re-folds from
 * there. Either way the result is what `evaluate` gives for the same readings.
 */
export interface EngineState {
  version: 1;
  checkpointEvery: number;
  /** The profile (as JSON) and leg the state was built for; when they change, the history is re-folded. */
  basis: { profile: string; startMs: number; endMs: number | null } | null;
  history: Reading[];
  fold: FoldState | null;
  /** `checkpoints[k]` is the fold state after `k × checkpointEvery` readings. */
  checkpoints: FoldState[];
  /** Excursions closed by the fold, in fold order; `fold.closedCount` of them belong to `fold`. */
  closed: Excursion[];
  /** The excursions as of the last call, by key: what the next call's changes are relative to. */
  reported: Record<string, Excursion>;
  /**
   * Set once `trimHistory` has dropped old readings: the earliest event time the state can still take
   * a reading at. Older readings, or another leg or profile, need the whole history (`canIngest`).
   */
  floorMs?: number | null;
}

export interface IngestResult extends Evaluation {
  changes: ExcursionChange[];
}

export interface EngineOptions {
  /**
   * Readings between snapshots of the fold state (default 128): a late reading costs re-folding at most this
   * many readings plus those after it; each snapshot costs about 1 KB of state.
   */
  checkpointEvery?: number;
}

export function createEngineState(options: EngineOptions = {}): EngineState {
  const checkpointEvery = options.checkpointEvery ?? 128;
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) {
    throw new RangeError(`checkpointEvery must be a positive integer, not ${checkpointEvery}`);
  }
  return {
    version: 1,
    checkpointEvery,
    basis: null,
    history: [],
    fold: null,
    checkpoints: [],
    closed: [],
    reported: {},
    floorMs: null,
  };
}

/**
 * Folds a batch of a device's readings (any order, duplicates, late ones) into `state`, which it updates in
 * place, and evaluates as of `nowMs`. An empty batch evaluates on a timer: open gaps and delays that have run
 * out since the last reading appear then, not only when the next reading comes.
 */
export function ingest(
  state: EngineState,
  batch: readonly Reading[],
  profile: Profile,
  window: EvaluationWindow,
  nowMs?: number,
): IngestResult {
  const { rules, fingerprint } = compileProfile(profile);
  const fromMs = evaluatedFrom(window, rules.settleMs);
  if (!canIngest(state, batch, profile, window)) {
    throw new Error('the state was trimmed past this batch or leg: build it again from the whole history');
  }
  let fold = prepare(state, rules, fingerprint, window, fromMs);

  const readings = sortReadings(batch.filter((r) => isEvaluated(r.tsMs, window, fromMs)));
  const changedAt = mergeIntoHistory(state.history, readings);
  if (changedAt < fold.index) fold = rewind(state, changedAt);
  for (let i = fold.index; i < state.history.length; i++) {
    step(fold, rules, state.history[i]!, state.closed);
    if (fold.index % state.checkpointEvery === 0) state.checkpoints.push(copyFold(fold));
  }

  const at = horizon(window, fromMs, state.history.at(-1)?.tsMs ?? null, nowMs);
  const result = finish(fold, rules, state.closed, at, fromMs);
  const changes = diffExcursions(state.reported, result.excursions);
  applyExcursionChanges(state.reported, changes);
  return { asOfMs: at.asOfMs, legEnded: at.legEnded, ...result, changes };
}

/**
 * Whether `ingest` can take this batch: always, unless `trimHistory` dropped readings that it would
 * need — a reading older than the kept ones, or a changed leg or profile, which re-folds from the start.
 */
export function canIngest(
  state: EngineState,
  batch: readonly Reading[],
  profile: Profile,
  window: EvaluationWindow,
): boolean {
  const floorMs = state.floorMs;
  if (floorMs === undefined || floorMs === null) return true;
  const { rules, fingerprint } = compileProfile(profile);
  const basis = state.basis;
  if (
    basis === null ||
    basis.profile !== fingerprint ||
    basis.startMs !== window.startMs ||
    basis.endMs !== (window.endMs ?? null)
  ) {
    return false;
  }
  const fromMs = evaluatedFrom(window, rules.settleMs);
  return !batch.some((r) => r.tsMs < floorMs && isEvaluated(r.tsMs, window, fromMs));
}

/**
 * Bounds the state's memory: drops the oldest readings in whole checkpoint blocks, keeping at least
 * `keep` (and always the newest), with the snapshots before them. The fold already holds what they contributed (runs,
 * budgets, statistics), so every later evaluation stays exact; only a reading older than the kept
 * ones cannot be placed any more (`canIngest` says so). Returns how many readings were dropped.
 */
export function trimHistory(state: EngineState, keep: number): number {
  const fold = state.fold;
  if (fold === null || fold.index !== state.history.length) return 0;
  // The newest reading always stays: an evaluation without a clock is made as of it.
  const blocks = Math.floor(Math.max(0, state.history.length - Math.max(keep, 1)) / state.checkpointEvery);
  if (blocks === 0) return 0;
  const drop = blocks * state.checkpointEvery;
  const lastDropped = state.history[drop - 1]!;
  state.history.splice(0, drop);
  // `checkpoints[k]` was the fold after k × checkpointEvery readings; it now starts at the first kept one.
  state.checkpoints.splice(0, blocks);
  for (const checkpoint of state.checkpoints) checkpoint.index -= drop;
  fold.index -= drop;
  // A reading between the last dropped and the first kept one still folds in the right order.
  state.floorMs = lastDropped.tsMs + 1;
  return drop;
}

/** The fold state to continue from; starts over when the profile or the leg changed. */
function prepare(
  state: EngineState,
  rules: RuleSet,
  profileFingerprint: string,
  window: EvaluationWindow,
  fromMs: number,
): FoldState {
  const basis = { profile: profileFingerprint, startMs: window.startMs, endMs: window.endMs ?? null };
  const same =
    state.basis !== null &&
    state.basis.startMs === basis.startMs &&
    state.basis.endMs === basis.endMs &&
    state.basis.profile === basis.profile;
  if (same && state.fold !== null) return state.fold;
  state.basis = basis;
  state.history = state.history.filter((r) => isEvaluated(r.tsMs, window, fromMs));
  state.fold = initialFold(rules, fromMs);
  state.checkpoints = [copyFold(state.fold)];
  state.closed = [];
  return state.fold;
}

/** Restores the last snapshot at or before history index `index`, dropping what was folded after it. */
function rewind(state: EngineState, index: number): FoldState {
  const k = Math.floor(index / state.checkpointEvery);
  state.checkpoints.length = k + 1;
  const fold = copyFold(state.checkpoints[k]!);
  state.closed.length = fold.closedCount;
  state.fold = fold;
  return fold;
}

/**
 * Merges sorted, de-duplicated readings into the sorted history. Returns the index of the first history entry
 * that is new or changed (Infinity when the batch changed nothing: redelivered duplicates).
 */
function mergeIntoHistory(history: Reading[], batch: readonly Reading[]): number {
  const first = batch[0];
  if (first === undefined) return Number.POSITIVE_INFINITY;
  const last = history.at(-1);
  if (last === undefined || first.tsMs > last.tsMs) {
    const at = history.length;
    for (const reading of batch) history.push(reading);
    return at;
  }
  const from = lowerBound(history, first.tsMs);
  const merged: Reading[] = [];
  let changedAt = Number.POSITIVE_INFINITY;
  let i = from;
  let j = 0;
  while (i < history.length || j < batch.length) {
    const old = history[i];
    const incoming = batch[j];
    if (incoming === undefined || (old !== undefined && old.tsMs < incoming.tsMs)) {
      merged.push(old!);
      i++;
      continue;
    }
    const position = from + merged.length;
    if (old === undefined || incoming.tsMs < old.tsMs) {
      merged.push(incoming);
      changedAt = Math.min(changedAt, position);
      j++;
      continue;
    }
    const both = mergeReadings(old, incoming);
    if (!sameReading(both, old)) changedAt = Math.min(changedAt, position);
    merged.push(sameReading(both, old) ? old : both);
    i++;
    j++;
  }
  if (changedAt === Number.POSITIVE_INFINITY) return changedAt;
  history.length = from;
  for (const reading of merged) history.push(reading);
  return changedAt;
}

/** The first index whose reading is at or after `tsMs`. */
function lowerBound(history: readonly Reading[], tsMs: number): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (history[mid]!.tsMs < tsMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
