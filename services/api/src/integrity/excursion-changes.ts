import type { RevisionChanges, RevisionExcursion } from '@coldchain/store';

const same = (a: RevisionExcursion, b: RevisionExcursion) =>
  a.rule === b.rule &&
  a.severity === b.severity &&
  a.deviceId === b.deviceId &&
  a.legId === b.legId &&
  a.startMs === b.startMs &&
  a.endMs === b.endMs &&
  a.peakValue === b.peakValue;

/**
 * Excursions added, changed (same key, other end, peak or severity) and removed between two
 * revisions. An excursion's key is the engine's (rule, boundary, start), stable as data arrives.
 */
export function diffExcursions(
  before: readonly RevisionExcursion[],
  after: readonly RevisionExcursion[],
): RevisionChanges['excursions'] {
  const old = new Map(before.map((e) => [`${e.legId}|${e.key}`, e]));
  const added: RevisionExcursion[] = [];
  const changed: Array<{ before: RevisionExcursion; after: RevisionExcursion }> = [];
  for (const e of after) {
    const k = `${e.legId}|${e.key}`;
    const was = old.get(k);
    if (!was) added.push(e);
    else {
      old.delete(k);
      if (!same(was, e)) changed.push({ before: was, after: e });
    }
  }
  return { added, changed, removed: [...old.values()] };
}

/** Whether two excursion lists say the same (in any order). */
export function sameExcursions(a: readonly RevisionExcursion[], b: readonly RevisionExcursion[]): boolean {
  const d = diffExcursions(a, b);
  return d.added.length === 0 && d.changed.length === 0 && d.removed.length === 0;
}
