import { isValidDeviceId, MAX_FUTURE_SKEW_MS, type Reading, SENSOR_NAME_PATTERN } from '@coldchain/schema';
import type { FluxTableMetaData } from '@influxdata/influxdb-client';
import { pivotedPoints, queryApi, readingFromRow } from './history-query.js';
import { HistoryQueryError } from './history-query-error.js';
import { type Every, parseEvery, planWindows, type WindowPlan } from './history-windows.js';
import { TELEMETRY_MEASUREMENT } from './line-protocol.js';
import type { InfluxConnection } from './local-server.js';
import { type CachedCell, type ChunkCache, utcDayChunks, type WindowCellCache } from './window-cell-cache.js';

/**
 * A shipment's history is stitched from its custody legs (DESIGN.md §3): each leg's device over that
 * leg's window `[fromMs, toMs)`, `toMs` null while the leg is open. Legs never overlap, so an event time
 * belongs to one leg at most, and a point's time identifies it within the shipment.
 */
export interface HistoryLeg {
  legId: number;
  deviceId: string;
  holder: string;
  fromMs: number;
  toMs: number | null;
}

/** One stored reading within a leg (without the device's counter), with the leg it belongs to. */
export interface HistoryPoint extends Omit<Reading, 'seq' | 'temp'> {
  legId: number;
  deviceId: string;
  holder: string;
  /** °C per temperature sensor (empty when the point has none of the requested sensors). */
  temp: Record<string, number>;
}

export interface PointsQuery {
  fromMs: number;
  toMs: number;
  /** Continues after the point at this event time (the previous page's `nextAfterMs`). */
  afterMs?: number;
  /** Points per page. */
  limit: number;
  /** Restricts the fields returned: `rh` is humidity, any other name a temperature sensor. */
  sensors?: readonly string[];
}

export interface PointsPage {
  /** Oldest first. */
  points: HistoryPoint[];
  /** Where the next page continues (`afterMs`); null on the last page. */
  nextAfterMs: number | null;
}

export interface WindowsQuery {
  fromMs: number;
  toMs: number;
  /** `15m`, `1h`, `1d`, `7d`… (see `parseEvery`), or one already parsed. */
  every: string | Every;
  /** IANA zone the day windows are calendar days of. */
  timeZone: string;
  /** As in `PointsQuery`; unset: every temperature sensor and humidity. */
  sensors?: readonly string[];
}

export interface SensorStats {
  count: number;
  /** Null when `count` is 0. */
  min: number | null;
  mean: number | null;
  max: number | null;
}

export interface HistoryWindow {
  windowStart: number;
  windowEnd: number;
  /**
   * Readings in the window: those of the sensor measured most often in it (a device records its sensors
   * together, so this is every reading that carries one of the sensors asked for).
   */
  count: number;
  /** Every sensor asked for (or found in the range), in every window, empty ones included. */
  sensors: Record<string, SensorStats>;
}

/** A leg's positions, from its points that have both `lat` and `lon`. */
export interface LegTrack extends HistoryLeg {
  /** GeoJSON order (longitude first), with the point's event time; oldest first. */
  positions: Array<[lon: number, lat: number, tsMs: number]>;
}

export interface LatestReading {
  /** Event time of the newest of the values below. */
  tsMs: number;
  temp: Record<string, number>;
  rh?: number;
  battery?: number;
  lat?: number;
  lon?: number;
}

/** A leg cut to the part of it a query asks for; `stopMs` null: open, up to the present. */
interface LegSpan {
  leg: HistoryLeg;
  startMs: number;
  stopMs: number | null;
}

/**
 * The stored points of every leg within its window and `[fromMs, toMs)`, oldest first, a page at a time.
 * The page is cut in InfluxDB: each leg contributes at most `limit + 1` rows per field, which holds every
 * field of its first `limit + 1` points, so a page costs its own size, not the rest of the range.
 */
export async function readLegPoints(
  connection: InfluxConnection,
  legs: readonly HistoryLeg[],
  query: PointsQuery,
): Promise<PointsPage> {
  const prepared = preparePoints(connection.bucket, legs, query);
  if (prepared === null) return { points: [], nextAfterMs: null };
  const { spans, flux } = prepared;
  const rows = await queryApi(connection).collectRows<Record<string, unknown>>(flux);
  const points: HistoryPoint[] = [];
  for (const row of rows.slice(0, query.limit)) {
    const { seq: _, temp, ...reading } = readingFromRow(row);
    const leg = legAt(spans, reading.tsMs);
    if (leg)
      points.push({
        ...reading,
        legId: leg.legId,
        deviceId: leg.deviceId,
        holder: leg.holder,
        temp: temp ?? {},
      });
  }
  const last = points.at(-1);
  return { points, nextAfterMs: rows.length > query.limit && last ? last.tsMs : null };
}

/**
 * Count, minimum, mean and maximum of each sensor per window over `[fromMs, toMs)`, every window present
 * (count 0 where nothing was measured). InfluxDB aggregates each leg on the plan's fixed UTC grid
 * (`aggregateWindow`, pushed down to its storage engine); the cells then add up into the windows here:
 * a window across a handover sums both legs' cells, so its mean is weighted by count.
 */
export async function readLegWindows(
  connection: InfluxConnection,
  legs: readonly HistoryLeg[],
  query: WindowsQuery,
  cache?: WindowCellCache,
): Promise<HistoryWindow[]> {
  const prepared = prepareWindows(connection.bucket, legs, query);
  if (prepared.flux === null) return sumCells(prepared.plan, prepared.fields, []);
  const cells = cache
    ? await cachedCells(connection, prepared, cache)
    : await collectCells(connection, prepared.flux);
  return sumCells(prepared.plan, prepared.fields, cells);
}

/** A leg's part inside one UTC day: the unit of the cell cache. */
interface Chunk {
  span: LegSpan;
  key: string;
}

/** The spans cut at UTC midnights. */
function chunksOf(prepared: PreparedWindows): Chunk[] {
  const fieldsKey = prepared.fields?.join(',') ?? '*';
  const grid = `${prepared.plan.baseMs}+${prepared.plan.baseOffsetMs}`;
  return prepared.spans.flatMap((span) =>
    utcDayChunks(span.startMs, span.stopMs as number).map(({ startMs, stopMs }) => ({
      span: { leg: span.leg, startMs, stopMs },
      key: `${span.leg.deviceId}|${fieldsKey}|${grid}|${startMs}|${stopMs}`,
    })),
  );
}

/**
 * The cells of every chunk: from the cache where the chunk's stored counts are what they were when
 * it was computed, from InfluxDB (one query for all the others) where not. See `WindowCellCache`.
 */
async function cachedCells(
  connection: InfluxConnection,
  prepared: PreparedWindows,
  cache: WindowCellCache,
): Promise<CachedCell[]> {
  const chunks = chunksOf(prepared);
  const predicate = fieldFilter(prepared.fields, 'windows');
  const fingerprints = await dailyCountFingerprints(
    connection,
    prepared.spans.map((span) => source(connection.bucket, span, predicate)),
  );
  const fingerprint = (chunk: Chunk) => fingerprints.get(chunk.span.startMs) ?? '';
  const cells: CachedCell[] = [];
  const missing: Chunk[] = [];
  for (const chunk of chunks) {
    const hit = cache.get(chunk.key, fingerprint(chunk));
    if (hit) for (const c of hit) cells.push(c);
    else missing.push(chunk);
  }
  if (missing.length === 0) return cells;
  const fresh = await collectCells(
    connection,
    windowsFlux(
      connection.bucket,
      prepared.plan,
      missing.map((c) => c.span),
      predicate,
    ),
  );
  // Chunks never overlap in time (legs do not), so a cell's time says which chunk it belongs to.
  const byChunk = new Map<Chunk, CachedCell[]>(missing.map((c) => [c, []]));
  let k = 0;
  for (const cell of [...fresh].sort((x, y) => x.tsMs - y.tsMs)) {
    while (k < missing.length - 1 && cell.tsMs >= ((missing[k] as Chunk).span.stopMs as number)) k++;
    (byChunk.get(missing[k] as Chunk) as CachedCell[]).push(cell);
  }
  for (const [chunk, list] of byChunk) {
    cache.set(chunk.key, fingerprint(chunk), list);
    for (const c of list) cells.push(c);
  }
  return cells;
}

/**
 * The Flux text of `readLegWindows`' query, for sending the same query to InfluxDB directly (the API
 * benchmark compares the two); null when no leg overlaps the range, and nothing is asked.
 */
export function windowedHistoryFlux(
  bucket: string,
  legs: readonly HistoryLeg[],
  query: WindowsQuery,
): string | null {
  return prepareWindows(bucket, legs, query).flux;
}

/** The Flux text of one `readLegPoints` page, for the same comparison. */
export function legPointsHistoryFlux(
  bucket: string,
  legs: readonly HistoryLeg[],
  query: PointsQuery,
): string | null {
  return preparePoints(bucket, legs, query)?.flux ?? null;
}

/** The legs' spans a page covers and its query; null when the page is empty before asking. */
function preparePoints(
  bucket: string,
  legs: readonly HistoryLeg[],
  query: PointsQuery,
): { spans: LegSpan[]; flux: string } | null {
  if (!Number.isSafeInteger(query.limit) || query.limit < 1)
    throw new RangeError(`limit must be a positive integer, not ${query.limit}`);
  const fromMs = query.afterMs === undefined ? query.fromMs : Math.max(query.fromMs, query.afterMs + 1);
  const spans = fromMs < query.toMs ? legSpans(legs, fromMs, query.toMs) : [];
  if (spans.length === 0) return null;
  const fields = fieldFilter(sensorFields(query.sensors), 'points');
  return { spans, flux: legPointsFlux(bucket, spans, fields, query.limit + 1) };
}

/** Each leg's positions over its whole window (an open leg up to the present). */
export async function readLegTrack(
  connection: InfluxConnection,
  legs: readonly HistoryLeg[],
): Promise<LegTrack[]> {
  const spans = legSpans(legs, Number.MIN_SAFE_INTEGER, null);
  const tracks = spans.map(
    ({ leg }): LegTrack => ({
      legId: leg.legId,
      deviceId: leg.deviceId,
      holder: leg.holder,
      fromMs: leg.fromMs,
      toMs: leg.toMs,
      positions: [],
    }),
  );
  if (spans.length === 0) return tracks;
  // Latitudes and longitudes are paired here by time rather than pivoted in Flux, which costs
  // InfluxDB a second for a month of one-minute positions.
  const flux = `${union(spans.map((span) => source(connection.bucket, span, '(r._field == "lat" or r._field == "lon")')))}
  |> keep(columns: ["_time", "_field", "_value"])`;
  const lats = new Map<number, number>();
  const lons: Array<[tsMs: number, lon: number]> = [];
  await queryApi(connection).collectRows(flux, (values, meta) => {
    const tsMs = Date.parse(meta.get(values, '_time') as string);
    const value = meta.get(values, '_value') as number;
    if (meta.get(values, '_field') === 'lat') lats.set(tsMs, value);
    else lons.push([tsMs, value]);
    return undefined;
  });
  lons.sort((a, b) => a[0] - b[0]);
  const byLeg = new Map(tracks.map((t) => [t.legId, t]));
  for (const [tsMs, lon] of lons) {
    const lat = lats.get(tsMs);
    const leg = lat === undefined ? undefined : legAt(spans, tsMs);
    if (leg && lat !== undefined) byLeg.get(leg.legId)?.positions.push([lon, lat, tsMs]);
  }
  return tracks;
}

/**
 * The newest value of each temperature sensor, humidity, battery and position of each device since
 * `sinceMs`, in one query (`last()` per series, pushed down to the storage engine). Devices with nothing
 * stored since then are absent.
 */
export async function readLatestReadings(
  connection: InfluxConnection,
  deviceIds: readonly string[],
  sinceMs: number,
): Promise<Map<string, LatestReading>> {
  const out = new Map<string, LatestReading>();
  if (deviceIds.length === 0) return out;
  for (const id of deviceIds) assertDeviceId(id);
  const devices = [...new Set(deviceIds)].map((id) => `r.device == "${id}"`).join(' or ');
  const rows = await queryApi(connection).collectRows<{
    _time: string;
    _field: string;
    _value: number;
    device: string;
  }>(`
    from(bucket: "${connection.bucket}")
      |> range(start: ${iso(sinceMs)}, stop: ${FUTURE_STOP})
      |> filter(fn: (r) => r._measurement == "${TELEMETRY_MEASUREMENT}" and (${devices}) and (r._field =~ /^temp_/ or r._field == "rh" or r._field == "battery" or r._field == "lat" or r._field == "lon"))
      |> last()
      |> keep(columns: ["_time", "_field", "_value", "device"])`);
  for (const row of rows) {
    const tsMs = Date.parse(row._time);
    let latest = out.get(row.device);
    if (!latest) {
      latest = { tsMs, temp: {} };
      out.set(row.device, latest);
    }
    latest.tsMs = Math.max(latest.tsMs, tsMs);
    if (row._field.startsWith('temp_')) latest.temp[row._field.slice(5)] = row._value;
    else if (row._field === 'rh' || row._field === 'battery' || row._field === 'lat' || row._field === 'lon')
      latest[row._field] = row._value;
  }
  return out;
}

/**
 * A device's stored readings in `[fromMs, toMs)`, oldest first, as `readDeviceHistory` gives them,
 * with every UTC day that InfluxDB still holds unchanged (same counts per field) taken from `cache`:
 * a 30-day report or excursion list reads only the days that changed since it was last asked for.
 * `version` names what was read (each day and its counts): two answers with the same version hold
 * the same readings.
 */
export async function readDeviceHistoryCached(
  connection: InfluxConnection,
  deviceId: string,
  fromMs: number,
  toMs: number,
  cache: ChunkCache<Reading>,
): Promise<{ readings: Reading[]; version: string }> {
  assertDeviceId(deviceId);
  if (toMs <= fromMs) return { readings: [], version: '' };
  const chunks = utcDayChunks(fromMs, toMs).map((c) => ({
    ...c,
    key: `${deviceId}|${c.startMs}|${c.stopMs}`,
  }));
  const span = (startMs: number, stopMs: number): LegSpan => ({
    leg: { legId: 0, deviceId, holder: '', fromMs: startMs, toMs: stopMs },
    startMs,
    stopMs,
  });
  const fingerprints = await dailyCountFingerprints(connection, [
    source(connection.bucket, span(fromMs, toMs), 'true'),
  ]);
  const out: Reading[][] = [];
  let run: typeof chunks = [];
  // Days that changed are read in runs of consecutive days: one query per run.
  const readRun = async () => {
    if (run.length === 0) return;
    const first = run[0] as (typeof chunks)[number];
    const last = run[run.length - 1] as (typeof chunks)[number];
    const readings = (await pivotedPoints(connection, deviceId, first.startMs, last.stopMs)).map(
      readingFromRow,
    );
    let i = 0;
    for (const chunk of run) {
      const items: Reading[] = [];
      while (i < readings.length && (readings[i] as Reading).tsMs < chunk.stopMs)
        items.push(readings[i++] as Reading);
      cache.set(chunk.key, fingerprints.get(chunk.startMs) ?? '', items);
      out.push(items);
    }
    run = [];
  };
  for (const chunk of chunks) {
    const hit = cache.get(chunk.key, fingerprints.get(chunk.startMs) ?? '');
    if (hit) {
      await readRun();
      out.push(hit as Reading[]);
    } else run.push(chunk);
  }
  await readRun();
  // What the answer was read from: equal versions mean equal readings (see `ChunkCache`).
  const version = chunks.map((c) => `${c.key}=${fingerprints.get(c.startMs) ?? ''}`).join(';');
  return { readings: out.flat(), version };
}

/**
 * The number of stored values per field in each UTC day of each source (a `range |> filter`
 * pipeline), by the day's start, or the source's start in its first day: a chunk's fingerprint for
 * the chunk caches (see `ChunkCache`).
 */
export async function dailyCountFingerprints(
  connection: InfluxConnection,
  sources: readonly string[],
): Promise<Map<number, string>> {
  const counts = new Map<number, string[]>();
  if (sources.length === 0) return new Map();
  const flux = union(
    sources.map(
      (src) => `${src}
    |> aggregateWindow(every: 1d, fn: count, createEmpty: false, timeSrc: "_start")
    |> keep(columns: ["_time", "_field", "_value"])`,
    ),
  );
  for (const cell of await collectCells(connection, flux)) {
    const list = counts.get(cell.tsMs) ?? [];
    list.push(`${cell.field}:${cell.value}`);
    counts.set(cell.tsMs, list);
  }
  return new Map([...counts].map(([tsMs, list]) => [tsMs, list.sort().join(',')]));
}

// --- Query text ---------------------------------------------------------------------------------

/**
 * Readings may be dated up to the schema's clock skew ahead of the ingest (MAX_FUTURE_SKEW_MS): an open
 * leg or a "latest" query reaches that far past the present, as a Flux duration relative to `now()`.
 */
const FUTURE_STOP = `${MAX_FUTURE_SKEW_MS + 60_000}ms`;

const iso = (ms: number) => new Date(ms).toISOString();

/** Device ids and sensor names are restricted by the schema to characters that are safe inside Flux strings. */
function source(bucket: string, span: LegSpan, fieldPredicate: string): string {
  const stop = span.stopMs === null ? FUTURE_STOP : iso(span.stopMs);
  return `from(bucket: "${bucket}")
    |> range(start: ${iso(span.startMs)}, stop: ${stop})
    |> filter(fn: (r) => r._measurement == "${TELEMETRY_MEASUREMENT}" and r.device == "${span.leg.deviceId}" and ${fieldPredicate})`;
}

const union = (streams: string[]) =>
  streams.length === 1 ? (streams[0] as string) : `union(tables: [\n${streams.join(',\n')}\n])`;

function legPointsFlux(bucket: string, spans: LegSpan[], fieldPredicate: string, limit: number): string {
  return `${union(spans.map((span) => `${source(bucket, span, fieldPredicate)}\n    |> limit(n: ${limit})`))}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> drop(columns: ["_start", "_stop", "_measurement", "device"])
  |> sort(columns: ["_time"])
  |> limit(n: ${limit})`;
}

const AGGREGATES = ['count', 'sum', 'min', 'max'] as const;
type Aggregate = (typeof AGGREGATES)[number];

/**
 * One result per aggregate, each the union of every leg's `aggregateWindow`: directly on `range` and
 * `filter`, so that InfluxDB computes it in its storage engine, one grid cell at a time. `timeSrc: "_start"`
 * stamps a cell with its start, or with the leg's start where the leg begins inside it.
 */
function windowsFlux(bucket: string, plan: WindowPlan, spans: LegSpan[], fieldPredicate: string): string {
  return AGGREGATES.map(
    (fn) => `${union(
      spans.map(
        (span) => `${source(bucket, span, fieldPredicate)}
    |> aggregateWindow(every: ${plan.baseMs}ms, offset: ${plan.baseOffsetMs}ms, fn: ${fn}, createEmpty: false, timeSrc: "_start")
    |> keep(columns: ["_time", "_field", "_value"])`,
      ),
    )}
  |> yield(name: "${fn}")`,
  ).join('\n');
}

// --- Windows ------------------------------------------------------------------------------------

interface PreparedWindows {
  plan: WindowPlan;
  spans: LegSpan[];
  /** The fields asked for, or null for every temperature sensor and humidity. */
  fields: string[] | null;
  flux: string | null;
}

function prepareWindows(bucket: string, legs: readonly HistoryLeg[], query: WindowsQuery): PreparedWindows {
  const every = typeof query.every === 'string' ? parseEvery(query.every) : query.every;
  const plan = planWindows(query.fromMs, query.toMs, every, query.timeZone);
  const fields = sensorFields(query.sensors);
  const spans = legSpans(legs, query.fromMs, query.toMs);
  const flux = spans.length === 0 ? null : windowsFlux(bucket, plan, spans, fieldFilter(fields, 'windows'));
  return { plan, spans, fields, flux };
}

interface Cell {
  fn: Aggregate;
  field: string;
  tsMs: number;
  value: number;
}

async function collectCells(connection: InfluxConnection, flux: string): Promise<Cell[]> {
  // Rows are read by column index: tens of thousands of cells are parsed per request.
  let meta: FluxTableMetaData | undefined;
  let fn: Aggregate = 'count';
  // Each cell start comes once per field and aggregate: parsed once.
  const times = new Map<string, number>();
  const parseTime = (text: string) => {
    let ms = times.get(text);
    if (ms === undefined) {
      ms = Date.parse(text);
      times.set(text, ms);
    }
    return ms;
  };
  let at = { time: 0, field: 0, value: 0 };
  return queryApi(connection).collectRows<Cell>(flux, (values, tableMeta) => {
    if (tableMeta !== meta) {
      meta = tableMeta;
      // The result name is the same on every row of a table, and InfluxDB writes it as the column default.
      const result = tableMeta.column('result');
      fn = ((values[result.index] || result.defaultValue) as Aggregate) ?? fn;
      at = {
        time: tableMeta.column('_time').index,
        field: tableMeta.column('_field').index,
        value: tableMeta.column('_value').index,
      };
    }
    return {
      fn,
      field: values[at.field] as string,
      tsMs: parseTime(values[at.time] as string),
      value: Number(values[at.value]),
    };
  });
}

interface Sums {
  count: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

function sumCells(plan: WindowPlan, fields: string[] | null, cells: readonly Cell[]): HistoryWindow[] {
  const n = plan.windows.length;
  const byField = new Map<string, Sums>();
  const sumsOf = (field: string) => {
    let sums = byField.get(field);
    if (!sums) {
      sums = {
        count: new Float64Array(n),
        sum: new Float64Array(n),
        min: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
        max: new Float64Array(n).fill(Number.NEGATIVE_INFINITY),
      };
      byField.set(field, sums);
    }
    return sums;
  };
  for (const field of fields ?? []) sumsOf(field);
  let i = 0;
  for (const cell of cells) {
    i = windowIndex(plan, cell.tsMs, i);
    const sums = sumsOf(cell.field);
    if (cell.fn === 'count') sums.count[i] = (sums.count[i] as number) + cell.value;
    else if (cell.fn === 'sum') sums.sum[i] = (sums.sum[i] as number) + cell.value;
    else if (cell.fn === 'min') sums.min[i] = Math.min(sums.min[i] as number, cell.value);
    else if (cell.fn === 'max') sums.max[i] = Math.max(sums.max[i] as number, cell.value);
  }
  const ordered = fields ?? [...byField.keys()].sort(fieldOrder);
  return plan.windows.map((w, k) => {
    const sensors: Record<string, SensorStats> = {};
    let count = 0;
    for (const field of ordered) {
      const sums = byField.get(field) as Sums;
      const c = sums.count[k] as number;
      count = Math.max(count, c);
      sensors[sensorOfField(field)] =
        c === 0
          ? { count: 0, min: null, mean: null, max: null }
          : {
              count: c,
              min: sums.min[k] as number,
              mean: (sums.sum[k] as number) / c,
              max: sums.max[k] as number,
            };
    }
    return { windowStart: w.startMs, windowEnd: w.endMs, count, sensors };
  });
}

/** The window holding `tsMs`; cells come in time order per leg, so the previous answer is tried first. */
function windowIndex(plan: WindowPlan, tsMs: number, hint: number): number {
  const { windows } = plan;
  const w = windows[hint];
  if (w && w.startMs <= tsMs && tsMs < w.endMs) return hint;
  let lo = 0;
  let hi = windows.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((windows[mid] as { startMs: number }).startMs <= tsMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Temperature sensors by name, then humidity. */
const fieldOrder = (a: string, b: string) => (a === 'rh' ? 1 : b === 'rh' ? -1 : a < b ? -1 : a > b ? 1 : 0);

// --- Legs, sensors and fields -------------------------------------------------------------------

function assertDeviceId(id: string) {
  if (!isValidDeviceId(id)) throw new Error(`not a device id: ${JSON.stringify(id)}`);
}

/** The legs' parts within `[fromMs, toMs)` (`toMs` null: unbounded), oldest first. */
function legSpans(legs: readonly HistoryLeg[], fromMs: number, toMs: number | null): LegSpan[] {
  const sorted = [...legs].sort((a, b) => a.fromMs - b.fromMs);
  const spans: LegSpan[] = [];
  for (const [i, leg] of sorted.entries()) {
    assertDeviceId(leg.deviceId);
    const next = sorted[i + 1];
    if (next && (leg.toMs === null || leg.toMs > next.fromMs))
      throw new Error(`custody legs ${leg.legId} and ${next.legId} overlap`);
    const startMs = Math.max(leg.fromMs, fromMs);
    const stopMs = leg.toMs === null ? toMs : toMs === null ? leg.toMs : Math.min(leg.toMs, toMs);
    if (stopMs === null || startMs < stopMs) spans.push({ leg, startMs, stopMs });
  }
  return spans;
}

function legAt(spans: readonly LegSpan[], tsMs: number): HistoryLeg | undefined {
  return spans.find((s) => s.startMs <= tsMs && (s.stopMs === null || tsMs < s.stopMs))?.leg;
}

/** `rh` is humidity; any other name is a temperature sensor, stored as `temp_<name>`. */
function sensorFields(sensors: readonly string[] | undefined): string[] | null {
  if (sensors === undefined) return null;
  if (sensors.length === 0)
    throw new HistoryQueryError('invalid_sensor', 'name at least one sensor, or none for all');
  const fields = new Set<string>();
  for (const name of sensors) {
    if (!SENSOR_NAME_PATTERN.test(name))
      throw new HistoryQueryError('invalid_sensor', `${JSON.stringify(name)} is not a sensor name`);
    fields.add(name === 'rh' ? 'rh' : `temp_${name}`);
  }
  return [...fields];
}

const sensorOfField = (field: string) => (field.startsWith('temp_') ? field.slice(5) : field);

/**
 * The Flux predicate on `_field`: the fields asked for, else for windows every temperature sensor and
 * humidity (what can be averaged), for points every field but the device's counter.
 */
function fieldFilter(fields: string[] | null, use: 'windows' | 'points'): string {
  if (fields !== null) return `(${fields.map((f) => `r._field == "${f}"`).join(' or ')})`;
  return use === 'windows' ? '(r._field =~ /^temp_/ or r._field == "rh")' : 'r._field != "seq"';
}
