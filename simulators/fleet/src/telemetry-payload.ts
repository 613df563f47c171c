import { MAX_BATCH_READINGS, MAX_PAYLOAD_BYTES, WIRE_VERSION } from '@coldchain/schema';

/** A reading as a device sends it (DESIGN.md §2): `ts` is the device's event time, ISO-8601. */
export interface WireReading {
  ts: string;
  seq: number;
  /** °C per sensor: `air` (return air) and `product` (probe in the load); a parcel logger has `product`. */
  temp: Record<string, number>;
  rh?: number;
  door?: boolean;
  lat?: number;
  lon?: number;
  battery?: number;
}

/** One MQTT publish on the telemetry topic. */
export interface TelemetryPayload {
  payload: string;
  readingCount: number;
}

export interface PayloadLimits {
  maxReadings: number;
  maxBytes: number;
}

const WIRE_LIMITS: PayloadLimits = { maxReadings: MAX_BATCH_READINGS, maxBytes: MAX_PAYLOAD_BYTES };

/**
 * Packs readings into telemetry messages within the wire limits: one reading goes in the single form
 * `{"v":1,"ts":...}`, more go in batches `{"v":1,"readings":[...]}` of at most MAX_BATCH_READINGS and
 * MAX_PAYLOAD_BYTES each (a batch over the byte limit is halved until it fits). Order is kept.
 */
export function toTelemetryPayloads(
  readings: readonly WireReading[],
  limits: PayloadLimits = WIRE_LIMITS,
): TelemetryPayload[] {
  if (readings.length === 0) return [];
  if (readings.length === 1) return [single(readings[0] as WireReading, limits)];
  const out: TelemetryPayload[] = [];
  for (let i = 0; i < readings.length; i += limits.maxReadings) {
    out.push(...fitBatch(readings.slice(i, i + limits.maxReadings), limits));
  }
  return out;
}

function single(reading: WireReading, limits: PayloadLimits): TelemetryPayload {
  const payload = JSON.stringify({ v: WIRE_VERSION, ...reading });
  if (byteLength(payload) > limits.maxBytes) {
    throw new RangeError(`one reading takes ${byteLength(payload)} bytes, over the ${limits.maxBytes} limit`);
  }
  return { payload, readingCount: 1 };
}

function fitBatch(readings: readonly WireReading[], limits: PayloadLimits): TelemetryPayload[] {
  if (readings.length === 1) return [single(readings[0] as WireReading, limits)];
  const payload = JSON.stringify({ v: WIRE_VERSION, readings });
  if (byteLength(payload) <= limits.maxBytes) return [{ payload, readingCount: readings.length }];
  const half = Math.ceil(readings.length / 2);
  return [...fitBatch(readings.slice(0, half), limits), ...fitBatch(readings.slice(half), limits)];
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
