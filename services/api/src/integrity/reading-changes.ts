import type { ReadingChanges, ReadingValueChange, ReadingValues } from '@coldchain/store';
import { parseReadingLine, readingKey } from './reading-lines.js';

const byPlace = (a: ReadingValues, b: ReadingValues) =>
  a.tsMs - b.tsMs || a.legId - b.legId || a.deviceId.localeCompare(b.deviceId);

const sameValues = (a: Record<string, string>, b: Record<string, string>) => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
};

/**
 * What differs between two sets of canonical reading lines, reading by reading (leg, device,
 * timestamp): those only in `after` were added, those only in `before` removed, and those in both
 * with other values changed, old and new values side by side. Each list is in time order.
 */
export function diffReadingLines(before: readonly string[], after: readonly string[]): ReadingChanges {
  const old = new Map<string, ReadingValues>();
  for (const line of before) {
    const r = parseReadingLine(line);
    old.set(readingKey(r), r);
  }
  const added: ReadingValues[] = [];
  const changed: ReadingValueChange[] = [];
  for (const line of after) {
    const r = parseReadingLine(line);
    const key = readingKey(r);
    const was = old.get(key);
    if (!was) added.push(r);
    else {
      old.delete(key);
      if (!sameValues(was.values, r.values))
        changed.push({
          legId: r.legId,
          deviceId: r.deviceId,
          tsMs: r.tsMs,
          before: was.values,
          after: r.values,
        });
    }
  }
  return {
    added: added.sort(byPlace),
    removed: [...old.values()].sort(byPlace),
    changed: changed.sort((a, b) => byPlace({ ...a, values: {} }, { ...b, values: {} })),
  };
}

export const noReadingChanges = (c: ReadingChanges) =>
  c.added.length === 0 && c.removed.length === 0 && c.changed.length === 0;
