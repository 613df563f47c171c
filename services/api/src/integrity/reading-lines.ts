import { createHash } from 'node:crypto';
import type { Reading } from '@coldchain/schema';
import type { ReadingRef, ReadingValues } from '@coldchain/store';

/**
 * The canonical form of the readings a report rests on: one line per reading,
 * `legId|deviceId|tsMs|name=value|…`, values in a fixed order (temperature sensors by name as
 * `temp.<sensor>`, then `rh`, then `door` as 0/1) and written as JavaScript writes a number (the
 * shortest form that reads back to the same value: deterministic, and exact), lines sorted. The
 * digest over them (`linesDigest`) is what a report is signed with, and the lines, kept with the
 * revision, are what a later verification compares against to name each reading that changed.
 *
 * Only what the report is computed from is in a line: temperatures, humidity and the door.
 */
export function readingLine(
  legId: number,
  deviceId: string,
  r: Pick<Reading, 'tsMs' | 'temp' | 'rh' | 'door'>,
): string {
  const parts = [String(legId), deviceId, String(r.tsMs)];
  for (const sensor of Object.keys(r.temp ?? {}).sort())
    parts.push(`temp.${sensor}=${String(r.temp?.[sensor])}`);
  if (r.rh !== undefined) parts.push(`rh=${String(r.rh)}`);
  if (r.door !== undefined) parts.push(`door=${r.door ? 1 : 0}`);
  return parts.join('|');
}

/** Sorted, without duplicates (a redelivered reading is one point in InfluxDB, and one line here). */
export function canonicalLines(lines: Iterable<string>): string[] {
  return [...new Set(lines)].sort();
}

/** Hex SHA-256 of the lines joined by `\n`. */
export function linesDigest(lines: readonly string[]): string {
  const hash = createHash('sha256');
  for (let i = 0; i < lines.length; i++) hash.update(i === 0 ? (lines[i] as string) : `\n${lines[i]}`);
  return hash.digest('hex');
}

/** A line read back: where the reading sits, and its values by name. */
export function parseReadingLine(line: string): ReadingValues {
  const [legId = '', deviceId = '', tsMs = '', ...fields] = line.split('|');
  const values: Record<string, string> = {};
  for (const f of fields) {
    const eq = f.indexOf('=');
    values[eq < 0 ? f : f.slice(0, eq)] = eq < 0 ? '' : f.slice(eq + 1);
  }
  return { legId: Number(legId), deviceId, tsMs: Number(tsMs), values };
}

/** The key that names a reading's place: the same reading in two sets of lines has the same key. */
export const readingKey = (r: ReadingRef) => `${r.legId}|${r.deviceId}|${r.tsMs}`;
