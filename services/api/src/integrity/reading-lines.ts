import { canonicalLine, orderCanonicalLines, readingsDigest } from '@coldchain/coldchain';
import type { Reading } from '@coldchain/schema';
import type { ReadingRef, ReadingValues } from '@coldchain/store';

/**
 * The canonical form of the readings a report rests on, as the compliance report model writes it
 * (`coldchain-readings/1`): one line per distinct reading of each leg's device within the leg's
 * window, fields separated by a tab — `legId`, `deviceId`, `tsMs`, then `temp.<sensor>=<°C>` by
 * sensor name, `rh=<%>`, `door=<0|1>` — numbers as ECMAScript writes them (the shortest decimal
 * that reads back as the same double, −0 as 0), lines ordered by leg, event time, then text. The
 * digest (`linesDigest`) is what a report is signed with; the lines, kept with the revision, are
 * what a later verification compares against to name each reading that changed.
 */
/** One reading's canonical line (the report model's own function: one definition of the form). */
export function readingLine(
  legId: number,
  deviceId: string,
  r: Pick<Reading, 'tsMs' | 'temp' | 'rh' | 'door'>,
): string {
  return canonicalLine(legId, deviceId, r);
}

/** Without duplicates (a redelivered reading is one point in InfluxDB, and one line here), in order. */
export const canonicalLines = orderCanonicalLines;

/** Lower-case hex SHA-256 over the lines, each followed by `\n`, UTF-8. */
export const linesDigest = readingsDigest;

const SEPARATOR = '\t';

/** A line read back: where the reading sits, and its values by name. */
export function parseReadingLine(line: string): ReadingValues {
  const [legId = '', deviceId = '', tsMs = '', ...fields] = line.split(SEPARATOR);
  const values: Record<string, string> = {};
  for (const f of fields) {
    const eq = f.indexOf('=');
    values[eq < 0 ? f : f.slice(0, eq)] = eq < 0 ? '' : f.slice(eq + 1);
  }
  return { legId: Number(legId), deviceId, tsMs: Number(tsMs), values };
}

/** The key that names a reading's place: the same reading in two sets of lines has the same key. */
export const readingKey = (r: ReadingRef) => `${r.legId}|${r.deviceId}|${r.tsMs}`;
