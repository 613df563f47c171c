import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, type Credentials, provision, startBrokerProcess } from '../support/broker.js';
import { collect, connect, until } from '../support/mqtt.js';
import { connectPacket } from '../support/raw-mqtt.js';

// Connection-level attacks on the real broker process, by a device with valid credentials and by
// someone without: reconnect loops, floods of half-sent CONNECTs, wrong-password storms, a
// SUBSCRIBE of thousands of denied filters. After each one a legitimate device still publishes
// and the ingest account receives it, from the same broker process. Attackers connect from other
// loopback addresses (127.0.0.2 …, all of 127/8 is the loopback interface on Linux), so that
// limits per address can be told apart from the legitimate devices on 127.0.0.1.

const RATE_PER_SEC = 50;
const RATE_BURST = 100;
const PER_ADDRESS = 50;
const MAX_CONNECTIONS = 400;
const CONNECT_TIMEOUT_MS = 2_000;
const BROKER_ENV = {
  MQTT_RATE_PER_SEC: String(RATE_PER_SEC),
  MQTT_RATE_BURST: String(RATE_BURST),
  BROKER_CONNECT_RATE_PER_MIN: '60',
  BROKER_CONNECT_BURST: '40',
  BROKER_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
  BROKER_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
  BROKER_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
  BROKER_LOGIN_FAILURES_PER_ID: '5',
  BROKER_LOGIN_FAILURES_PER_ADDRESS: '20',
  BROKER_LOGIN_BACKOFF_MS: '1000',
  BROKER_LOGIN_BACKOFF_MAX_MS: '10000',
  BROKER_REFUSAL_LOG_INTERVAL_MS: '1000',
  BROKER_STATS_INTERVAL_MS: '300',
};

const telemetry = (id: string) => `coldchain/v1/devices/${id}/telemetry`;
const reading = (seq: number) =>
  JSON.stringify({ v: 1, readings: [{ ts: Date.now(), seq, temp: { air: 3.5 } }] });

/** The remaining-length bytes of an MQTT packet header (MQTT 3.1.1 §2.2.3), for headers sent alone. */
function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

interface RawSocket {
  /** When the broker closed it, in ms after it was opened; undefined while open. */
  closedAfterMs?: number;
  destroy(): void;
}

/** A raw TCP connection from `localAddress` that sends `bytes` and then nothing more. */
function openRaw(port: number, localAddress: string, bytes: Buffer): RawSocket {
  const openedAt = Date.now();
  const socket = tcpConnect({ port, host: '127.0.0.1', localAddress });
  const raw: RawSocket = { destroy: () => socket.destroy() };
  socket.on('error', () => {});
  socket.on('connect', () => socket.write(bytes));
  socket.on('data', () => {});
  socket.once('close', () => {
    raw.closedAfterMs = Date.now() - openedAt;
  });
  return raw;
}

/** One login from `localAddress` over raw TCP: the CONNACK's return code, or null if closed without one. */
function rawLogin(port: number, localAddress: string, id: string, password: string): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ port, host: '127.0.0.1', localAddress });
    let got = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('connect', () => socket.write(mqttPacket.generate(connectPacket(id, id, password))));
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4) {
        socket.destroy();
        resolve(got[0] === 0x20 ? (got[3] as number) : null);
      }
    });
    socket.once('close', () => resolve(null));
  });
}

const rssMb = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return Number(line?.[1]) / 1024;
};

describe('the broker under connection-level attack', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-adversarial-conn-'));
  let broker: BrokerProcess;
  let creds: Record<string, Credentials>;
  let ingest: MqttClient;
  let api: MqttClient;
  let received: Map<string, Buffer[]>;
  let latestStats: { refusals: Record<string, number> } = { refusals: {} };
  let legitSeq = 0;
  const clients: MqttClient[] = [];

  /** The legitimate device publishes one reading (QoS 1) and the ingest receives it. */
  async function legitimateDevicePublishes() {
    const device = await connect(broker.url, { clientId: 'legit', ...creds.legit });
    clients.push(device);
    const seq = ++legitSeq;
    await device.publishAsync(telemetry('legit'), reading(seq), { qos: 1 });
    await until(
      () =>
        (received.get(telemetry('legit')) ?? []).some((p) => JSON.parse(String(p)).readings[0].seq === seq),
      5_000,
      `reading ${seq} of the legitimate device at the ingest`,
    );
    await device.endAsync();
  }
  const refusals = async (reason: string) => {
    const before = JSON.stringify(latestStats);
    await until(() => JSON.stringify(latestStats) !== before, 3_000, 'fresh broker stats');
    return latestStats.refusals[reason] ?? 0;
  };

  beforeAll(async () => {
    creds = await provision(dataDir, {
      devices: ['legit', 'looper', 'target', 'bystander', 'subscriber'],
      services: [
        { id: 'ingest', role: 'ingest' },
        { id: 'api', role: 'api' },
      ],
    });
    broker = await startBrokerProcess(dataDir, BROKER_ENV);
    ingest = await connect(broker.url, { clientId: 'ingest', clean: false, ...creds.ingest });
    received = collect(ingest);
    await ingest.subscribeAsync('coldchain/v1/devices/+/telemetry', { qos: 1 });
    api = await connect(broker.url, { clientId: 'api', ...creds.api });
    api.on('message', (topic, payload) => {
      if (topic === '$SYS/coldchain/broker/stats') latestStats = JSON.parse(String(payload));
    });
    await api.subscribeAsync('$SYS/coldchain/broker/stats', { qos: 0 });
    await legitimateDevicePublishes();
  });

  afterAll(async () => {
    for (const c of [...clients, ingest, api]) c?.end(true);
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds a device that reconnects again and again to its rate limit', async () => {
    const startedAt = Date.now();
    let connections = 0;
    while (Date.now() - startedAt < 3_000) {
      let device: MqttClient;
      try {
        device = await connect(broker.url, { clientId: 'looper', ...creds.looper });
      } catch {
        await sleep(50); // refused: it connects too often
        continue;
      }
      connections++;
      // Far over the limit at once: the broker closes the connection at the first one too many.
      for (let i = 0; i < 3 * RATE_BURST; i++) device.publish(telemetry('looper'), reading(i), { qos: 0 });
      await Promise.race([new Promise<void>((r) => device.once('close', () => r())), sleep(500)]);
      device.end(true);
    }
    await sleep(300); // the last messages in flight to the ingest
    const elapsedS = (Date.now() - startedAt) / 1000;
    const got = received.get(telemetry('looper'))?.length ?? 0;
    // Without a bucket that outlives the connection every reconnect bought a new burst of 100.
    expect(connections).toBeGreaterThan(3);
    expect(got).toBeGreaterThanOrEqual(RATE_BURST);
    expect(got).toBeLessThanOrEqual(RATE_BURST + RATE_PER_SEC * elapsedS * 1.1 + 10);
    await legitimateDevicePublishes();
  });

  it('closes CONNECTs larger than the CONNECT limit at their header: a flood holds no memory', async () => {
    const rssBefore = rssMb(broker.child.pid as number);
    // 400 CONNECTs announcing 200 KB each, 150 KB of it sent: before the limit the broker held
    // each one for 30 s (83 MB for 400 in the report that found it).
    const header = Buffer.concat([Buffer.from([0x10]), remainingLength(200_000)]);
    const partial = Buffer.concat([header, Buffer.alloc(150_000, 0x61)]);
    const sockets = [2, 3, 4, 5].flatMap((a) =>
      Array.from({ length: 100 }, () => openRaw(broker.port, `127.0.0.${a}`, partial)),
    );
    await until(() => sockets.every((s) => s.closedAfterMs !== undefined), 5_000, 'every socket closed');
    const rssAfter = rssMb(broker.child.pid as number);
    expect(rssAfter - rssBefore).toBeLessThan(30);
    expect(await refusals('connect_too_large')).toBeGreaterThan(0);
    await legitimateDevicePublishes();
  });

  it('caps connections per address and in total; half-sent CONNECTs are dropped after the connect timeout', async () => {
    const rssBefore = rssMb(broker.child.pid as number);
    // CONNECTs under the limit, begun and never finished, from 8 addresses, 60 from each.
    const begun = Buffer.concat([Buffer.from([0x10]), remainingLength(6_000), Buffer.alloc(3_000, 0x61)]);
    const byAddress = new Map<string, RawSocket[]>();
    for (let a = 10; a < 18; a++) {
      const address = `127.0.0.${a}`;
      byAddress.set(
        address,
        Array.from({ length: 60 }, () => openRaw(broker.port, address, begun)),
      );
      await sleep(50);
    }
    await sleep(500);
    const all = [...byAddress.values()].flat();
    const held = all.filter((s) => s.closedAfterMs === undefined);
    // No address holds more than its cap, and all of them together not more than the total cap
    // (the ingest and api accounts have two places of it).
    for (const sockets of byAddress.values())
      expect(sockets.filter((s) => s.closedAfterMs === undefined).length).toBeLessThanOrEqual(PER_ADDRESS);
    expect(held.length).toBeLessThanOrEqual(MAX_CONNECTIONS - 2);
    expect(held.length).toBeGreaterThan(MAX_CONNECTIONS - 10);
    expect(rssMb(broker.child.pid as number) - rssBefore).toBeLessThan(30);
    // Those refused were closed at once, without waiting for anything.
    for (const s of all.filter((x) => x.closedAfterMs !== undefined))
      expect(s.closedAfterMs).toBeLessThan(500);
    expect(await refusals('too_many_connections_from_address')).toBeGreaterThan(0);
    expect(await refusals('too_many_connections')).toBeGreaterThan(0);
    // The held ones go when the connect timeout ends them, and the devices come back.
    await until(
      () => all.every((s) => s.closedAfterMs !== undefined),
      // Well past the timeout: on a loaded machine (the browser tests run alongside) 480 sockets
      // close late; what matters is that the timeout ends them, not the moment.
      CONNECT_TIMEOUT_MS + 20_000,
      'the half-sent CONNECTs closed by the connect timeout',
    );
    await legitimateDevicePublishes();
  });

  it('throttles a storm of wrong passwords while other devices log in', async () => {
    const codes = new Map<number | null, number>();
    const tally = (code: number | null) => codes.set(code, (codes.get(code) ?? 0) + 1);
    const startedAt = Date.now();
    let bystanderLoggedIn = false;
    const storm = Array.from({ length: 10 }, async (_, worker) => {
      for (let i = 0; Date.now() - startedAt < 3_000; i++) {
        // A known device id with a wrong secret, and guessed ids, from one address.
        const id = i % 2 === 0 ? 'target' : `guess-${worker}-${i}`;
        tally(await rawLogin(broker.port, '127.0.0.20', id, 'wrong-secret'));
      }
    });
    const bystander = (async () => {
      await sleep(1_000);
      const device = await connect(broker.url, { clientId: 'bystander', ...creds.bystander });
      bystanderLoggedIn = true;
      await device.endAsync();
    })();
    await Promise.all([...storm, bystander]);
    const checked = codes.get(4) ?? 0; // bad username or password: the secret was checked
    const throttled = codes.get(3) ?? 0; // server unavailable: refused without a check
    // 20 failures from the address before its back-off (1 s, then 2 s), plus those in flight.
    expect(checked).toBeLessThanOrEqual(40);
    expect(throttled).toBeGreaterThan(100);
    expect(bystanderLoggedIn).toBe(true);
    expect(await refusals('login_backoff')).toBe(throttled);
    await legitimateDevicePublishes();
  });

  it('logs a SUBSCRIBE of 5,000 denied filters in a few lines, and counts every one', async () => {
    const before = await refusals('subscribe_denied');
    const device = await connect(broker.url, { clientId: 'subscriber', ...creds.subscriber });
    clients.push(device);
    const filters = Array.from({ length: 5_000 }, (_, i) => `coldchain/v1/devices/other-${i}/telemetry`);
    // mqtt.js rejects a SUBSCRIBE whose every filter was refused; its SUBACK is on the error.
    const granted = await device.subscribeAsync(filters, { qos: 1 }).then(
      () => [],
      (err: { packet?: { granted?: number[] } }) => err.packet?.granted ?? [],
    );
    expect(granted.filter((g) => g === 128)).toHaveLength(5_000);
    // A few lines one by one, then the rest as counts in a summary line per interval.
    const lines = () => broker.logs.filter((l) => l.reason === 'subscribe_denied');
    const accounted = () =>
      lines().reduce((n, l) => n + (typeof l.suppressed === 'number' ? l.suppressed : 1), 0);
    await until(() => accounted() === 5_000, 5_000, 'every refusal logged or counted in a summary');
    expect(lines().length).toBeLessThanOrEqual(10);
    await until(() => (latestStats.refusals.subscribe_denied ?? 0) === before + 5_000, 3_000, 'exact count');
    await device.endAsync();
    await legitimateDevicePublishes();
  });
});
