import { evaluateLegs, type Profile, toEngineReading } from '@coldchain/coldchain';
import { type HistoryLeg, type HistoryPoint, type InfluxConnection, readLegPoints } from '@coldchain/influx';
import type { CustodyLeg, RevisionExcursion, Shipment } from '@coldchain/store';
import { canonicalLines, linesDigest, readingLine } from './reading-lines.js';

/** Points per InfluxDB page while collecting a shipment's readings. */
const PAGE = 10_000;

/** What a report revision rests on, as of an instant. */
export interface ShipmentEvidence {
  lines: string[];
  digest: string;
  excursions: RevisionExcursion[];
  /**
   * `fail` when a leg fails (an excursion of a failing rule, MKT over the limit), else `pending`
   * while a leg is open or the shipment is not yet delivered, else `pass`. The report's own verdict
   * (the compliance model's) replaces it when the report route issues a revision.
   */
  verdict: 'pass' | 'fail' | 'pending';
}

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

/** The canonical reading lines of a shipment's legs as of an instant, from the stored readings. */
export async function readCanonicalLines(
  influx: InfluxConnection,
  legs: readonly CustodyLeg[],
  asOfMs: number,
): Promise<string[]> {
  const points = await readLegsPoints(influx, legsAsOf(legs, asOfMs));
  return canonicalLines(points.map((p) => readingLine(p.legId, p.deviceId, p)));
}

/** The readings, digest, excursions and verdict of a shipment as of `asOfMs`. */
export async function collectEvidence(
  influx: InfluxConnection,
  profile: Profile,
  shipment: Shipment,
  legs: readonly CustodyLeg[],
  asOfMs: number,
): Promise<ShipmentEvidence> {
  const windows = legsAsOf(legs, asOfMs);
  const points = await readLegsPoints(influx, windows);
  const lines = canonicalLines(points.map((p) => readingLine(p.legId, p.deviceId, p)));
  const byLeg = new Map<number, HistoryPoint[]>(windows.map((w) => [w.legId, []]));
  for (const p of points) byLeg.get(p.legId)?.push(p);
  const evaluated = evaluateLegs(
    [...legs]
      .filter((l) => byLeg.has(l.id))
      .map((l) => ({
        shipmentId: l.shipmentId,
        legId: l.id,
        holder: l.holder,
        deviceId: l.deviceId,
        fromMs: l.fromMs,
        toMs: l.toMs,
        readings: (byLeg.get(l.id) ?? []).map((p) => toEngineReading(p)),
      })),
    profile,
    asOfMs,
  );
  const excursions: RevisionExcursion[] = evaluated.excursions.map((e) => ({
    key: e.key,
    rule: e.rule,
    severity: e.severity,
    deviceId: e.deviceId,
    legId: e.legId,
    startMs: e.startMs,
    endMs: e.endMs,
    peakValue: e.peak?.value ?? null,
  }));
  const failed = evaluated.legs.some((l) => l.summary.verdict === 'fail');
  const open =
    legs.some((l) => l.toMs === null) || shipment.status === 'planned' || shipment.status === 'in_transit';
  return {
    lines,
    digest: linesDigest(lines),
    excursions,
    verdict: failed ? 'fail' : open ? 'pending' : 'pass',
  };
}
