import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrokerProcess,
  type Credentials,
  provision,
  restartBrokerProcess,
  startBrokerProcess,
} from '../support/broker.js';
import { closedByBroker, collect, connect, until } from '../support/mqtt.js';

const run = promisify(execFile);
const telemetry = (id: string) => `coldchain/v1/devices/${id}/telemetry`;
const reading = (seq: number) =>
  JSON.stringify({ v: 1, readings: [{ ts: Date.now(), seq, temp: { air: 3.5 } }] });

describe('the broker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-broker-'));
  let broker: BrokerProcess;
  let creds: Record<string, Credentials>;
  let ingest: MqttClient;
  let received: Map<string, Buffer[]>;
  const clients: MqttClient[] = [];
  const device = async (id: string, transport: 'tcp' | 'ws' = 'tcp') => {
    const c = await connect(transport === 'tcp' ? broker.url : broker.wsUrl, { clientId: id, ...creds[id] });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    creds = await provision(dataDir, {
      devices: ['truck-1', 'truck-2', 'cab-1', 'ws-logger', 'mosq-1', 'dropper', 'spooler'],
      services: [
        { id: 'ingest', role: 'ingest' },
        { id: 'api', role: 'api' },
      ],
    });
    broker = await startBrokerProcess(dataDir, { MQTT_MAX_PACKET_BYTES: String(64 * 1024) });
    ingest = await connect(broker.url, { clientId: 'ingest', clean: false, ...creds.ingest });
    received = collect(ingest);
    await ingest.subscribeAsync('coldchain/v1/devices/+/telemetry', { qos: 1 });
  });

  afterAll(async () => {
    for (const c of [...clients, ingest]) c?.end(true);
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('accepts devices with their own credentials', () => {
    it('delivers QoS 0 and QoS 1 telemetry from an mqtt.js device over TCP to the ingest account', async () => {
      const truck = await device('truck-1');
      await truck.publishAsync(telemetry('truck-1'), reading(1), { qos: 0 });
      await truck.publishAsync(telemetry('truck-1'), reading(2), { qos: 1 }); // resolves on PUBACK
      await until(() => (received.get(telemetry('truck-1'))?.length ?? 0) === 2, 5_000, 'both messages');
      const seqs = received.get(telemetry('truck-1'))?.map((p) => JSON.parse(p.toString()).readings[0].seq);
      expect(seqs).toEqual([1, 2]);
    });

    it('delivers telemetry from a device connected over WebSocket', async () => {
      const logger = await device('ws-logger', 'ws');
      await logger.publishAsync(telemetry('ws-logger'), reading(7), { qos: 1 });
      await until(() => received.has(telemetry('ws-logger')), 5_000, 'the WebSocket message');
    });

    it('publishes a retained online status, and offline when the device drops', async () => {
      const dropper = await device('dropper');
      const api = await connect(broker.url, { clientId: 'api', ...creds.api });
      clients.push(api);
      const statuses = collect(api);
      await api.subscribeAsync('coldchain/v1/devices/+/status', { qos: 1 });
      const topic = 'coldchain/v1/devices/dropper/status';
      await until(() => statuses.get(topic)?.at(-1)?.toString() === 'online', 5_000, 'online');
      dropper.stream.destroy(); // an unclean drop: no DISCONNECT packet
      await until(() => statuses.get(topic)?.at(-1)?.toString() === 'offline', 5_000, 'offline');
    });

    it('interoperates with the Mosquitto command-line clients', async () => {
      const { password } = creds['mosq-1'] as Credentials;
      const ingestCreds = creds.ingest as Credentials;
      /** Connection arguments of the Mosquitto clients: our broker, a client id and credentials. */
      const as = (clientId: string, username: string, secret: string) => [
        ...['-h', '127.0.0.1', '-p', String(broker.port)],
        ...['-i', clientId, '-u', username, '-P', secret],
      ];
      // mosquitto_sub as the ingest account receives what mosquitto_pub publishes as a device.
      const sub = spawn('mosquitto_sub', [
        ...as('ingest:mosq-sub', 'ingest', ingestCreds.password),
        ...['-t', 'coldchain/v1/devices/+/telemetry', '-q', '1', '-C', '1', '-W', '10', '-v'],
      ]);
      const subExited = new Promise((r) => sub.once('exit', r));
      let out = '';
      sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => setTimeout(r, 500)); // let the subscription land
      await run('mosquitto_pub', [
        ...as('mosq-1', 'mosq-1', password),
        '-t',
        telemetry('mosq-1'),
        '-q',
        '1',
        '-m',
        reading(42),
      ]);
      await subExited;
      expect(out).toContain(`${telemetry('mosq-1')} {"v":1`);
      // The device has disconnected since: its retained status says so.
      const status = await run('mosquitto_sub', [
        ...as('ingest:mosq-status', 'ingest', ingestCreds.password),
        ...['-t', 'coldchain/v1/devices/mosq-1/status', '-C', '1', '-W', '5'],
      ]);
      expect(status.stdout.trim()).toBe('offline');
      await expect(
        run('mosquitto_pub', [...as('mosq-1', 'mosq-1', 'wrong'), '-t', telemetry('mosq-1'), '-m', 'x']),
      ).rejects.toThrow();
    });
  });

  describe('refuses what it must, and keeps serving the others', () => {
    it('refuses a wrong password, an unknown device and an anonymous client', async () => {
      await expect(
        connect(broker.url, { clientId: 'truck-2', username: 'truck-2', password: 'nope' }),
      ).rejects.toThrow(/Bad username or password/i);
      await expect(
        connect(broker.url, { clientId: 'ghost', username: 'ghost', password: 'x' }),
      ).rejects.toThrow(/Bad username or password/i);
      await expect(connect(broker.url, { clientId: 'anon' })).rejects.toThrow(/Not authorized/i);
    });

    it('refuses a device that borrows another device id as client id', async () => {
      await expect(connect(broker.url, { clientId: 'truck-1', ...creds['truck-2'] })).rejects.toThrow(
        /Identifier rejected/i,
      );
    });

    it('disconnects a device that publishes to another device topic, and delivers nothing', async () => {
      const truck2 = await device('truck-2');
      truck2.publish(telemetry('truck-1'), reading(999), { qos: 1 });
      await closedByBroker(truck2);
      await new Promise((r) => setTimeout(r, 200));
      const forged = received.get(telemetry('truck-1'))?.some((p) => p.toString().includes('"seq":999'));
      expect(forged ?? false).toBe(false);
    });

    it('disconnects a device that publishes to an invalid topic', async () => {
      const cab = await device('cab-1');
      cab.publish('coldchain/v1/devices/cab-1/firmware', 'x', { qos: 1 });
      await closedByBroker(cab);
    });

    it('grants no subscription to # or to another device commands, but one to its own', async () => {
      const cab = await device('cab-1');
      // SUBACK return code 0x80 (MQTT 3.1.1 §3.9.3), which mqtt.js reports as a failed subscribe.
      await expect(cab.subscribeAsync('#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
      await expect(cab.subscribeAsync('coldchain/v1/devices/truck-1/commands', { qos: 1 })).rejects.toThrow(
        /Subscribe error/,
      );
      const granted = await cab.subscribeAsync('coldchain/v1/devices/cab-1/commands', { qos: 1 });
      expect(granted.map((g) => g.qos)).toEqual([1]);
    });

    it('drops a connection that sends a packet over the size limit', async () => {
      const cab = await device('cab-1');
      cab.publish(telemetry('cab-1'), Buffer.alloc(70 * 1024, 0x20), { qos: 1 });
      await closedByBroker(cab);
      await broker.waitForLog((l) => l.reason === 'packet_too_large', 5_000);
    });

    it('logs every refusal with the client id and the reason', async () => {
      const refusals = broker.logs.filter((l) => typeof l.reason === 'string');
      const reasons = new Set(refusals.map((l) => l.reason));
      for (const r of [
        'bad_credentials',
        'no_credentials',
        'client_id_mismatch',
        'publish_denied',
        'subscribe_denied',
        'packet_too_large',
      ]) {
        expect(reasons).toContain(r);
      }
      expect(refusals.find((l) => l.reason === 'publish_denied')?.clientId).toBe('truck-2');
    });

    it('still serves the other devices after all that', async () => {
      const truck = await device('truck-1');
      await truck.publishAsync(telemetry('truck-1'), reading(3), { qos: 1 });
      await until(
        () => received.get(telemetry('truck-1'))?.some((p) => p.toString().includes('"seq":3')) ?? false,
      );
    });
  });

  it('keeps a PUBACKed message through a broker crash and hands it to the ingest after the restart', async () => {
    ingest.end(true);
    const spooler = await device('spooler');
    // No ingest is connected: only the spool holds this message once it is acknowledged.
    await spooler.publishAsync(telemetry('spooler'), reading(77), { qos: 1 });
    await broker.kill();
    spooler.end(true);
    broker = await restartBrokerProcess(dataDir, broker);
    ingest = await connect(broker.url, { clientId: 'ingest', clean: false, ...creds.ingest });
    received = collect(ingest);
    await ingest.subscribeAsync('coldchain/v1/devices/+/telemetry', { qos: 1 });
    await until(
      () => received.get(telemetry('spooler'))?.some((p) => p.toString().includes('"seq":77')) ?? false,
      5_000,
      'the spooled message',
    );
  });
});
