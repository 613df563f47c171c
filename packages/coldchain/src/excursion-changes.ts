import { compareExcursions, type Excursion, sameExcursion } from './excursion.js';

/**
 * What changed in a device's excursions since the last evaluation, keyed by `Excursion.key`, so that the ingest
 * raises one alert per excursion and updates it:
 * - `opened`: a key not seen before (a backlog may bring an excursion that has already ended: see `endMs`);
 * - `updated`: a known key whose excursion changed in another way (a new peak; reopened by a late reading);
 * - `closed`: a known open excursion that has ended;
 * - `removed`: a known key that fuller data has replaced — a gap filled by a backlog, or an excursion that an
 *   earlier, late-arriving reading shows to have started sooner (it comes back `opened` under its new key).
 * Replaying the changes (set on opened/updated/closed, delete on removed) gives the current excursions.
 */
export interface ExcursionChange {
  type: 'opened' | 'updated' | 'closed' | 'removed';
  /** The excursion now, or as last reported for `removed`. */
  excursion: Excursion;
}

export function diffExcursions(
  before: Readonly<Record<string, Excursion>>,
  now: readonly Excursion[],
): ExcursionChange[] {
  const changes: ExcursionChange[] = [];
  const seen = new Set<string>();
  for (const excursion of now) {
    seen.add(excursion.key);
    const previous = before[excursion.key];
    if (previous === excursion) continue; // a closed excursion, reported as it is
    if (previous === undefined) changes.push({ type: 'opened', excursion });
    else if (!sameExcursion(previous, excursion)) {
      const closed = previous.endMs === null && excursion.endMs !== null;
      changes.push({ type: closed ? 'closed' : 'updated', excursion });
    }
  }
  for (const key in before) {
    if (!seen.has(key)) changes.push({ type: 'removed', excursion: before[key]! });
  }
  return changes.sort((a, b) => compareExcursions(a.excursion, b.excursion));
}

/**
 * Applies changes to excursions by key, in place; returns the same object. The streaming engine keeps what it
 * reported this way, and a consumer can check with it that the change stream tells the whole story.
 */
export function applyExcursionChanges(
  excursions: Record<string, Excursion>,
  changes: readonly ExcursionChange[],
): Record<string, Excursion> {
  for (const change of changes) {
    if (change.type === 'removed') delete excursions[change.excursion.key];
    else excursions[change.excursion.key] = change.excursion;
  }
  return excursions;
}
