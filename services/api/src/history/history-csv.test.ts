import type { HistoryPoint, HistoryWindow } from '@coldchain/influx';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { historyPointsCsv, historyWindowsCsv } from './history-csv.js';

const T0 = Date.parse('2026-06-01T15:58:00.000Z');
const MIN = 60_000;

const points: HistoryPoint[] = [
  {
    tsMs: T0,
    legId: 11,
    deviceId: 'truck-7',
    holder: 'Dalian Haiyun',
    temp: { air: -18.25, product: -19.1 },
    rh: 88.5,
    door: false,
    lat: 38.914,
    lon: 121.614,
    battery: 87,
  },
  {
    tsMs: T0 + MIN,
    legId: 11,
    deviceId: 'truck-7',
    holder: 'Dalian Haiyun',
    temp: { air: 0.1 + 0.2 },
    door: true,
  },
  {
    tsMs: T0 + 2 * MIN + 250,
    legId: 12,
    deviceId: 'room-2',
    holder: 'Cold store "North", dock 3\r\nShenyang',
    temp: { product: -20 },
  },
];

const windows: HistoryWindow[] = [
  {
    windowStart: T0 - 13 * MIN,
    windowEnd: T0 + 2 * MIN,
    count: 2,
    sensors: {
      product: { count: 1, min: -19.1, mean: -19.1, max: -19.1 },
      rh: { count: 1, min: 88.5, mean: 88.5, max: 88.5 },
    },
  },
  {
    windowStart: T0 + 2 * MIN,
    windowEnd: T0 + 17 * MIN,
    count: 0,
    sensors: {
      product: { count: 0, min: null, mean: null, max: null },
      rh: { count: 0, min: null, mean: null, max: null },
    },
  },
];

const readBack = (csv: string) => parse(csv, { columns: true }) as Array<Record<string, string>>;
const num = (cell: string | undefined) => (cell === '' || cell === undefined ? undefined : Number(cell));

describe('historyPointsCsv', () => {
  const csv = historyPointsCsv(points, { timeZone: 'Asia/Shanghai' });

  it('starts with a header row naming each column with its unit', () => {
    expect(csv.split('\r\n')[0]).toBe(
      'time_utc,time_local,leg_id,device_id,holder,temp_air_c,temp_product_c,rh_pct,door_open,lat,lon,battery_pct',
    );
  });

  it('parses back to the same numbers, with empty fields where a point has no value', () => {
    const rows = readBack(csv);
    expect(rows).toHaveLength(points.length);
    for (const [i, row] of rows.entries()) {
      const p = points[i] as HistoryPoint;
      expect(Date.parse(row.time_utc as string)).toBe(p.tsMs);
      expect(num(row.leg_id)).toBe(p.legId);
      expect(row.device_id).toBe(p.deviceId);
      expect(row.holder).toBe(p.holder);
      expect(num(row.temp_air_c)).toBe(p.temp.air);
      expect(num(row.temp_product_c)).toBe(p.temp.product);
      expect(num(row.rh_pct)).toBe(p.rh);
      expect(row.door_open === '' ? undefined : row.door_open === 'true').toBe(p.door);
      expect(num(row.lat)).toBe(p.lat);
      expect(num(row.lon)).toBe(p.lon);
      expect(num(row.battery_pct)).toBe(p.battery);
    }
  });

  it('gives each time in UTC and in the requested zone, to the millisecond', () => {
    const rows = readBack(csv);
    expect(rows.map((r) => [r.time_utc, r.time_local])).toEqual([
      ['2026-06-01T15:58:00.000Z', '2026-06-01T23:58:00.000+08:00'],
      ['2026-06-01T15:59:00.000Z', '2026-06-01T23:59:00.000+08:00'],
      ['2026-06-01T16:00:00.250Z', '2026-06-02T00:00:00.250+08:00'],
    ]);
    expect(Date.parse(rows[2]?.time_local as string)).toBe(points[2]?.tsMs);
  });

  it('quotes fields with commas, quotes and line breaks (RFC 4180), and ends records with CRLF', () => {
    expect(csv).toContain('"Cold store ""North"", dock 3\r\nShenyang"');
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replaceAll('\r\n', '').includes('\n')).toBe(false);
  });

  it('keeps a holder name from running as a spreadsheet formula, and negative numbers as numbers', () => {
    const evil = historyPointsCsv([{ ...(points[0] as HistoryPoint), holder: '=HYPERLINK("http://x")' }], {
      timeZone: 'UTC',
    });
    const [row] = readBack(evil);
    expect(row?.holder).toBe(`'=HYPERLINK("http://x")`);
    expect(row?.temp_air_c).toBe('-18.25');
  });

  it('writes only the sensors asked for, in their order, and pages without a header', () => {
    const page = historyPointsCsv(points, { timeZone: 'UTC', sensors: ['product', 'rh'], header: false });
    const rows = parse(page) as string[][];
    expect(rows).toHaveLength(3);
    expect(rows[0]?.slice(5)).toEqual(['-19.1', '88.5']);
    expect(rows[1]?.slice(5)).toEqual(['', '']);
    const headed = historyPointsCsv(points, { timeZone: 'UTC', sensors: ['product'] });
    expect(headed.split('\r\n')[0]).toBe('time_utc,time_local,leg_id,device_id,holder,temp_product_c');
  });
});

describe('historyWindowsCsv', () => {
  const csv = historyWindowsCsv(windows, { timeZone: 'Asia/Shanghai' });

  it('names count, minimum, mean and maximum per sensor, with units', () => {
    expect(csv.split('\r\n')[0]).toBe(
      'window_start_utc,window_start_local,window_end_utc,window_end_local,count,' +
        'temp_product_count,temp_product_min_c,temp_product_mean_c,temp_product_max_c,' +
        'rh_count,rh_min_pct,rh_mean_pct,rh_max_pct',
    );
  });

  it('parses back to the same numbers, an empty window with count 0 and empty statistics', () => {
    const rows = readBack(csv);
    expect(rows).toHaveLength(2);
    for (const [i, row] of rows.entries()) {
      const w = windows[i] as HistoryWindow;
      expect(Date.parse(row.window_start_utc as string)).toBe(w.windowStart);
      expect(Date.parse(row.window_end_utc as string)).toBe(w.windowEnd);
      expect(Date.parse(row.window_start_local as string)).toBe(w.windowStart);
      expect(num(row.count)).toBe(w.count);
      for (const [sensor, prefix, u] of [
        ['product', 'temp_product', 'c'],
        ['rh', 'rh', 'pct'],
      ] as const) {
        const stats = w.sensors[sensor];
        expect(num(row[`${prefix}_count`])).toBe(stats?.count);
        expect(num(row[`${prefix}_min_${u}`]) ?? null).toBe(stats?.min);
        expect(num(row[`${prefix}_mean_${u}`]) ?? null).toBe(stats?.mean);
        expect(num(row[`${prefix}_max_${u}`]) ?? null).toBe(stats?.max);
      }
    }
    expect(rows[1]?.window_start_local).toBe('2026-06-02T00:00:00.000+08:00');
  });

  it('writes a header alone when there are no windows', () => {
    expect(historyWindowsCsv([], { timeZone: 'UTC' })).toBe(
      'window_start_utc,window_start_local,window_end_utc,window_end_local,count\r\n',
    );
  });
});
