import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { type Credentials, provision, restartBrokerProcess, startBrokerProcess } from '../support/broker.js';
import { connect, until } from '../support/mqtt.js';

const TOPIC = 'coldchain/v1/devices/term-1/telemetry';
const SENT = 10_000;

describe('an orderly broker stop (SIGTERM) in the middle of a stream', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-shutdown-'));
  const clients: MqttClient[] = [];
  afterAll(() => {
    for (const c of clients) c.end(true);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing it acknowledged: the ingest gets every PUBACKed message after the restart', async () => {
    const env = { MQTT_RATE_PER_SEC: '1000000', MQTT_RATE_BURST: '1000000' };
    const creds: Record<string, Credentials> = await provision(dataDir, {
      devices: ['term-1'],
      services: [{ id: 'ingest', role: 'ingest' }],
    });
    let broker = await startBrokerProcess(dataDir, env);
    const received = new Set<number>();
    const listen = (c: MqttClient) =>
      c.on('message', (_t, p) => received.add((JSON.parse(p.toString()) as { seq: number }).seq));
    const ingest = await connect(broker.url, { clientId: 'ingest', clean: false, ...creds.ingest }, listen);
    clients.push(ingest);
    await ingest.subscribeAsync('coldchain/v1/devices/+/telemetry', { qos: 1 });

    const device = await connect(broker.url, { clientId: 'term-1', ...creds['term-1'] });
    clients.push(device);
    const acked = new Set<number>();
    let seq = 0;
    // 100 messages every 10 ms, so the stop lands while messages are in flight.
    const pump = setInterval(() => {
      // Once the broker has dropped it, the client may be ended (its error handler ends it).
      if (!device.connected) return;
      for (let i = 0; i < 100 && seq < SENT; i++) {
        const n = seq++;
        device.publish(TOPIC, JSON.stringify({ seq: n }), { qos: 1 }, (err) => {
          if (!err) acked.add(n);
        });
      }
    }, 10);
    await until(() => acked.size >= SENT / 5, 10_000, 'a fifth acknowledged');
    await broker.stop();
    clearInterval(pump);
    const ackedAtStop = acked.size;
    expect(ackedAtStop).toBeLessThan(SENT);
    device.end(true);
    ingest.end(true);

    broker = await restartBrokerProcess(dataDir, broker, env);
    const back = await connect(broker.url, { clientId: 'ingest', clean: false, ...creds.ingest }, listen);
    clients.push(back);
    await back.subscribeAsync('coldchain/v1/devices/+/telemetry', { qos: 1 });
    await until(() => [...acked].every((n) => received.has(n)), 10_000, 'every acknowledged message');
    expect(acked.size).toBe(ackedAtStop);
    await broker.stop();
  });
});
