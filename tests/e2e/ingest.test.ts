import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalInflux } from '@coldchain/influx';
import { createSqliteStore } from '@coldchain/store';
import { afterEach, describe, expect, inject, it } from 'vitest';
import '../setup/context.js';
import {
  connectDevice,
  ingestMetric,
  makeReadings,
  type Pipeline,
  type SimDevice,
  seeded,
  startPipeline,
  storedReadings,
  toMessages,
  type WireReading,
  waitForStored,
} from '../support/pipeline.js';

const HOUR = 3_600_000;
let pipeline: Pipeline | undefined;
const devices: SimDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.close().catch(() => {})));
  await pipeline?.stop();
  pipeline = undefined;
});

/** A fleet of `n` devices with ids `prefix-0..n-1`, each with `count` readings a minute apart, ending now. */
function fleet(prefix: string, n: number, count: number, seed: number) {
  const rng = seeded(seed);
  const startMs = Date.now() - count * 60_000 - HOUR;
  const expected = new Map<string, WireReading[]>();
  const messages = new Map<string, string[]>();
  for (let d = 0; d < n; d++) {
    const readings = makeReadings(count, startMs, 60_000, rng);
    expected.set(`${prefix}-${d}`, readings);
    messages.set(`${prefix}-${d}`, toMessages(readings, rng));
  }
  return { expected, messages, startMs, stopMs: Date.now() + HOUR, ids: [...expected.keys()] };
}

async function connectAll(p: Pipeline, ids: string[]) {
  const out = await Promise.all(ids.map((id) => connectDevice(p.broker.url, p.creds[id] as never)));
  devices.push(...out);
  return out;
}

describe('the ingest', () => {
  const influx = inject('influx');

  it('stores every reading of 50 devices × 2,000, single and batched, with the right values and times', async () => {
    const prefix = `full${Date.now() % 100000}`;
    const f = fleet(prefix, 50, 2000, 1);
    pipeline = await startPipeline({ influx, devices: f.ids });
    const sims = await connectAll(pipeline, f.ids);
    await Promise.all(sims.map((s) => s.sendAll(f.messages.get(s.id) ?? [])));
    const result = await waitForStored(influx, f.expected, prefix, f.startMs, f.stopMs);
    expect(result).toEqual({ missing: 0, wrong: 0, extra: 0, total: 100_000 });
  });

  it.each([
    ['in envelopes, as our broker offers', {}, 'envelopes'],
    [
      'one MQTT message each, when the broker offers no envelopes',
      { BROKER_INGEST_BATCHES: 'false' },
      'messages',
    ],
  ] as const)('takes device messages %s, every reading stored once', async (_how, brokerEnv, delivery) => {
    const prefix = `env${delivery}${Date.now() % 100000}`;
    const f = fleet(prefix, 5, 400, 9);
    pipeline = await startPipeline({ influx, devices: f.ids, brokerEnv });
    const subscribed = await pipeline.ingest.waitForLog((l) => l.msg === 'subscribed');
    expect(subscribed.delivery).toBe(delivery);
    const sims = await connectAll(pipeline, f.ids);
    await Promise.all(sims.map((s) => s.sendAll(f.messages.get(s.id) ?? [])));
    const result = await waitForStored(influx, f.expected, prefix, f.startMs, f.stopMs);
    expect(result).toEqual({ missing: 0, wrong: 0, extra: 0, total: 2_000 });
    const envelopes = await ingestMetric(pipeline.ingest, 'coldchain_ingest_envelopes_total');
    if (delivery === 'envelopes') expect(envelopes).toBeGreaterThan(0);
    else expect(envelopes).toBe(0);
  });

  /**
   * 10 devices × 1,000 readings, paced over ~7 s; 1.5 s in, `crash` kills a process with SIGKILL and
   * `recover` starts it again. Every reading must be stored once, with its values.
   */
  async function survivesCrash(
    name: string,
    seed: number,
    crash: (p: Pipeline) => Promise<void>,
    recover: (p: Pipeline) => Promise<unknown>,
  ) {
    const prefix = `${name}${Date.now() % 100000}`;
    const f = fleet(prefix, 10, 1000, seed);
    pipeline = await startPipeline({ influx, devices: f.ids });
    const sims = await connectAll(pipeline, f.ids);
    const sending = Promise.all(sims.map((s) => s.sendAll(f.messages.get(s.id) ?? [], 1, 100)));
    await new Promise((r) => setTimeout(r, 1500));
    const stored = await storedReadings(influx, prefix, f.startMs, f.stopMs);
    const before = [...stored.values()].reduce((a, m) => a + m.size, 0);
    await crash(pipeline);
    await new Promise((r) => setTimeout(r, 1000));
    await recover(pipeline);
    await sending;
    const result = await waitForStored(influx, f.expected, prefix, f.startMs, f.stopMs);
    expect(before).toBeGreaterThan(0); // the kill really hit mid-stream…
    expect(before).toBeLessThan(10_000); // …not after it
    expect(result).toEqual({ missing: 0, wrong: 0, extra: 0, total: 10_000 });
  }

  it('loses and duplicates nothing when the ingest is killed with SIGKILL mid-stream', () =>
    survivesCrash(
      'kill',
      2,
      (p) => p.ingest.kill(),
      (p) => p.startIngest(),
    ));

  it('loses nothing when the broker is killed with SIGKILL mid-stream; devices reconnect and resend', () =>
    survivesCrash(
      'bkill',
      3,
      (p) => p.broker.kill(),
      (p) => p.restartBroker(),
    ));

  it('loses and duplicates nothing when InfluxDB is down for 20 s mid-stream', async () => {
    // A server of its own, so that stopping it leaves the shared one alone.
    const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-influx-outage-'));
    let server = await startLocalInflux({ binary: influx.binary, dataDir });
    const port = Number(new URL(server.url).port);
    try {
      const prefix = `outage${Date.now() % 100000}`;
      const f = fleet(prefix, 10, 1000, 7);
      pipeline = await startPipeline({ influx: server, devices: f.ids });
      const sims = await connectAll(pipeline, f.ids);
      // Paced over ~30 s, so that readings arrive before, during and after the outage.
      const sending = Promise.all(sims.map((s) => s.sendAll(f.messages.get(s.id) ?? [], 1, 400)));
      await new Promise((r) => setTimeout(r, 4000));
      await server.stop();
      const outageStart = pipeline.ingest.logs.length;
      await new Promise((r) => setTimeout(r, 20_000));
      server = await startLocalInflux({ binary: influx.binary, dataDir, port });
      await sending;
      const result = await waitForStored(server, f.expected, prefix, f.startMs, f.stopMs);
      expect(result).toEqual({ missing: 0, wrong: 0, extra: 0, total: 10_000 });
      // It did notice: writes failed and were retried.
      expect(
        pipeline.ingest.logs.slice(outageStart).some((l) => l.msg === 'InfluxDB write failed; retrying'),
      ).toBe(true);
    } finally {
      await pipeline?.stop();
      pipeline = undefined;
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('stores late backlog readings at their original event times', async () => {
    const prefix = `late${Date.now() % 100000}`;
    const id = `${prefix}-0`;
    const sixHoursAgo = Date.now() - 6 * HOUR;
    const readings = makeReadings(360, sixHoursAgo, 60_000, seeded(4));
    pipeline = await startPipeline({ influx, devices: [id] });
    const [device] = await connectAll(pipeline, [id]);
    // A flush of the whole backlog in batches of 100, as a logger does after hours offline.
    const batches = [0, 100, 200, 300].map((i) =>
      JSON.stringify({ v: 1, readings: readings.slice(i, i + 100) }),
    );
    await device?.sendAll(batches, 1);
    const result = await waitForStored(
      influx,
      new Map([[id, readings]]),
      prefix,
      sixHoursAgo - HOUR,
      Date.now() + HOUR,
    );
    expect(result).toEqual({ missing: 0, wrong: 0, extra: 0, total: 360 });
  });

  it('dead-letters poison messages with their reason, stores every good reading, and keeps running', async () => {
    const prefix = `poison${Date.now() % 100000}`;
    const id = `${prefix}-0`;
    const readings = makeReadings(200, Date.now() - 4 * HOUR, 60_000, seeded(5)); // ends 40 min ago
    const good = toMessages(readings, seeded(6), 10);
    const now = Date.now();
    const poison: Array<[string, string]> = [
      ['{"v":1,"readings":[{"ts":', 'malformed_json'],
      [JSON.stringify({ v: 1, ts: now, temp: { air: 'cold' } }), 'invalid_field'],
      [
        JSON.stringify({
          v: 1,
          readings: Array.from({ length: 1001 }, (_, i) => ({ ts: now - i, temp: { air: 1 } })),
        }),
        'too_many_readings',
      ],
      [JSON.stringify({ v: 1, ts: now + 24 * HOUR, temp: { air: 3 } }), 'timestamp_out_of_range'],
      [JSON.stringify({ v: 1, ts: now, temp: { air: 3 }, colour: 'blue' }), 'unknown_field'],
      ['[]', 'not_an_object'],
    ];
    const mixed: string[] = [];
    good.forEach((m, i) => {
      mixed.push(m);
      const p = poison[i % poison.length];
      if (i < poison.length * 3 && p) mixed.push(p[0]);
    });
    pipeline = await startPipeline({ influx, devices: [id] });
    const pidBefore = pipeline.ingest.child.pid;
    const [device] = await connectAll(pipeline, [id]);
    await device?.sendAll(mixed, 5);
    const result = await waitForStored(influx, new Map([[id, readings]]), prefix, now - 5 * HOUR, now + HOUR);
    expect(result).toEqual({ missing: 0, wrong: 0, extra: 0, total: 200 });
    expect(pipeline.ingest.child.pid).toBe(pidBefore);
    expect(pipeline.ingest.child.exitCode).toBeNull();
    const store = createSqliteStore({ file: join(pipeline.dataDir, 'metadata.db') });
    try {
      const counts = await store.countDeadLettersByReason();
      expect(counts).toEqual(Object.fromEntries(poison.map(([, reason]) => [reason, 3])));
      const letter = (await store.listDeadLetters({ deviceId: id, limit: 500 })).find(
        (l) => l.reason === 'invalid_field',
      );
      expect(letter?.problems.join(' ')).toMatch(/temp\.air/);
      expect(letter?.payload).toContain('"cold"');
    } finally {
      await store.close();
    }
  });
});
