import { join } from 'node:path';
import { type Alert, createSqliteStore, type MetadataStore } from '@coldchain/store';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/context.js';
import { connect, until } from '../support/mqtt.js';
import { connectDevice, type Pipeline, startPipeline, storedReadings } from '../support/pipeline.js';

const MIN = 60_000;

describe('a custody handover recorded after its readings arrived', () => {
  const influx = inject('influx');
  // An hour of readings ending a minute ago: an open leg sees no data gap at its end.
  const t0 = Date.now() - 61 * MIN;
  let pipeline: Pipeline;
  let api: MqttClient;
  const received: Array<{ topic: string; event: string; alert: Alert }> = [];
  const shipmentEvents = (shipmentId: string) =>
    received.filter((r) => r.topic === `coldchain/v1/alerts/${shipmentId}`);

  beforeAll(async () => {
    pipeline = await startPipeline({
      influx,
      devices: ['late-first-box', 'handover-truck'],
      // Nothing here waits for the timer; it would only add evaluations to what is observed.
      ingestEnv: { BREACH_TICK_MS: '600000' },
      setup: async (store) => {
        for (const id of ['SHP-late-first', 'SHP-late-handover'])
          await store.createShipment({
            id,
            profileId: 'frozen',
            shipper: 'Dalian Haiyun',
            consignee: 'Shenyang',
          });
        await store.addCustodyLeg({
          shipmentId: 'SHP-late-handover',
          deviceId: 'handover-truck',
          holder: 'Haiyun Logistics',
          fromMs: t0 - 30 * MIN,
          toMs: null,
          handedOverBy: 'Dalian Haiyun',
          handoverTempC: -20,
        });
      },
    });
    api = await connect(pipeline.broker.url, { clientId: 'api', ...pipeline.creds.api });
    api.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as { event: string; alert: Alert };
      received.push({ topic, event: body.event, alert: body.alert });
    });
    await api.subscribeAsync('coldchain/v1/alerts/#', { qos: 1 });
  });

  afterAll(async () => {
    await api?.endAsync().catch(() => {});
    await pipeline?.stop();
  });

  /** Frozen goods at -20 °C for an hour from `t0`, with a thaw to -10 °C (critical) at minute 45. */
  async function sendHourWithThaw(deviceId: string) {
    const readings = Array.from({ length: 61 }, (_, i) => ({
      ts: t0 + i * MIN,
      seq: i + 1,
      temp: { air: -21, product: i === 45 ? -10 : -20 },
    }));
    const device = await connectDevice(pipeline.broker.url, pipeline.creds[deviceId] as never);
    await device.sendAll([JSON.stringify({ v: 1, readings })], 1);
    await device.close();
    await until(
      async () =>
        (await storedReadings(influx, deviceId, t0 - MIN, t0 + 62 * MIN)).get(deviceId)?.size === 61,
      30_000,
      `the readings of ${deviceId} in InfluxDB`,
    );
  }

  /** A second handle on the pipeline's metadata store, as the api has. */
  async function withStore(work: (store: MetadataStore) => Promise<unknown>) {
    const store = createSqliteStore({ file: join(pipeline.dataDir, 'metadata.db') });
    try {
      await work(store);
    } finally {
      await store.close();
    }
  }

  const custodyChanged = (shipmentId: string, named = shipmentId) =>
    api.publishAsync(
      `coldchain/v1/custody/${shipmentId}`,
      JSON.stringify({ event: 'custody.changed', shipmentId: named }),
      { qos: 1 },
    );

  it('raises the excursions of a first leg recorded late, with its holder, once the api says so', async () => {
    await sendHourWithThaw('late-first-box');
    expect(shipmentEvents('SHP-late-first')).toEqual([]);

    await withStore((store) =>
      store.addCustodyLeg({
        shipmentId: 'SHP-late-first',
        deviceId: 'late-first-box',
        holder: 'Dalian Cold Store',
        fromMs: t0 - 30 * MIN,
        toMs: t0 + 61 * MIN,
        handedOverBy: 'Dalian Haiyun',
        handoverTempC: -20,
      }),
    );
    // A message naming another shipment than its topic is dropped, and the ingest carries on.
    await custodyChanged('SHP-late-first', 'SHP-late-handover');
    await pipeline.ingest.waitForLog((l) => l.msg === 'invalid custody change dropped', 10_000);
    expect(shipmentEvents('SHP-late-first')).toEqual([]);

    await custodyChanged('SHP-late-first');
    await until(() => shipmentEvents('SHP-late-first').length > 0, 20_000, 'the alert of the late leg');
    expect(shipmentEvents('SHP-late-first')).toEqual([
      {
        topic: 'coldchain/v1/alerts/SHP-late-first',
        event: 'alert.created',
        alert: expect.objectContaining({
          rule: 'critical',
          holder: 'Dalian Cold Store',
          deviceId: 'late-first-box',
          startMs: t0 + 45 * MIN,
          status: 'open',
        }),
      },
    ]);
  });

  it("moves an excursion to the holder of a handover recorded late, and withdraws the first holder's alert", async () => {
    await sendHourWithThaw('handover-truck');
    await until(() => shipmentEvents('SHP-late-handover').length > 0, 20_000, "the truck's alert");
    const [first] = shipmentEvents('SHP-late-handover');
    expect(first?.alert).toMatchObject({ rule: 'critical', holder: 'Haiyun Logistics', status: 'open' });

    // The cold store took over at minute 10 (past its settle period by minute 45); recorded only now.
    await withStore((store) =>
      store.addCustodyLeg({
        shipmentId: 'SHP-late-handover',
        deviceId: 'handover-truck',
        holder: 'Dalian Cold Store',
        fromMs: t0 + 10 * MIN,
        toMs: null,
        handedOverBy: 'Haiyun Logistics',
        handoverTempC: -20,
      }),
    );
    await custodyChanged('SHP-late-handover');
    await until(() => shipmentEvents('SHP-late-handover').length >= 3, 20_000, 'the moved alert');
    await new Promise((r) => setTimeout(r, 500)); // nothing else follows
    const after = shipmentEvents('SHP-late-handover').slice(1);
    expect(after.map((r) => [r.event, r.alert.holder, r.alert.status, r.alert.startMs]).sort()).toEqual(
      [
        ['alert.created', 'Dalian Cold Store', 'open', t0 + 45 * MIN],
        ['alert.updated', 'Haiyun Logistics', 'resolved', t0 + 45 * MIN],
      ].sort(),
    );
    expect(after.find((r) => r.event === 'alert.updated')?.alert.id).toBe(first?.alert.id);
  });
});
