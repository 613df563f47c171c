import type { LegTrack } from '@coldchain/influx';

/** RFC 7946 position: longitude, latitude (WGS 84). */
export type Position = [lon: number, lat: number];

export interface LegLineFeature {
  type: 'Feature';
  geometry: { type: 'LineString'; coordinates: Position[] };
  /** `timestamps[i]` is the event time (epoch ms) of `coordinates[i]`. */
  properties: { legId: number; holder: string; deviceId: string; timestamps: number[] };
}

export interface HandoverFeature {
  type: 'Feature';
  geometry: { type: 'Point'; coordinates: Position };
  properties: { kind: 'handover'; legId: number; holder: string; tsMs: number };
}

export interface ExcursionFeature {
  type: 'Feature';
  geometry: { type: 'Point'; coordinates: Position };
  properties: { kind: 'excursion'; rule: string; severity: string; tsMs: number };
}

export interface TrackFeatureCollection {
  type: 'FeatureCollection';
  features: Array<LegLineFeature | HandoverFeature | ExcursionFeature>;
}

/** What the map marks of an excursion: where the goods were when it began. */
export interface TrackExcursion {
  rule: string;
  severity: string;
  startMs: number;
}

/**
 * A shipment's route as GeoJSON (RFC 7946): a LineString per leg, and Points where each leg began (a
 * handover) and where each excursion began. A leg with fewer than two positions has no line (a LineString
 * needs two); a Point is placed at the track position nearest in time to its moment, and there are none
 * when the shipment has no positions at all.
 */
export function trackGeoJson(
  tracks: readonly LegTrack[],
  excursions: readonly TrackExcursion[],
): TrackFeatureCollection {
  const features: TrackFeatureCollection['features'] = [];
  for (const t of tracks) {
    if (t.positions.length < 2) continue;
    features.push({
      type: 'Feature',
      geometry: { type: 'LineString', coordinates: t.positions.map(([lon, lat]) => [lon, lat]) },
      properties: {
        legId: t.legId,
        holder: t.holder,
        deviceId: t.deviceId,
        timestamps: t.positions.map((p) => p[2]),
      },
    });
  }
  const all = tracks.flatMap((t) => t.positions).sort((a, b) => a[2] - b[2]);
  if (all.length === 0) return { type: 'FeatureCollection', features };
  const at = (tsMs: number): Position => {
    const [lon, lat] = nearestInTime(all, tsMs);
    return [lon, lat];
  };
  for (const t of tracks) {
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: at(t.fromMs) },
      properties: { kind: 'handover', legId: t.legId, holder: t.holder, tsMs: t.fromMs },
    });
  }
  for (const e of excursions) {
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: at(e.startMs) },
      properties: { kind: 'excursion', rule: e.rule, severity: e.severity, tsMs: e.startMs },
    });
  }
  return { type: 'FeatureCollection', features };
}

/** The position closest in time to `tsMs` (the earlier one on a tie), in positions sorted by time. */
function nearestInTime(
  sorted: ReadonlyArray<LegTrack['positions'][number]>,
  tsMs: number,
): LegTrack['positions'][number] {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as LegTrack['positions'][number])[2] < tsMs) lo = mid + 1;
    else hi = mid;
  }
  const after = sorted[lo] as LegTrack['positions'][number];
  const before = sorted[lo - 1];
  return before !== undefined && tsMs - before[2] <= after[2] - tsMs ? before : after;
}
