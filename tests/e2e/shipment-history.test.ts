import {
  createChunkCache,
  createWindowCellCache,
  type HistoryLeg,
  type HistoryPoint,
  type HistoryWindow,
  localIsoTime,
  readDeviceHistory,
  readDeviceHistoryCached,
  readingToLine,
  readLatestReadings,
  readLegPoints,
  readLegTrack,
  readLegWindows,
} from '@coldchain/influx';
import type { Reading } from '@coldchain/schema';
import { InfluxDB } from '@influxdata/influxdb-client';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/context.js';

const MIN = 60_000;
const H = 60 * MIN;
const T0 = Date.parse('2026-06-01T00:00:00.000Z');
const run = Date.now().toString(36);
const truck = `hist-truck-${run}`;
const room = `hist-room-${run}`;

/**
 * Shipment: the truck from 03:07:30 (loading), handed to the cold room at 20:07 (not on a window
 * boundary, so a 15-minute window spans the handover), back on the truck from 30:00, still open.
 */
const legs: HistoryLeg[] = [
  {
    legId: 101,
    deviceId: truck,
    holder: 'Dalian Haiyun',
    fromMs: T0 + 3 * H + 7.5 * MIN,
    toMs: T0 + 20 * H + 7 * MIN,
  },
  { legId: 102, deviceId: room, holder: 'Shenyang DC', fromMs: T0 + 20 * H + 7 * MIN, toMs: T0 + 30 * H },
  { legId: 103, deviceId: truck, holder: 'Anshan Fresh', fromMs: T0 + 30 * H, toMs: null },
];

/** A deterministic wobble, so that minima, maxima and means differ from window to window. */
const wave = (i: number, period: number, amplitude: number) =>
  amplitude * Math.sin((2 * Math.PI * i) / period);

/**
 * The truck records every minute from two hours before the shipment to 48 h after T0, except for a
 * silent hour (10:00–11:00: empty windows); humidity on every other reading, a position every 5 min.
 * The room records every minute, 17 s past, from 15:00 to 36:00: before and after its leg too.
 */
function truckReadings(): Reading[] {
  const out: Reading[] = [];
  for (let i = -120; i < 48 * 60; i++) {
    const tsMs = T0 + i * MIN;
    if (tsMs >= T0 + 10 * H && tsMs < T0 + 11 * H) continue;
    const r: Reading = {
      tsMs,
      seq: i + 120,
      temp: { air: 5 + wave(i, 47, 2), product: 4 + wave(i, 181, 1.5) },
    };
    if (i % 2 === 0) r.rh = 90 + wave(i, 33, 4);
    if (i % 5 === 0) Object.assign(r, { lat: 38.9 + i / 10_000, lon: 121.6 + i / 10_000 });
    if (i % 30 === 0) Object.assign(r, { door: i % 60 === 0, battery: 90 - i / 100 });
    out.push(r);
  }
  return out;
}

function roomReadings(): Reading[] {
  const out: Reading[] = [];
  for (let i = 15 * 60; i < 36 * 60; i++) {
    out.push({
      tsMs: T0 + i * MIN + 17_000,
      temp: { product: 2.5 + wave(i, 71, 0.8) },
      rh: 93 + wave(i, 29, 2),
    });
  }
  return out;
}

const written = new Map<string, Reading[]>([
  [truck, truckReadings()],
  [room, roomReadings()],
]);

const inLeg = (leg: HistoryLeg, tsMs: number) => tsMs >= leg.fromMs && (leg.toMs === null || tsMs < leg.toMs);

/** What the shipment's history must be: each leg's device's readings within the leg, oldest first. */
function expectedPoints(fromMs: number, toMs: number): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  for (const leg of legs) {
    for (const { seq: _, temp, ...r } of written.get(leg.deviceId) ?? []) {
      if (!inLeg(leg, r.tsMs) || r.tsMs < fromMs || r.tsMs >= toMs) continue;
      out.push({ ...r, temp: temp ?? {}, legId: leg.legId, deviceId: leg.deviceId, holder: leg.holder });
    }
  }
  return out.sort((a, b) => a.tsMs - b.tsMs);
}

/** A window's figures worked out from raw points: what InfluxDB's aggregation must agree with. */
function summarise(points: HistoryPoint[], w: HistoryWindow, sensors: string[]) {
  const inside = points.filter((p) => p.tsMs >= w.windowStart && p.tsMs < w.windowEnd);
  const stats: Record<
    string,
    { count: number; min: number | null; mean: number | null; max: number | null }
  > = {};
  for (const sensor of sensors) {
    const values = inside
      .map((p) => (sensor === 'rh' ? p.rh : p.temp[sensor]))
      .filter((v): v is number => v !== undefined);
    stats[sensor] =
      values.length === 0
        ? { count: 0, min: null, mean: null, max: null }
        : {
            count: values.length,
            min: Math.min(...values),
            mean: values.reduce((a, b) => a + b, 0) / values.length,
            max: Math.max(...values),
          };
  }
  return stats;
}

function expectWindowsMatchPoints(windows: HistoryWindow[], points: HistoryPoint[], sensors: string[]) {
  for (const w of windows) {
    const expected = summarise(points, w, sensors);
    expect(Object.keys(w.sensors)).toEqual(sensors);
    for (const sensor of sensors) {
      const got = w.sensors[sensor];
      const want = expected[sensor];
      expect({
        window: localIsoTime(w.windowStart, 'UTC'),
        sensor,
        count: got?.count,
        min: got?.min,
        max: got?.max,
      }).toEqual({
        window: localIsoTime(w.windowStart, 'UTC'),
        sensor,
        count: want?.count,
        min: want?.min,
        max: want?.max,
      });
      if (want?.mean == null) expect(got?.mean).toBeNull();
      else expect(got?.mean).toBeCloseTo(want.mean, 9);
    }
    expect(w.count).toBe(Math.max(0, ...sensors.map((s) => expected[s]?.count ?? 0)));
  }
}

function expectBackToBack(windows: HistoryWindow[], fromMs: number, toMs: number) {
  expect(windows[0]?.windowStart).toBe(fromMs);
  expect(windows.at(-1)?.windowEnd).toBe(toMs);
  for (let i = 1; i < windows.length; i++) expect(windows[i]?.windowStart).toBe(windows[i - 1]?.windowEnd);
}

describe('shipment history from custody legs', () => {
  const influx = inject('influx');
  const all = { fromMs: T0 - 3 * H, toMs: T0 + 48 * H };

  beforeAll(async () => {
    const writer = new InfluxDB({ url: influx.url, token: influx.token }).getWriteApi(
      influx.org,
      influx.bucket,
      'ms',
    );
    for (const [deviceId, readings] of written)
      writer.writeRecords(readings.map((r) => readingToLine(deviceId, r)));
    await writer.close();
  });

  it("returns exactly the readings inside each leg's window, none of the devices' others", async () => {
    const { points, nextAfterMs } = await readLegPoints(influx, legs, { ...all, limit: 100_000 });
    const expected = expectedPoints(all.fromMs, all.toMs);
    expect(points.length).toBe(expected.length);
    expect(points).toEqual(expected);
    expect(nextAfterMs).toBeNull();
    // At the handover the next leg's device speaks for the shipment; the truck's reading then is not its.
    const atHandover = points.filter((p) => p.tsMs >= T0 + 30 * H - MIN && p.tsMs <= T0 + 30 * H);
    expect(atHandover.map((p) => [p.legId, p.deviceId])).toEqual([
      [102, room],
      [103, truck],
    ]);
    expect(new Set(points.map((p) => p.legId))).toEqual(new Set([101, 102, 103]));
  });

  it('cuts the history at the requested range as well as at the legs', async () => {
    const range = { fromMs: T0 + 19 * H + 30 * MIN, toMs: T0 + 20 * H + 30 * MIN };
    const { points } = await readLegPoints(influx, legs, { ...range, limit: 1000 });
    expect(points).toEqual(expectedPoints(range.fromMs, range.toMs));
    expect(points[0]?.tsMs).toBe(range.fromMs);
    expect(points.some((p) => p.deviceId === room)).toBe(true);
  });

  it('pages through every point exactly once, following nextAfterMs', async () => {
    const seen: HistoryPoint[] = [];
    let afterMs: number | undefined;
    let pages = 0;
    for (;;) {
      const page = await readLegPoints(influx, legs, {
        ...all,
        limit: 397,
        ...(afterMs === undefined ? {} : { afterMs }),
      });
      pages += 1;
      expect(page.points.length).toBeLessThanOrEqual(397);
      seen.push(...page.points);
      if (page.nextAfterMs === null) break;
      expect(page.nextAfterMs).toBe(page.points.at(-1)?.tsMs);
      afterMs = page.nextAfterMs;
    }
    const expected = expectedPoints(all.fromMs, all.toMs);
    expect(pages).toBe(Math.ceil(expected.length / 397));
    expect(seen.map((p) => p.tsMs)).toEqual(expected.map((p) => p.tsMs));
    expect(seen).toEqual(expected);
  });

  it('restricts points to the sensors asked for', async () => {
    const { points } = await readLegPoints(influx, legs, {
      ...all,
      limit: 100_000,
      sensors: ['product', 'rh'],
    });
    const expected = expectedPoints(all.fromMs, all.toMs);
    expect(points.length).toBe(expected.length);
    for (const [i, p] of points.entries()) {
      const want = expected[i] as HistoryPoint;
      const only = { tsMs: want.tsMs, legId: want.legId, deviceId: want.deviceId, holder: want.holder };
      expect(p).toEqual({
        ...only,
        temp: want.temp.product === undefined ? {} : { product: want.temp.product },
        ...(want.rh === undefined ? {} : { rh: want.rh }),
      });
    }
  });

  it('summarises 15-minute windows exactly as the raw points they cover, across handovers and gaps', async () => {
    const range = { fromMs: T0, toMs: T0 + 48 * H };
    const windows = await readLegWindows(influx, legs, { ...range, every: '15m', timeZone: 'Asia/Shanghai' });
    expect(windows).toHaveLength(48 * 4);
    expectBackToBack(windows, range.fromMs, range.toMs);
    const { points } = await readLegPoints(influx, legs, { ...range, limit: 100_000 });
    expectWindowsMatchPoints(windows, points, ['air', 'product', 'rh']);

    // Before the first leg, and in the truck's silent hour: windows present, and empty.
    const empty = windows
      .filter((w) => w.count === 0)
      .map((w) => localIsoTime(w.windowStart, 'UTC').slice(11, 16));
    expect(empty).toEqual([
      ...[
        '00:00',
        '00:15',
        '00:30',
        '00:45',
        '01:00',
        '01:15',
        '01:30',
        '01:45',
        '02:00',
        '02:15',
        '02:30',
        '02:45',
      ],
      ...['10:00', '10:15', '10:30', '10:45'],
    ]);
    expect(windows[40]?.sensors.air).toEqual({ count: 0, min: null, mean: null, max: null });

    // 20:00–20:15 holds the truck's readings to the handover at 20:07 and the room's after it.
    const handover = windows.find((w) => w.windowStart === T0 + 20 * H) as HistoryWindow;
    expect(handover.sensors.product?.count).toBe(7 + 8);
    const truckProducts = points
      .filter((p) => p.legId === 101 && p.tsMs >= T0 + 20 * H)
      .map((p) => p.temp.product);
    expect(truckProducts).toHaveLength(7);
    // The room has no air sensor: the window's air figures are the truck's alone.
    expect(handover.sensors.air?.count).toBe(7);
  });

  it('starts 1d windows in Asia/Shanghai at local midnight, 16:00 UTC, and still agrees with the points', async () => {
    const range = { fromMs: T0 - 3 * H, toMs: T0 + 48 * H };
    const windows = await readLegWindows(influx, legs, { ...range, every: '1d', timeZone: 'Asia/Shanghai' });
    expectBackToBack(windows, range.fromMs, range.toMs);
    expect(windows.slice(1).map((w) => new Date(w.windowStart).toISOString())).toEqual([
      '2026-06-01T16:00:00.000Z',
      '2026-06-02T16:00:00.000Z',
    ]);
    expect(windows.slice(1).map((w) => localIsoTime(w.windowStart, 'Asia/Shanghai'))).toEqual([
      '2026-06-02T00:00:00.000+08:00',
      '2026-06-03T00:00:00.000+08:00',
    ]);
    const { points } = await readLegPoints(influx, legs, { ...range, limit: 100_000 });
    expectWindowsMatchPoints(windows, points, ['air', 'product', 'rh']);
  });

  it('restricts windows to the sensors asked for, keeping each in every window', async () => {
    const range = { fromMs: T0 + 9 * H, toMs: T0 + 12 * H };
    const windows = await readLegWindows(influx, legs, {
      ...range,
      every: '1h',
      timeZone: 'UTC',
      sensors: ['product'],
    });
    expect(windows.map((w) => Object.keys(w.sensors))).toEqual([['product'], ['product'], ['product']]);
    expect(windows.map((w) => w.count)).toEqual([60, 0, 60]);
    const { points } = await readLegPoints(influx, legs, { ...range, limit: 100_000 });
    expectWindowsMatchPoints(windows, points, ['product']);
  });

  it('gives the leg of each position, from the points that have one', async () => {
    const tracks = await readLegTrack(influx, legs);
    expect(tracks.map((t) => t.legId)).toEqual([101, 102, 103]);
    const expected = expectedPoints(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    for (const track of tracks) {
      const want = expected
        .filter((p) => p.legId === track.legId && p.lat !== undefined && p.lon !== undefined)
        .map((p) => [p.lon, p.lat, p.tsMs]);
      expect(track.positions).toEqual(want);
    }
    expect(tracks[0]?.positions.length).toBeGreaterThan(100);
    expect(tracks[1]?.positions).toEqual([]); // the cold room has no GPS
  });
});

describe('shipment history in a zone with summer time', () => {
  const influx = inject('influx');
  const device = `hist-berlin-${run}`;
  const start = Date.parse('2026-03-27T23:00:00.000Z'); // 28 March, 00:00 in Berlin
  const leg: HistoryLeg = {
    legId: 201,
    deviceId: device,
    holder: 'Hamburg Kühlhaus',
    fromMs: start,
    toMs: null,
  };

  beforeAll(async () => {
    const writer = new InfluxDB({ url: influx.url, token: influx.token }).getWriteApi(
      influx.org,
      influx.bucket,
      'ms',
    );
    // One reading an hour, on the hour, for four days.
    for (let h = 0; h < 4 * 24; h++)
      writer.writeRecord(readingToLine(device, { tsMs: start + h * H, temp: { product: h % 7 } }));
    await writer.close();
  });

  it('makes the day the clocks go forward 23 hours long, and counts its readings as such', async () => {
    const range = { fromMs: start, toMs: Date.parse('2026-03-30T22:00:00.000Z') }; // to 31 March, 00:00 CEST
    const windows = await readLegWindows(influx, [leg], { ...range, every: '1d', timeZone: 'Europe/Berlin' });
    expect(windows.map((w) => localIsoTime(w.windowStart, 'Europe/Berlin'))).toEqual([
      '2026-03-28T00:00:00.000+01:00',
      '2026-03-29T00:00:00.000+01:00',
      '2026-03-30T00:00:00.000+02:00',
    ]);
    expect(windows.map((w) => (w.windowEnd - w.windowStart) / H)).toEqual([24, 23, 24]);
    expect(windows.map((w) => w.count)).toEqual([24, 23, 24]);
    const { points } = await readLegPoints(influx, [leg], { ...range, limit: 1000 });
    expectWindowsMatchPoints(windows, points, ['product']);
  });
});

describe('latest readings of devices', () => {
  const influx = inject('influx');
  const a = `latest-a-${run}`;
  const b = `latest-b-${run}`;

  it('gives the newest value of each field of each device in one answer, and nothing for a silent device', async () => {
    const writer = new InfluxDB({ url: influx.url, token: influx.token }).getWriteApi(
      influx.org,
      influx.bucket,
      'ms',
    );
    const lines = [
      readingToLine(a, {
        tsMs: T0,
        temp: { air: 1, product: 2 },
        rh: 80,
        battery: 90,
        lat: 38.9,
        lon: 121.6,
      }),
      readingToLine(a, { tsMs: T0 + MIN, temp: { product: 3 }, battery: 89 }),
      readingToLine(a, { tsMs: T0 + 2 * MIN, rh: 85 }),
      readingToLine(b, { tsMs: T0 - H, temp: { product: -18.5 } }),
    ];
    writer.writeRecords(lines);
    await writer.close();
    const latest = await readLatestReadings(influx, [a, b, `latest-none-${run}`], T0 - 30 * MIN);
    expect(latest.get(a)).toEqual({
      tsMs: T0 + 2 * MIN,
      temp: { air: 1, product: 3 },
      rh: 85,
      battery: 89,
      lat: 38.9,
      lon: 121.6,
    });
    // b's only reading is older than asked for; the third device never sent anything.
    expect([...latest.keys()]).toEqual([a]);
    expect((await readLatestReadings(influx, [b], T0 - 2 * H)).get(b)).toEqual({
      tsMs: T0 - H,
      temp: { product: -18.5 },
    });
  });
});

/**
 * The same windows: counts, minima and maxima exactly, means to floating-point noise (a cached day
 * adds its cells' sums in another order than one aggregation over the whole range).
 */
function expectSameWindows(got: HistoryWindow[], want: HistoryWindow[]) {
  const exact = (ws: HistoryWindow[]) =>
    ws.map((w) => ({
      ...w,
      sensors: Object.fromEntries(Object.entries(w.sensors).map(([k, v]) => [k, { ...v, mean: null }])),
    }));
  expect(exact(got)).toEqual(exact(want));
  for (const [i, w] of got.entries())
    for (const [sensor, stats] of Object.entries(w.sensors)) {
      const mean = want[i]?.sensors[sensor]?.mean;
      if (mean == null) expect(stats.mean).toBeNull();
      else expect(stats.mean).toBeCloseTo(mean, 9);
    }
}

describe('windowed history from the cell cache', () => {
  const influx = inject('influx');
  const device = `hist-cache-${run}`;
  const cacheLegs: HistoryLeg[] = [
    {
      legId: 301,
      deviceId: device,
      holder: 'Anshan cold room',
      fromMs: T0 + 1 * H,
      toMs: T0 + 30 * H + 7 * MIN,
    },
    {
      legId: 302,
      deviceId: device,
      holder: 'Shenyang depot',
      fromMs: T0 + 30 * H + 7 * MIN,
      toMs: T0 + 47 * H,
    },
  ];
  const range = { fromMs: T0, toMs: T0 + 48 * H };
  const write = async (readings: Reading[]) => {
    const writer = new InfluxDB({ url: influx.url, token: influx.token }).getWriteApi(
      influx.org,
      influx.bucket,
      'ms',
    );
    writer.writeRecords(readings.map((r) => readingToLine(device, r)));
    await writer.close();
  };

  beforeAll(async () => {
    const readings: Reading[] = [];
    // Every minute but the 30 s past each; the backlog below lands on those.
    for (let i = 0; i < 48 * 60; i++)
      readings.push({ tsMs: T0 + i * MIN, temp: { product: 3 + wave(i, 53, 1) }, rh: 80 + wave(i, 31, 3) });
    await write(readings);
  });

  it('answers exactly as a fresh aggregation, and sees a backlog written into a day it holds', async () => {
    const cache = createWindowCellCache();
    for (const q of [
      { ...range, every: '15m', timeZone: 'Asia/Shanghai' },
      { ...range, every: '1d', timeZone: 'Asia/Shanghai' },
      { ...range, every: '1h', timeZone: 'Asia/Kolkata' },
    ]) {
      const fresh = await readLegWindows(influx, cacheLegs, q);
      expectSameWindows(await readLegWindows(influx, cacheLegs, q, cache), fresh);
      // The second time, from the cache.
      expectSameWindows(await readLegWindows(influx, cacheLegs, q, cache), fresh);
    }
    expect(cache.size()).toBeGreaterThan(0);

    // A backlog arrives for a day the cache holds: a new maximum and a new minimum.
    const q = { ...range, every: '15m', timeZone: 'Asia/Shanghai' };
    await write([
      { tsMs: T0 + 5 * H + 30_000, temp: { product: 14.5 }, rh: 99 },
      { tsMs: T0 + 31 * H + 30_000, temp: { product: -3 } },
    ]);
    const fresh = await readLegWindows(influx, cacheLegs, q);
    const cached = await readLegWindows(influx, cacheLegs, q, cache);
    expectSameWindows(cached, fresh);
    const at = (ms: number) => cached.find((w) => w.windowStart <= ms && ms < w.windowEnd) as HistoryWindow;
    expect(at(T0 + 5 * H).sensors.product).toMatchObject({ count: 16, max: 14.5 });
    expect(at(T0 + 31 * H).sensors.product).toMatchObject({ count: 16, min: -3 });
    expect(at(T0 + 31 * H).sensors.rh?.count).toBe(15);
  });

  it('reads raw readings from its cache exactly as from InfluxDB, and sees a backlog in a day it holds', async () => {
    const cache = createChunkCache<Reading>();
    const from = T0 + 2 * H + 30 * MIN;
    const to = T0 + 47 * H;
    const fresh = await readDeviceHistory(influx, device, from, to);
    const first = await readDeviceHistoryCached(influx, device, from, to, cache);
    expect(first.readings).toEqual(fresh);
    expect(cache.size()).toBe(2);
    const again = await readDeviceHistoryCached(influx, device, from, to, cache);
    expect(again.readings).toEqual(fresh);
    expect(again.version).toBe(first.version);
    await write([{ tsMs: T0 + 40 * H + 30_000, temp: { product: 11.25 } }]);
    const later = await readDeviceHistoryCached(influx, device, from, to, cache);
    expect(later.version).not.toBe(first.version);
    const after = later.readings;
    expect(after).toEqual(await readDeviceHistory(influx, device, from, to));
    expect(after).toHaveLength(fresh.length + 1);
    expect(after.find((r) => r.tsMs === T0 + 40 * H + 30_000)?.temp).toEqual({ product: 11.25 });
  });
});
