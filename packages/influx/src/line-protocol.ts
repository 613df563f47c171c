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

export function readingToLine(deviceId: string, r: Reading): string {
  const fields: string[] = [];
  if (r.temp) for (const [sensor, c] of Object.entries(r.temp)) fields.push(`temp_${sensor}=${float(c)}`);
  if (r.rh !== undefined) fields.push(`rh=${float(r.rh)}`);
  if (r.door !== undefined) fields.push(`door=${r.door}`);
  if (r.lat !== undefined) fields.push(`lat=${float(r.lat)}`);
  if (r.lon !== undefined) fields.push(`lon=${float(r.lon)}`);
  if (r.battery !== undefined) fields.push(`battery=${float(r.battery)}`);
  if (r.seq !== undefined) fields.push(`seq=${r.seq}i`);
  return `${TELEMETRY_MEASUREMENT},device=${deviceId} ${fields.join(',')} ${r.tsMs}`;
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
