import { join } from 'node:path';
import { createSqliteStore, type DeadLetter } from '@coldchain/store';
import { afterEach, describe, expect, inject, it } from 'vitest';
import '../setup/context.js';
import {
  connectDevice,
  ingestMetric,
  type Pipeline,
  type SimDevice,
  startPipeline,
  storedReadings,
  type WireReading,
  waitForStored,
} from '../support/pipeline.js';

/**
 * Issue 9, item 7: a device re-sending a timestamp it already sent, with other values, must not
 * rewrite history. Real broker and ingest processes, real InfluxDB, a real MQTT device.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let pipeline: Pipeline | undefined;
const devices: SimDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.close().catch(() => {})));
  await pipeline?.stop();
  pipeline = undefined;
});

const batch = (readings: WireReading[]) => JSON.stringify({ v: 1, readings });

/** Ten readings a minute apart from `startMs`; the 4th to 7th at 30 °C (an excursion), the rest at 4 °C. */
function excursion(startMs: number): WireReading[] {
  return Array.from({ length: 10 }, (_, i) => ({
    ts: startMs + i * MINUTE,
    seq: i + 1,
    temp: { air: i >= 3 && i <= 6 ? 30 : 4 },
  }));
}
/** The same timestamps and counters, all at 4 °C: the excursion rewritten away. */
const whitewashed = (readings: WireReading[]) => readings.map((r) => ({ ...r, temp: { air: 4 } }));

/**
 * The broker acknowledges a device once it has spooled the message, before the ingest has it: a
 * figure is polled until it is `want` (and then checked to stay there for a moment), or the timeout passes.
 */
async function metricBecomes(p: Pipeline, name: string, want: number, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await metric(p, name);
    if (value === want) {
      await new Promise((r) => setTimeout(r, 300));
      return metric(p, name);
    }
    if (Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const metric = (p: Pipeline, name: string) => ingestMetric(p.ingest, name);

async function conflictLetters(p: Pipeline, deviceId: string): Promise<DeadLetter[]> {
  const store = createSqliteStore({ file: join(p.dataDir, 'metadata.db') });
  try {
    return (await store.listDeadLetters({ deviceId, limit: 500 })).filter(
      (l) => l.reason === 'conflicting_reading',
    );
  } finally {
    await store.close();
  }
}

describe('history is append-only', () => {
  const influx = inject('influx');

  async function setUp(ids: string[], ingestEnv?: Record<string, string>) {
    pipeline = await startPipeline({ influx, devices: ids, ingestEnv });
    const connected = await Promise.all(
      ids.map((id) => connectDevice(pipeline?.broker.url as string, pipeline?.creds[id] as never)),
    );
    devices.push(...connected);
    return { p: pipeline, devices: connected };
  }

  it('keeps a recorded 30 °C excursion when the device re-sends its timestamps with 4 °C, before and after an ingest restart', async () => {
    const id = `rewrite${Date.now() % 100000}`;
    const {
      p,
      devices: [device],
    } = await setUp([id]);
    const startMs = Date.now() - 2 * HOUR;
    const original = excursion(startMs);
    const expected = new Map([[id, original]]);
    const window = [startMs - HOUR, Date.now() + HOUR] as const;
    await device?.sendAll([batch(original)], 1);
    expect(await waitForStored(influx, expected, id, ...window)).toEqual({
      missing: 0,
      wrong: 0,
      extra: 0,
      total: 10,
    });

    // The rewrite, with one genuinely new reading in the same message: that one is accepted.
    const fresh: WireReading = { ts: startMs + 10 * MINUTE, seq: 11, temp: { air: 4 } };
    await device?.sendAll([batch([...whitewashed(original), fresh])], 1);
    expected.set(id, [...original, fresh]);
    expect(await waitForStored(influx, expected, id, ...window)).toEqual({
      missing: 0,
      wrong: 0,
      extra: 0,
      total: 11,
    });
    const stored = await storedReadings(influx, id, ...window);
    expect([...(stored.get(id)?.values() ?? [])].map((r) => r.air)).toEqual([
      4, 4, 4, 30, 30, 30, 30, 4, 4, 4, 4,
    ]);
    expect(await metricBecomes(p, 'coldchain_ingest_conflicting_readings_total', 4)).toBe(4);
    const letters = await conflictLetters(p, id);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.problems).toHaveLength(4);
    for (const problem of letters[0]?.problems ?? []) {
      expect(problem).toMatch(/stored temp_air=30,seq=\di; received temp_air=4,seq=\di/);
    }

    // An exact redelivery (a lost PUBACK) is accepted again and still one point per timestamp.
    const acceptedBefore = await metric(p, 'coldchain_ingest_accepted_readings_total');
    await device?.sendAll([batch(original)], 1);
    expect(await metricBecomes(p, 'coldchain_ingest_accepted_readings_total', acceptedBefore + 10)).toBe(
      acceptedBefore + 10,
    );
    expect(await metricBecomes(p, 'coldchain_ingest_conflicting_readings_total', 4)).toBe(4);

    // After a restart the ledger still knows: the rewrite is refused again, the redelivery accepted.
    await p.ingest.stop();
    await p.startIngest();
    const fresh2: WireReading = { ts: startMs + 11 * MINUTE, seq: 12, temp: { air: 4 } };
    await device?.sendAll([batch([...whitewashed(original), fresh2]), batch(original)], 1);
    expected.set(id, [...original, fresh, fresh2]);
    expect(await waitForStored(influx, expected, id, ...window)).toEqual({
      missing: 0,
      wrong: 0,
      extra: 0,
      total: 12,
    });
    expect(await metricBecomes(p, 'coldchain_ingest_conflicting_readings_total', 4)).toBe(4);
    // 6 unchanged and 1 new reading of the rewrite, then the 10 of the redelivery.
    expect(await metricBecomes(p, 'coldchain_ingest_accepted_readings_total', 17)).toBe(17);
    expect(await conflictLetters(p, id)).toHaveLength(2);
    const after = await storedReadings(influx, id, ...window);
    expect([...(after.get(id)?.values() ?? [])].filter((r) => r.air === 30)).toHaveLength(4);
  });

  it('refuses a rewrite of readings still in the journal, not yet in InfluxDB, across a SIGKILL', async () => {
    const id = `journaled${Date.now() % 100000}`;
    // InfluxDB is written only every 10 minutes: the first version stays in the journal.
    const {
      p,
      devices: [device],
    } = await setUp([id], { INGEST_FLUSH_INTERVAL_MS: '600000' });
    const startMs = Date.now() - 3 * HOUR;
    const original = excursion(startMs);
    const window = [startMs - HOUR, Date.now() + HOUR] as const;
    await device?.sendAll([batch(original)], 1);
    await device?.sendAll([batch(whitewashed(original))], 1);
    expect(await metricBecomes(p, 'coldchain_ingest_conflicting_readings_total', 4)).toBe(4);
    expect((await storedReadings(influx, id, ...window)).get(id)).toBeUndefined();

    // Killed before anything reached InfluxDB or was committed to the ledger's index: the journal
    // holds the accepted version, and the next start takes it in.
    await p.ingest.kill();
    await p.startIngest();
    await device?.sendAll([batch(whitewashed(original))], 1);
    expect(await metricBecomes(p, 'coldchain_ingest_conflicting_readings_total', 4)).toBe(4);
    expect(await waitForStored(influx, new Map([[id, original]]), id, ...window)).toEqual({
      missing: 0,
      wrong: 0,
      extra: 0,
      total: 10,
    });
  });

  it('refuses the rewrite of a backlog three weeks old, after a restart', async () => {
    const id = `backlog${Date.now() % 100000}`;
    const {
      p,
      devices: [device],
    } = await setUp([id]);
    // Live data first, then the backlog of a logger that was offline for weeks: older than the newest reading.
    const now = Date.now();
    await device?.sendAll([batch([{ ts: now - MINUTE, seq: 100, temp: { air: 5 } }])], 1);
    const startMs = now - 21 * DAY;
    const original = excursion(startMs);
    const window = [startMs - HOUR, startMs + HOUR] as const;
    await device?.sendAll([batch(original)], 1);
    expect(await waitForStored(influx, new Map([[id, original]]), id, ...window)).toEqual({
      missing: 0,
      wrong: 0,
      extra: 0,
      total: 10,
    });
    await p.ingest.kill();
    await p.startIngest();
    await device?.sendAll([batch(whitewashed(original))], 1);
    expect(await metricBecomes(p, 'coldchain_ingest_conflicting_readings_total', 4)).toBe(4);
    const stored = await storedReadings(influx, id, ...window);
    expect([...(stored.get(id)?.values() ?? [])].map((r) => r.air)).toEqual([
      4, 4, 4, 30, 30, 30, 30, 4, 4, 4,
    ]);
  });
});
