import { type HistoryLeg, type HistoryPoint, type InfluxConnection, readLegPoints } from '@coldchain/influx';
import type { CustodyLeg } from '@coldchain/store';
import { canonicalLines, readingLine } from './reading-lines.js';

/** Points per InfluxDB page while collecting a shipment's readings. */
const PAGE = 10_000;

/**
 * Each leg as it stood at `asOfMs`: its window ends at its handover, or at `asOfMs` (inclusive)
 * when it was open then. A revision's readings are those of these windows, so that a later
 * verification asks for the same windows and live data arriving after it changes nothing.
 */
export function legsAsOf(legs: readonly CustodyLeg[], asOfMs: number): HistoryLeg[] {
  return [...legs]
    .filter((l) => l.fromMs <= asOfMs)
    .sort((a, b) => a.fromMs - b.fromMs)
    .map((l) => ({
      legId: l.id,
      deviceId: l.deviceId,
      holder: l.holder,
      fromMs: l.fromMs,
      toMs: Math.min(l.toMs ?? Number.POSITIVE_INFINITY, asOfMs + 1),
    }));
}

/** Every stored point of the legs' windows, oldest first (page by page from InfluxDB). */
export async function readLegsPoints(
  influx: InfluxConnection,
  legs: readonly HistoryLeg[],
): Promise<HistoryPoint[]> {
  if (legs.length === 0) return [];
  const fromMs = Math.min(...legs.map((l) => l.fromMs));
  const toMs = Math.max(...legs.map((l) => l.toMs as number));
  const points: HistoryPoint[] = [];
  let afterMs: number | undefined;
  for (;;) {
    const page = await readLegPoints(influx, legs, {
      fromMs,
      toMs,
      limit: PAGE,
      ...(afterMs === undefined ? {} : { afterMs }),
    });
    for (const p of page.points) points.push(p);
    if (page.nextAfterMs === null) return points;
    afterMs = page.nextAfterMs;
  }
}

/**
 * The canonical reading lines of a shipment's legs as of an instant, read from InfluxDB itself,
 * never from the API's readings cache: the cache trusts that stored readings do not change, and a
 * verification is there to check exactly that.
 */
export async function readCanonicalLines(
  influx: InfluxConnection,
  legs: readonly CustodyLeg[],
  asOfMs: number,
): Promise<string[]> {
  const points = await readLegsPoints(influx, legsAsOf(legs, asOfMs));
  return canonicalLines(points.map((p) => readingLine(p.legId, p.deviceId, p)));
}
