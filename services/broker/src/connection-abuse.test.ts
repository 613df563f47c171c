import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore, type MetadataStore } from '@coldchain/store';
import mqttPacket from 'mqtt-packet';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionLimitOptions } from './connection-limits.js';
import { type ColdchainBroker, createBroker } from './create-broker.js';
import { createSpool, type Spool } from './spool.js';

// The broker in this process with a real store, spool and TCP listener, driven by raw MQTT
// packets: each limit is seen as a device sees it, in CONNACKs and closed sockets.

interface Running {
  broker: ColdchainBroker;
  port: number;
  store: MetadataStore;
  secrets: Record<string, string>;
  close(): Promise<void>;
}

async function start(
  devices: string[],
  opts: { rateLimit?: { ratePerSec: number; burst: number }; limits?: Partial<ConnectionLimitOptions> } = {},
): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'coldchain-abuse-'));
  const store = createSqliteStore({ file: ':memory:' });
  const secrets: Record<string, string> = {};
  for (const id of devices) secrets[id] = (await store.provisionDevice({ id })).secret;
  const spool: Spool = createSpool({ dir: join(dir, 'spool') });
  const broker = await createBroker({
    store,
    spool,
    log: pino({ level: 'silent' }),
    maxPacketBytes: 64 * 1024,
    rateLimit: opts.rateLimit ?? { ratePerSec: 1_000, burst: 1_000 },
    connectionLimits: { connectBurst: 1_000, ...opts.limits },
    statsIntervalMs: 0,
  });
  const server: Server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    broker,
    port,
    store,
    secrets,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      await broker.close();
      await closed;
      spool.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** A device speaking raw MQTT 3.1.1. */
function rawClient(port: number) {
  const socket: Socket = tcpConnect(port, '127.0.0.1');
  const parser = mqttPacket.parser();
  const packets: mqttPacket.Packet[] = [];
  socket.on('data', (d) => parser.parse(d));
  socket.on('error', () => {});
  parser.on('packet', (p) => packets.push(p));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    closed,
    send: (packet: mqttPacket.Packet) => socket.write(mqttPacket.generate(packet)),
    /** Resolves with the CONNACK's return code, or null when the socket closed without one. */
    connack: () =>
      new Promise<number | null>((resolve) => {
        const check = () => {
          const ack = packets.find((p) => p.cmd === 'connack');
          if (ack) return resolve((ack as mqttPacket.IConnackPacket).returnCode ?? 0);
          if (socket.destroyed) return resolve(null);
          setTimeout(check, 5);
        };
        check();
      }),
  };
}

async function login(port: number, id: string, password: string) {
  const client = rawClient(port);
  client.send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId: id,
    keepalive: 60,
    username: id,
    password: Buffer.from(password),
  });
  return { ...client, returnCode: await client.connack() };
}

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('a device that reconnects', () => {
  it('finds its rate-limit bucket as it left it: reconnecting buys no new burst', async () => {
    running = await start(['truck-7'], { rateLimit: { ratePerSec: 1, burst: 5 } });
    const { port, secrets } = running;
    const startedAt = Date.now();
    for (let round = 0; round < 4; round++) {
      const device = await login(port, 'truck-7', secrets['truck-7'] as string);
      expect(device.returnCode).toBe(0);
      for (let i = 0; i < 10; i++)
        device.send({
          cmd: 'publish',
          topic: 'coldchain/v1/devices/truck-7/telemetry',
          payload: Buffer.from('{}'),
          qos: 0,
          retain: false,
          dup: false,
        });
      await device.closed; // the broker closes it at the first message over the limit
    }
    const elapsedS = (Date.now() - startedAt) / 1000;
    expect(running.broker.stats().messagesIn).toBeLessThanOrEqual(5 + Math.ceil(elapsedS));
    expect(running.broker.stats().refusals.rate_limited).toBe(4);
  });

  it('is refused with CONNACK 3 once it connects more often than its CONNECT budget', async () => {
    running = await start(['truck-7', 'cab-1'], { limits: { connectBurst: 3, connectRatePerMin: 1 } });
    const { port, secrets } = running;
    const codes: Array<number | null> = [];
    for (let i = 0; i < 5; i++) {
      const device = await login(port, 'truck-7', secrets['truck-7'] as string);
      codes.push(device.returnCode);
      device.socket.destroy();
      await device.closed;
    }
    expect(codes).toEqual([0, 0, 0, 3, 3]);
    expect(running.broker.stats().refusals.connect_rate_limited).toBe(2);
    // Another device has its own budget.
    expect((await login(port, 'cab-1', secrets['cab-1'] as string)).returnCode).toBe(0);
  });
});

describe('failed logins', () => {
  it('make the username wait before its next attempt is checked; a success resets it', async () => {
    running = await start(['truck-7', 'cab-1'], {
      limits: { loginFailuresPerId: 3, loginFailuresPerAddress: 1_000, loginBackoffMs: 300 },
    });
    const { port, secrets } = running;
    const codes: Array<number | null> = [];
    for (let i = 0; i < 5; i++) codes.push((await login(port, 'truck-7', 'wrong')).returnCode);
    // Three checked and refused (4), then answered "server unavailable" without a check.
    expect(codes).toEqual([4, 4, 4, 3, 3]);
    expect(running.broker.stats().refusals).toMatchObject({ bad_credentials: 3, login_backoff: 2 });
    // Even the right secret waits out the back-off; another device is not held back meanwhile.
    expect((await login(port, 'truck-7', secrets['truck-7'] as string)).returnCode).toBe(3);
    expect((await login(port, 'cab-1', secrets['cab-1'] as string)).returnCode).toBe(0);
    await new Promise((r) => setTimeout(r, 350));
    expect((await login(port, 'truck-7', secrets['truck-7'] as string)).returnCode).toBe(0);
    expect((await login(port, 'truck-7', 'wrong')).returnCode).toBe(4); // counting from zero again
  });

  it('from one address, over many usernames, make that address wait', async () => {
    running = await start(['cab-1'], { limits: { loginFailuresPerId: 100, loginFailuresPerAddress: 5 } });
    const codes: Array<number | null> = [];
    for (let i = 0; i < 8; i++) codes.push((await login(running.port, `guess-${i}`, 'wrong')).returnCode);
    expect(codes).toEqual([4, 4, 4, 4, 4, 3, 3, 3]);
  });
});

describe('connections', () => {
  it('over the cap per address are closed before anything is read; a closed one frees its place', async () => {
    running = await start(['cab-1'], { limits: { maxConnectionsPerAddress: 3 } });
    const { port } = running;
    const held = [rawClient(port), rawClient(port), rawClient(port)];
    await until(
      () => running?.broker.aedes.connectedClients === 0 && held.every((c) => !c.socket.connecting),
      'held',
    );
    const extra = rawClient(port);
    await extra.closed;
    expect(running.broker.stats().refusals.too_many_connections_from_address).toBe(1);
    held[0]?.socket.destroy();
    await held[0]?.closed;
    await new Promise((r) => setTimeout(r, 50));
    expect((await login(port, 'cab-1', running.secrets['cab-1'] as string)).returnCode).toBe(0);
  });

  it('that announce a CONNECT over its limit are closed at the header', async () => {
    running = await start([], { limits: { maxConnectBytes: 1024 } });
    const client = rawClient(running.port);
    client.socket.write(Buffer.from([0x10, 0x80, 0x80, 0x01])); // CONNECT, remaining length 16,384
    await client.closed;
    expect(running.broker.stats().refusals.connect_too_large).toBe(1);
  });

  it('that send no CONNECT in time are closed', async () => {
    running = await start([], { limits: { connectTimeoutMs: 200 } });
    const client = rawClient(running.port);
    client.socket.write(Buffer.from([0x10, 0x7f, 0x00])); // a CONNECT begun, never finished
    const t0 = Date.now();
    await client.closed;
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
