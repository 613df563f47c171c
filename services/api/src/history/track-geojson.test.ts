import type { LegTrack } from '@coldchain/influx';
import { describe, expect, it } from 'vitest';
import { trackGeoJson } from './track-geojson.js';

const T0 = Date.parse('2026-06-01T00:00:00.000Z');
const MIN = 60_000;

const tracks: LegTrack[] = [
  {
    legId: 11,
    deviceId: 'truck-7',
    holder: 'Dalian Haiyun',
    fromMs: T0,
    toMs: T0 + 30 * MIN,
    positions: [
      [121.6, 38.91, T0 + 2 * MIN],
      [121.7, 38.95, T0 + 12 * MIN],
      [121.8, 39.0, T0 + 24 * MIN],
    ],
  },
  {
    legId: 12,
    deviceId: 'truck-9',
    holder: 'Shenyang DC',
    fromMs: T0 + 30 * MIN,
    toMs: null,
    positions: [
      [123.4, 41.8, T0 + 40 * MIN],
      [123.5, 41.9, T0 + 50 * MIN],
    ],
  },
];

describe('trackGeoJson', () => {
  const collection = trackGeoJson(tracks, [
    { rule: 'range', severity: 'warning', startMs: T0 + 17 * MIN },
    { rule: 'critical', severity: 'critical', startMs: T0 + 90 * MIN },
  ]);
  const lines = collection.features.filter((f) => f.geometry.type === 'LineString');
  const points = collection.features.filter((f) => f.geometry.type === 'Point');

  it('draws a LineString per leg, longitude first, with its timestamps aligned to its coordinates', () => {
    expect(collection.type).toBe('FeatureCollection');
    expect(lines).toEqual([
      {
        type: 'Feature',
        geometry: {
          type: 'LineString',
          coordinates: [
            [121.6, 38.91],
            [121.7, 38.95],
            [121.8, 39.0],
          ],
        },
        properties: {
          legId: 11,
          holder: 'Dalian Haiyun',
          deviceId: 'truck-7',
          timestamps: [T0 + 2 * MIN, T0 + 12 * MIN, T0 + 24 * MIN],
        },
      },
      {
        type: 'Feature',
        geometry: {
          type: 'LineString',
          coordinates: [
            [123.4, 41.8],
            [123.5, 41.9],
          ],
        },
        properties: {
          legId: 12,
          holder: 'Shenyang DC',
          deviceId: 'truck-9',
          timestamps: [T0 + 40 * MIN, T0 + 50 * MIN],
        },
      },
    ]);
  });

  it('marks each handover and each excursion start at the track position nearest in time', () => {
    expect(points.map((f) => [f.properties, f.geometry.coordinates])).toEqual([
      [{ kind: 'handover', legId: 11, holder: 'Dalian Haiyun', tsMs: T0 }, [121.6, 38.91]],
      // 30 min: 6 min after the truck's last fix, 10 before the next leg's first.
      [{ kind: 'handover', legId: 12, holder: 'Shenyang DC', tsMs: T0 + 30 * MIN }, [121.8, 39.0]],
      // 17 min: 5 min after one fix, 7 before the next.
      [{ kind: 'excursion', rule: 'range', severity: 'warning', tsMs: T0 + 17 * MIN }, [121.7, 38.95]],
      [{ kind: 'excursion', rule: 'critical', severity: 'critical', tsMs: T0 + 90 * MIN }, [123.5, 41.9]],
    ]);
  });

  it('draws no line for a leg with fewer than two positions, and no points without any position', () => {
    const single = trackGeoJson([{ ...(tracks[0] as LegTrack), positions: [[121.6, 38.91, T0]] }], []);
    expect(single.features.map((f) => f.geometry.type)).toEqual(['Point']);
    const none = trackGeoJson(
      tracks.map((t) => ({ ...t, positions: [] })),
      [{ rule: 'gap', severity: 'warning', startMs: T0 }],
    );
    expect(none).toEqual({ type: 'FeatureCollection', features: [] });
  });
});
