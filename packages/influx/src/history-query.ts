import type { Reading } from '@coldchain/schema';
import { InfluxDB, type QueryApi } from '@influxdata/influxdb-client';
import { readingFields, TELEMETRY_MEASUREMENT } from './line-protocol.js';
import type { InfluxConnection } from './local-server.js';

export const queryApi = (connection: InfluxConnection): QueryApi =>
  new InfluxDB({ url: connection.url, token: connection.token, timeout: 60_000 }).getQueryApi(connection.org);

/**
 * A device's telemetry points from `fromMs` up to (not including) `stopMs`, one row per point
 * (fields pivoted into columns). Device ids are restricted by the schema to `[A-Za-z0-9_-]`, so
 * they are safe inside the Flux string literal.
 */
export function pivotedPoints(
  connection: InfluxConnection,
  deviceId: string,
  fromMs: number,
  stopMs: number,
): Promise<Array<Record<string, unknown>>> {
  return queryApi(connection).collectRows<Record<string, unknown>>(`
    from(bucket: "${connection.bucket}")
      |> range(start: ${new Date(fromMs).toISOString()}, stop: ${new Date(stopMs).toISOString()})
      |> filter(fn: (r) => r._measurement == "${TELEMETRY_MEASUREMENT}" and r.device == "${deviceId}")
      |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
      |> sort(columns: ["_time"])`);
}

/** A stored point as the wire schema's `Reading` (fields as `readingToLine` wrote them). */
export function readingFromRow(row: Record<string, unknown>): Reading {
  const temp: Record<string, number> = {};
  for (const [k, v] of Object.entries(row))
    if (k.startsWith('temp_') && typeof v === 'number') temp[k.slice(5)] = v;
  const reading: Reading = { tsMs: Date.parse(String(row._time)) };
  if (Object.keys(temp).length > 0) reading.temp = temp;
  if (typeof row.rh === 'number') reading.rh = row.rh;
  if (typeof row.door === 'boolean') reading.door = row.door;
  if (typeof row.lat === 'number') reading.lat = row.lat;
  if (typeof row.lon === 'number') reading.lon = row.lon;
  if (typeof row.battery === 'number') reading.battery = row.battery;
  if (typeof row.seq === 'number') reading.seq = row.seq;
  return reading;
}

/**
 * A device's stored readings between two event times, oldest first, as the wire schema's
 * `Reading` (so the same mapping serves live and stored data).
 */
export async function readDeviceHistory(
  connection: InfluxConnection,
  deviceId: string,
  fromMs: number,
  toMs: number,
): Promise<Reading[]> {
  return (await pivotedPoints(connection, deviceId, fromMs, toMs)).map(readingFromRow);
}

/**
 * The canonical field set (`readingFields`) of each stored telemetry point of a device between two
 * event times, both inclusive, by timestamp: what the reading ledger compares a late reading with
 * when its own index no longer (or never) covered that time.
 */
export async function readStoredFieldSets(
  connection: InfluxConnection,
  deviceId: string,
  fromMs: number,
  toMs: number,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const row of await pivotedPoints(connection, deviceId, fromMs, toMs + 1)) {
    const reading = readingFromRow(row);
    out.set(reading.tsMs, readingFields(reading));
  }
  return out;
}

/** The event time of a device's newest stored telemetry point since `sinceMs`, or `null` if it has none. */
export async function newestStoredReadingMs(
  connection: InfluxConnection,
  deviceId: string,
  sinceMs: number,
): Promise<number | null> {
  const rows = await queryApi(connection).collectRows<{ _time: string }>(`
    from(bucket: "${connection.bucket}")
      |> range(start: ${new Date(sinceMs).toISOString()})
      |> filter(fn: (r) => r._measurement == "${TELEMETRY_MEASUREMENT}" and r.device == "${deviceId}")
      |> keep(columns: ["_time"])
      |> group()
      |> sort(columns: ["_time"], desc: true)
      |> limit(n: 1)`);
  const t = rows[0]?._time;
  return t === undefined ? null : Date.parse(t);
}
