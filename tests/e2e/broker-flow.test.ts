import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, type Credentials, provision, startBrokerProcess } from '../support/broker.js';
import { connect, until } from '../support/mqtt.js';

const STATS_TOPIC = '$SYS/coldchain/broker/stats';
const HIGH_WATER = 200;
/**
 * Aedes reads a device's next chunk of packets only once those of the last are delivered, so one
 * device cannot build a backlog: many devices, each with a chunk of small messages in flight, can.
 * The volume is enough to fill the kernel's socket buffers towards the ingest several times over.
 */
const DEVICES = 20;
const PER_DEVICE = 2_500;
const MESSAGES = DEVICES * PER_DEVICE;
const PAYLOAD = Buffer.alloc(200, 'x');
const OFFLINE_QUEUE_MAX = 50;
const deviceIds = Array.from({ length: DEVICES }, (_, i) => `flood-${i + 1}`);

interface Stats {
  devicesHeld: number;
  routingBacklog: number;
  spoolDepth: number;
}

describe('flow control from a slow ingest back to the devices', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-flow-'));
  let broker: BrokerProcess;
  let creds: Record<string, Credentials>;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    creds = await provision(dataDir, {
      devices: deviceIds,
      services: [
        { id: 'ingest', role: 'ingest' },
        { id: 'api', role: 'api' },
      ],
    });
    broker = await startBrokerProcess(dataDir, {
      BROKER_ROUTING_HIGH_WATER: String(HIGH_WATER),
      BROKER_OFFLINE_QUEUE_MAX: String(OFFLINE_QUEUE_MAX),
      BROKER_STATS_INTERVAL_MS: '50',
      MQTT_RATE_PER_SEC: '1000000',
      MQTT_RATE_BURST: '1000000',
    });
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops reading from a device while the ingest lags, then delivers and acknowledges everything', async () => {
    // An ingest that takes messages only when let: mqtt.js handles incoming PUBLISHes one at a
    // time, so a pending handleMessage stops it reading its socket.
    const ingest = await connect(broker.url, { clientId: 'ingest', clean: false, ...creds.ingest });
    clients.push(ingest);
    let open = false;
    const waiting: Array<() => void> = [];
    let received = 0;
    ingest.handleMessage = (_packet, done) => {
      received++;
      if (open) done();
      else waiting.push(() => done());
    };
    await ingest.subscribeAsync('coldchain/v1/devices/+/telemetry', { qos: 1 });

    const api = await connect(broker.url, { clientId: 'api', ...creds.api });
    clients.push(api);
    let stats: Stats | undefined;
    api.on('message', (_t, payload) => {
      stats = JSON.parse(payload.toString()) as Stats;
    });
    await api.subscribeAsync(STATS_TOPIC, { qos: 0 });

    // Every device connects first: while the router is jammed, new connections wait too.
    const devices: MqttClient[] = [];
    for (const id of deviceIds) devices.push(await connect(broker.url, { clientId: id, ...creds[id] }));
    clients.push(...devices);
    let acked = 0;
    devices.forEach((device, d) => {
      for (let i = 0; i < PER_DEVICE; i++) {
        device.publish(`coldchain/v1/devices/${deviceIds[d]}/telemetry`, PAYLOAD, { qos: 1 }, (err) => {
          if (!err) acked++;
        });
      }
    });

    // The broker says so in its log (its statistics go through the same jammed router).
    await broker.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('routing backlog at its limit'),
      20_000,
    );
    // Held: PUBACKs stop well short of what the devices sent.
    await until(() => acked > 0, 5_000, 'first PUBACKs');
    let ackedWhileHeld = -1;
    while (acked !== ackedWhileHeld) {
      ackedWhileHeld = acked;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(acked).toBeLessThan(MESSAGES / 2);

    open = true;
    for (const release of waiting.splice(0)) release();
    await until(
      () => acked === MESSAGES && received >= MESSAGES,
      60_000,
      'every message acked and delivered',
    );
    await broker.waitForLog((l) => l.msg === 'routing backlog down: devices resumed', 5_000);
    await until(() => stats?.devicesHeld === 0 && stats.spoolDepth === 0, 5_000, 'the hold to be lifted');
    expect(received).toBe(MESSAGES);
    expect(stats?.routingBacklog).toBe(0);
  });

  it("keeps an absent ingest's backlog on disk past BROKER_OFFLINE_QUEUE_MAX and hands it all over on its return", async () => {
    const ingest = await connect(broker.url, { clientId: 'ingest', clean: false, ...creds.ingest });
    await ingest.subscribeAsync('coldchain/v1/devices/+/telemetry', { qos: 1 });
    await ingest.endAsync();

    const api = await connect(broker.url, { clientId: 'api:parking', ...creds.api });
    clients.push(api);
    let stats: (Stats & { spoolParked: number }) | undefined;
    api.on('message', (_t, payload) => {
      stats = JSON.parse(payload.toString()) as typeof stats;
    });
    await api.subscribeAsync(STATS_TOPIC, { qos: 0 });

    const id = deviceIds[0] as string;
    const device = await connect(broker.url, { clientId: id, ...creds[id] });
    clients.push(device);
    const sent = 1_000;
    await Promise.all(
      Array.from({ length: sent }, (_, seq) =>
        device.publishAsync(`coldchain/v1/devices/${id}/telemetry`, JSON.stringify({ seq }), { qos: 1 }),
      ),
    );
    // All acknowledged to the device; the session holds the first 50 in memory, the rest are on disk only.
    await until(
      () => stats?.spoolDepth === sent && stats.spoolParked === sent - OFFLINE_QUEUE_MAX,
      5_000,
      `${sent - OFFLINE_QUEUE_MAX} parked of ${sent} spooled`,
    );

    // The ingest comes back with its session and does not subscribe again: it still gets everything.
    const seqs = new Set<number>();
    const back = await connect(broker.url, { clientId: 'ingest', clean: false, ...creds.ingest }, (c) =>
      c.on('message', (_t, payload) => {
        seqs.add((JSON.parse(payload.toString()) as { seq: number }).seq);
      }),
    );
    clients.push(back);
    await until(() => seqs.size === sent, 20_000, `all ${sent} messages at the returning ingest`);
    await until(() => stats?.spoolDepth === 0 && stats.spoolParked === 0, 5_000, 'an empty spool');
  });
});
