import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { describe, expect, inject, it } from 'vitest';
import '../setup/context.js';

describe('the local InfluxDB', () => {
  const influx = inject('influx');
  const client = new InfluxDB({ url: influx.url, token: influx.token });

  it('is a real InfluxDB 2.x server that reports its version', async () => {
    const res = await fetch(`${influx.url}/health`);
    const body = (await res.json()) as { status: string; version: string };
    console.log(`[e2e] InfluxDB /health: ${body.status}, version ${body.version}`);
    expect(body.status).toBe('pass');
    expect(body.version).toMatch(/^v?2\./);
  });

  it('returns telemetry points written through the WriteApi from a Flux query, values and timestamps intact', async () => {
    const device = `roundtrip-${Date.now()}`;
    const start = Date.parse('2026-06-01T08:00:00.000Z');
    const readings = Array.from({ length: 10 }, (_, i) => ({
      tsMs: start + i * 60_000 + 123, // millisecond precision survives
      air: 3 + i / 10,
      product: 2.5 + i / 20,
      door: i % 4 === 0,
      seq: 1841 + i,
    }));
    const writer = client.getWriteApi(influx.org, influx.bucket, 'ms');
    for (const r of readings) {
      writer.writePoint(
        new Point('telemetry')
          .tag('device', device)
          .floatField('temp_air', r.air)
          .floatField('temp_product', r.product)
          .booleanField('door', r.door)
          .intField('seq', r.seq)
          .timestamp(r.tsMs),
      );
    }
    await writer.close(); // flushes

    const rows = await client.getQueryApi(influx.org).collectRows<Record<string, unknown>>(`
      from(bucket: "${influx.bucket}")
        |> range(start: 2026-06-01T00:00:00Z, stop: 2026-06-02T00:00:00Z)
        |> filter(fn: (r) => r._measurement == "telemetry" and r.device == "${device}")
        |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
        |> sort(columns: ["_time"])`);

    expect(rows.map((r) => Date.parse(String(r._time)))).toEqual(readings.map((r) => r.tsMs));
    expect(rows.map((r) => r.temp_air)).toEqual(readings.map((r) => r.air));
    expect(rows.map((r) => r.temp_product)).toEqual(readings.map((r) => r.product));
    expect(rows.map((r) => r.door)).toEqual(readings.map((r) => r.door));
    expect(rows.map((r) => Number(r.seq))).toEqual(readings.map((r) => r.seq));
  });

  it('keeps one point when the same reading is written twice', async () => {
    const device = `dup-${Date.now()}`;
    const ts = Date.parse('2026-06-02T10:00:00.000Z');
    for (let i = 0; i < 2; i++) {
      const writer = client.getWriteApi(influx.org, influx.bucket, 'ms');
      writer.writePoint(
        new Point('telemetry').tag('device', device).floatField('temp_air', 4.2).timestamp(ts),
      );
      await writer.close();
    }
    const rows = await client.getQueryApi(influx.org).collectRows(`
      from(bucket: "${influx.bucket}")
        |> range(start: 2026-06-02T00:00:00Z, stop: 2026-06-03T00:00:00Z)
        |> filter(fn: (r) => r.device == "${device}")`);
    expect(rows).toHaveLength(1);
  });
});
