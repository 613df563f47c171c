import type { DeviceEvent, Reading } from '@coldchain/schema';

/**
 * Point mapping (DESIGN.md §3): one point per device per event timestamp, measurement
 * `telemetry`, tag `device` only, fields `temp_<sensor>`, `rh`, `door`, `lat`, `lon`, `battery`,
 * `seq`, timestamp in milliseconds. A redelivered reading produces the identical line, and
 * InfluxDB keeps one point per series and timestamp, so at-least-once delivery never duplicates
 * history. Device ids and sensor names are restricted by the schema to characters that need no
 * escaping in line protocol.
 */
export const TELEMETRY_MEASUREMENT = 'telemetry';
export const EVENTS_MEASUREMENT = 'events';

/** Floats are written without an `i` suffix; InfluxDB then stores them as floats even when whole. */
const float = (n: number) => String(n);

/** Whether names are already in the order `sort()` gives (UTF-16 code units). */
const inOrder = (names: readonly string[]) => {
  for (let i = 1; i < names.length; i++) if ((names[i - 1] as string) > (names[i] as string)) return false;
  return true;
};

/**
 * A reading's field set in canonical form: temperature sensors sorted by name (a device may send
 * `{"product":…,"air":…}` or `{"air":…,"product":…}` for the same point), then `rh`, `door`, `lat`,
 * `lon`, `battery`, `seq`, each number as `String(n)` (the shortest text that reads back as the
 * same double, so `3.40` and `3.4` agree). Two readings for one device and timestamp hold the same
 * values exactly when their field sets are equal: the ingest's reading ledger relies on it.
 */
export function readingFields(r: Reading): string {
  const fields: string[] = [];
  if (r.temp) {
    const sensors = Object.keys(r.temp);
    // Devices nearly always send their sensors in one order; sorting costs only when it is not this.
    if (!inOrder(sensors)) sensors.sort();
    for (const sensor of sensors) fields.push(`temp_${sensor}=${float(r.temp[sensor] as number)}`);
  }
  if (r.rh !== undefined) fields.push(`rh=${float(r.rh)}`);
  if (r.door !== undefined) fields.push(`door=${r.door}`);
  if (r.lat !== undefined) fields.push(`lat=${float(r.lat)}`);
  if (r.lon !== undefined) fields.push(`lon=${float(r.lon)}`);
  if (r.battery !== undefined) fields.push(`battery=${float(r.battery)}`);
  if (r.seq !== undefined) fields.push(`seq=${r.seq}i`);
  return fields.join(',');
}

/** The telemetry line of a reading whose canonical field set is already built. */
export const telemetryLine = (deviceId: string, fields: string, tsMs: number) =>
  `${TELEMETRY_MEASUREMENT},device=${deviceId} ${fields} ${tsMs}`;

export function readingToLine(deviceId: string, r: Reading): string {
  return telemetryLine(deviceId, readingFields(r), r.tsMs);
}

const TELEMETRY_PREFIX = `${TELEMETRY_MEASUREMENT},device=`;

/**
 * Reads back a line written by `readingToLine` (device, field set, timestamp); anything else
 * (an events line, a torn line) is `null`. Telemetry fields hold no strings, so no field value
 * contains a space. The field set is returned canonical even if an older release wrote its
 * temperature sensors in another order.
 */
export function parseTelemetryLine(line: string): { deviceId: string; fields: string; tsMs: number } | null {
  if (!line.startsWith(TELEMETRY_PREFIX)) return null;
  const space = line.indexOf(' ', TELEMETRY_PREFIX.length);
  const lastSpace = line.lastIndexOf(' ');
  if (space < 0 || lastSpace <= space) return null;
  const tsMs = Number(line.slice(lastSpace + 1));
  if (!Number.isSafeInteger(tsMs)) return null;
  const deviceId = line.slice(TELEMETRY_PREFIX.length, space);
  let fields = line.slice(space + 1, lastSpace);
  if (fields.indexOf('temp_') !== fields.lastIndexOf('temp_')) {
    const parts = fields.split(',');
    const key = (p: string) => p.slice(0, p.indexOf('='));
    // By key, as readingFields sorts sensor names: `temp_a=` and `temp_a0=` sort the other way as text.
    const temps = parts.filter((p) => p.startsWith('temp_')).sort((a, b) => (key(a) < key(b) ? -1 : 1));
    fields = [...temps, ...parts.filter((p) => !p.startsWith('temp_'))].join(',');
  }
  return { deviceId, fields, tsMs };
}

/** Line protocol string field: double quotes and backslashes escaped. */
const str = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** Device events: measurement `events`, tags `device` and `type` (both low-cardinality). */
export function eventToLine(deviceId: string, e: DeviceEvent): string {
  let fields: string;
  switch (e.type) {
    case 'door':
      fields = `open=${e.open}`;
      break;
    case 'scan':
      fields = [
        `action=${str(e.action)}`,
        `shipment=${str(e.shipmentId)}`,
        ...(e.by ? [`by=${str(e.by)}`] : []),
      ].join(',');
      break;
    case 'power':
      fields = `state=${str(e.state)}`;
      break;
    case 'alarm':
      fields = [`code=${str(e.code)}`, ...(e.message ? [`message=${str(e.message)}`] : [])].join(',');
      break;
  }
  return `${EVENTS_MEASUREMENT},device=${deviceId},type=${e.type} ${fields} ${e.tsMs}`;
}
