import { createHash } from 'node:crypto';
import type { MeasuredReading } from '../engine-reading.js';
import { readingsInLeg } from './leg-readings.js';
import type { ReportInput } from './report-model.js';

/**
 * The canonical form of the readings a report rests on (`coldchain-readings/1`): one line per distinct
 * reading of each leg's device within the leg's window, settle period included, fields separated by a tab:
 *
 *   legId  deviceId  tsMs  temp.<sensor>=<°C>…  rh=<%>  door=<0|1>
 *
 * Sensors in code-unit order of their names; absent fields and non-finite numbers are left out. Numbers are
 * written as ECMAScript's Number::toString writes them — the shortest decimal that reads back as the same
 * double (−0 as 0) — so the form loses nothing and any language with a shortest round-trip formatter can
 * rebuild it. Lines are ordered by leg id, then event time, then the line's text; a redelivered reading
 * gives an identical line and is listed once, while two different values for one timestamp both stay.
 */
export function canonicalReadings(input: Pick<ReportInput, 'legs'>): string[] {
  const entries: Array<{ legId: number; tsMs: number; line: string }> = [];
  for (const leg of input.legs) {
    const seen = new Set<string>();
    for (const r of readingsInLeg(leg)) {
      const line = canonicalLine(leg.id, leg.deviceId, r);
      if (seen.has(line)) continue;
      seen.add(line);
      entries.push({ legId: leg.id, tsMs: r.tsMs, line });
    }
  }
  return sortEntries(entries);
}

/** One reading's line of the canonical form. */
export function canonicalLine(legId: number, deviceId: string, reading: MeasuredReading): string {
  const fields = [String(legId), deviceId, String(reading.tsMs)];
  const temp = reading.temp ?? {};
  for (const sensor of Object.keys(temp).sort()) {
    const value = temp[sensor];
    if (value !== undefined && Number.isFinite(value)) fields.push(`temp.${sensor}=${formatNumber(value)}`);
  }
  if (reading.rh !== undefined && Number.isFinite(reading.rh)) fields.push(`rh=${formatNumber(reading.rh)}`);
  if (typeof reading.door === 'boolean') fields.push(`door=${reading.door ? 1 : 0}`);
  return fields.join('\t');
}

/** Lines in the canonical order (leg id, event time, text), each distinct line once. */
export function orderCanonicalLines(lines: Iterable<string>): string[] {
  const entries = [...new Set(lines)].map((line) => {
    const [legId = '', , tsMs = ''] = line.split('\t', 3);
    return { legId: Number(legId), tsMs: Number(tsMs), line };
  });
  return sortEntries(entries);
}

function sortEntries(entries: Array<{ legId: number; tsMs: number; line: string }>): string[] {
  entries.sort(
    (a, b) => a.legId - b.legId || a.tsMs - b.tsMs || (a.line < b.line ? -1 : a.line > b.line ? 1 : 0),
  );
  return entries.map((e) => e.line);
}

/**
 * Lower-case hex SHA-256 over the lines, each followed by `\n`, UTF-8. node:crypto's hash is a pure
 * function of its input — no clock, randomness or I/O — so it keeps the domain package pure.
 */
export function readingsDigest(lines: readonly string[]): string {
  const hash = createHash('sha256');
  for (const line of lines) hash.update(`${line}\n`, 'utf8');
  return hash.digest('hex');
}

function formatNumber(value: number): string {
  return String(value + 0);
}
