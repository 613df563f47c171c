import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Alert, type MetadataStore, openMetadataStore } from '@coldchain/store';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/context.js';
import { type BrokerProcess, type Credentials, provision, startBrokerProcess } from '../support/broker.js';
import { connect, until } from '../support/mqtt.js';
import {
  connectDevice,
  ingestMetric,
  ingestServiceEnv,
  type SimDevice,
  type WireReading,
  waitForStored,
} from '../support/pipeline.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { type ServiceProcess, startService } from '../support/service-process.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * Two ingest processes and the broker sharing one PostgreSQL metadata store
 * (`COLDCHAIN_DATABASE_URL`), as on several machines: both ingests take every message of the same
 * devices (Aedes has no shared subscriptions), so both write every reading and both find every
 * excursion. InfluxDB must hold each reading once, and the store one alert per excursion.
 */
describe('two ingest processes sharing one PostgreSQL store', () => {
  const influx = inject('influx');
  const devices = ['shared-reefer-1', 'shared-reefer-2'];
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'coldchain-e2e-shared-'));
    dirs.push(d);
    return d;
  };
  let postgres: PostgresServer;
  let broker: BrokerProcess;
  const ingests: ServiceProcess[] = [];
  let creds: Record<string, Credentials>;
  let store: MetadataStore;
  let operator: MqttClient;
  const received: Array<{ event: string; alert: Alert }> = [];
  const sims: SimDevice[] = [];
  const t0 = Date.now() - 6 * HOUR;

  beforeAll(async () => {
    postgres = await startPostgres();
    const databaseUrl = postgres.url;
    creds = await provision(
      tempDir(),
      {
        devices,
        services: [
          { id: 'ingest', role: 'ingest' },
          { id: 'api', role: 'api' },
        ],
      },
      databaseUrl,
    );
    store = await openMetadataStore({ databaseUrl, file: join(tempDir(), 'unused.db') });
    for (const device of devices) {
      await store.createShipment({
        id: `SHP-${device}`,
        profileId: 'chilled-seafood',
        shipper: 'Dalian Haiyun',
        consignee: 'Shenyang Market',
      });
      await store.addCustodyLeg({
        shipmentId: `SHP-${device}`,
        deviceId: device,
        holder: 'Liaoning Cold Express',
        fromMs: t0 - 30 * MIN,
        toMs: null,
        handedOverBy: 'Dalian Haiyun',
        handoverTempC: 1.5,
      });
    }
    broker = await startBrokerProcess(tempDir(), {
      COLDCHAIN_DATABASE_URL: databaseUrl,
      MQTT_RATE_PER_SEC: '5000',
      MQTT_RATE_BURST: '5000',
    });
    for (const worker of ['a', 'b']) {
      const ingest = startService('ingest', {
        ...ingestServiceEnv({
          dataDir: tempDir(),
          mqttUrl: broker.url,
          password: (creds.ingest as Credentials).password,
          influx,
        }),
        COLDCHAIN_DATABASE_URL: databaseUrl,
        INGEST_CLIENT_ID: `ingest:${worker}`,
        BREACH_TICK_MS: '600000',
      });
      await ingest.waitForLog((l) => typeof l.metricsPort === 'number');
      ingests.push(ingest);
    }
    operator = await connect(broker.url, { clientId: 'api', ...creds.api });
    operator.on('message', (_topic, payload) => {
      received.push(JSON.parse(payload.toString()) as { event: string; alert: Alert });
    });
    await operator.subscribeAsync('coldchain/v1/alerts/+', { qos: 1 });
    for (const d of devices) sims.push(await connectDevice(broker.url, creds[d] as never));
  });

  afterAll(async () => {
    for (const s of sims) await s.close().catch(() => {});
    operator?.end(true);
    for (const i of ingests) await i.stop();
    await broker?.stop();
    await store?.close();
    await postgres?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('stores every reading once and makes one alert per excursion', async () => {
    // Six hours a minute apart; each device warms to 7 °C for 50 minutes (past the 30-min delay of
    // chilled seafood's 4 °C boundary, below its critical limit), at a different hour.
    const expected = new Map<string, WireReading[]>();
    devices.forEach((device, d) => {
      const warmFrom = 120 + d * 120;
      expected.set(
        device,
        Array.from({ length: 360 }, (_, i) => {
          const c = i >= warmFrom && i < warmFrom + 50 ? 7 : 2;
          return { ts: t0 + i * MIN, seq: i + 1, temp: { air: c, product: c } };
        }),
      );
    });
    await Promise.all(
      sims.map((sim) => {
        const readings = expected.get(sim.id) as WireReading[];
        const messages = Array.from({ length: 36 }, (_, i) =>
          JSON.stringify({ v: 1, readings: readings.slice(i * 10, i * 10 + 10) }),
        );
        return sim.sendAll(messages, 1);
      }),
    );
    const result = await waitForStored(influx, expected, 'shared-reefer-', t0 - HOUR, Date.now() + HOUR);
    expect(result).toEqual({ missing: 0, wrong: 0, extra: 0, total: 720 });
    // Both workers took every reading (each wrote it; InfluxDB holds it once).
    for (const ingest of ingests)
      await until(
        async () => (await ingestMetric(ingest, 'coldchain_ingest_accepted_readings_total')) === 720,
        10_000,
        'every reading accepted by each worker',
      );

    await until(
      async () => (await store.listAlerts({})).filter((a) => a.rule === 'range').length >= devices.length,
      20_000,
      'a range alert per device',
    );
    // Let both workers finish: a second alert would come now if the upsert were not atomic.
    await new Promise((r) => setTimeout(r, 2_000));
    const alerts = await store.listAlerts({});
    for (const device of devices) {
      // Open ones: a history replayed hours late also raises "no data" alerts that its next message
      // resolves as recovered (the operator-facing side of that is another matter).
      const mine = alerts.filter((a) => a.deviceId === device && a.status !== 'resolved');
      expect(mine.map((a) => a.rule)).toEqual(['range']);
      const warmFrom = 120 + devices.indexOf(device) * 120;
      expect(mine[0]).toMatchObject({ startMs: t0 + warmFrom * MIN, peakValue: 7 });
    }
    // Each excursion was announced as created once, whichever worker got there first.
    const created = received.filter((r) => r.event === 'alert.created');
    expect(new Set(created.map((r) => r.alert.key)).size).toBe(created.length);
    for (const ingest of ingests) expect(ingest.child.exitCode).toBeNull();
  });
});
