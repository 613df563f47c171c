import { MAX_BATCH_READINGS, MAX_PAYLOAD_BYTES, parseTelemetry } from '@coldchain/schema';
import { describe, expect, it } from 'vitest';
import { toTelemetryPayloads, type WireReading } from './telemetry-payload.js';

const START_MS = Date.parse('2026-06-01T00:00:00.000Z');
const readings = (n: number): WireReading[] =>
  Array.from({ length: n }, (_, i) => ({
    ts: new Date(START_MS + i * 1000).toISOString(),
    seq: i + 1,
    temp: { air: 3.4, product: 2.9 },
    rh: 91.5,
    door: false,
    lat: 38.914,
    lon: 121.614,
    battery: 87,
  }));

describe('toTelemetryPayloads', () => {
  it('sends nothing for no readings and the single form for one', () => {
    expect(toTelemetryPayloads([])).toEqual([]);
    const [only] = toTelemetryPayloads(readings(1));
    expect(JSON.parse(only?.payload ?? '')).toEqual({ v: 1, ...readings(1)[0] });
  });

  it('splits a long backlog into batches of at most MAX_BATCH_READINGS, in order', () => {
    const payloads = toTelemetryPayloads(readings(2500));
    expect(payloads.map((p) => p.readingCount)).toEqual([MAX_BATCH_READINGS, MAX_BATCH_READINGS, 500]);
    const nowMs = START_MS + 2500 * 1000;
    const seqs = payloads.flatMap((p) => {
      const result = parseTelemetry(p.payload, { nowMs });
      return result.ok ? result.value.readings.map((r) => r.seq) : [];
    });
    expect(seqs).toEqual(readings(2500).map((r) => r.seq));
    for (const p of payloads) expect(Buffer.byteLength(p.payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
  });

  it('halves a batch that would exceed the byte limit', () => {
    const payloads = toTelemetryPayloads(readings(100), { maxReadings: 100, maxBytes: 4_000 });
    expect(payloads.length).toBeGreaterThan(1);
    expect(payloads.reduce((sum, p) => sum + p.readingCount, 0)).toBe(100);
    for (const p of payloads) expect(Buffer.byteLength(p.payload)).toBeLessThanOrEqual(4_000);
  });
});
