import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/context.js';
import { type Credentials, provision } from '../support/broker.js';
import { ingestServiceEnv, storedReadings, waitForStored } from '../support/pipeline.js';
import { type ServiceProcess, startService } from '../support/service-process.js';

/**
 * A broker that delivers QoS 2 although the ingest subscribed with QoS 1 (as Aedes 1.2 did for
 * wildcard subscriptions) and then dies before its PUBREL. MQTT 3.1.1 §4.3.3 makes the PUBREC the
 * moment the receiver owns the message, so the ingest must have journaled it by then: the reading
 * reaches InfluxDB although the PUBREL never comes. The broker here is a protocol peer written
 * packet by packet, since no well-behaved broker misbehaves on request.
 */
describe('the ingest receiving QoS 2 from a broker that ignores the granted QoS', () => {
  const influx = inject('influx');
  const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-qos2-'));
  let server: Server;
  let port = 0;
  let ingest: ServiceProcess;
  let creds: Record<string, Credentials>;
  const sockets: Socket[] = [];
  const received: Packet[] = [];
  let ingestSocket: Promise<Socket>;

  beforeAll(async () => {
    creds = await provision(dataDir, {
      devices: ['qos2-logger'],
      services: [{ id: 'ingest', role: 'ingest' }],
    });
    let connected: (s: Socket) => void = () => {};
    ingestSocket = new Promise((r) => {
      connected = r;
    });
    server = createServer((socket) => {
      sockets.push(socket);
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      const send = (p: Packet) => socket.write(mqttPacket.generate(p));
      parser.on('packet', (p: Packet) => {
        received.push(p);
        if (p.cmd === 'connect') send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
        if (p.cmd === 'subscribe') {
          send({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map(() => 1) });
          connected(socket);
        }
        if (p.cmd === 'pingreq') send({ cmd: 'pingresp' });
      });
      socket.on('data', (chunk) => parser.parse(chunk));
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
    ingest = startService(
      'ingest',
      ingestServiceEnv({
        dataDir,
        mqttUrl: `mqtt://127.0.0.1:${port}`,
        password: (creds.ingest as Credentials).password,
        influx,
      }),
    );
  });

  afterAll(async () => {
    await ingest?.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('journals a QoS 2 message before its PUBREC, so a lost PUBREL loses nothing', async () => {
    const socket = await ingestSocket;
    const ts = Date.now() - 60_000;
    const reading = { ts, seq: 1, temp: { air: 3.25 } };
    socket.write(
      mqttPacket.generate({
        cmd: 'publish',
        topic: 'coldchain/v1/devices/qos2-logger/telemetry',
        payload: Buffer.from(JSON.stringify({ v: 1, readings: [reading] })),
        qos: 2,
        messageId: 41,
        retain: false,
        dup: false,
      }),
    );
    const deadline = Date.now() + 10_000;
    while (!received.some((p) => p.cmd === 'pubrec' && p.messageId === 41)) {
      if (Date.now() > deadline) throw new Error('no PUBREC from the ingest');
      await new Promise((r) => setTimeout(r, 20));
    }
    // The broker "dies" here: no PUBREL ever comes.
    const expected = new Map([['qos2-logger', [reading]]]);
    const result = await waitForStored(influx, expected, 'qos2-logger', ts - 1000, ts + 1000, 15_000);
    expect(result).toEqual({ missing: 0, wrong: 0, extra: 0, total: 1 });
    expect((await storedReadings(influx, 'qos2-logger', ts - 1000, ts + 1000)).get('qos2-logger')?.size).toBe(
      1,
    );
  });
});
