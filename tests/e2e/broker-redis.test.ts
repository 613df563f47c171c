import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrokerProcess,
  type Credentials,
  provision,
  restartBrokerProcess,
  startBrokerProcess,
} from '../support/broker.js';
import { connect, until } from '../support/mqtt.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { startService } from '../support/service-process.js';

const TELEMETRY_FILTER = 'coldchain/v1/devices/+/telemetry';
const telemetry = (id: string) => `coldchain/v1/devices/${id}/telemetry`;
const status = (id: string) => `coldchain/v1/devices/${id}/status`;
const reading = (seq: number) =>
  JSON.stringify({ v: 1, readings: [{ ts: Date.now(), seq, temp: { air: 1.5 } }] });
const seqOf = (payload: Buffer) =>
  (JSON.parse(payload.toString()) as { readings: Array<{ seq: number }> }).readings[0]?.seq;

describe('the broker with Redis persistence (BROKER_PERSISTENCE=redis)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-redis-'));
  let redis: RedisServer;
  let env: Record<string, string>;
  let broker: BrokerProcess;
  let creds: Record<string, Credentials>;
  const clients: MqttClient[] = [];
  const client = async (id: string, opts: { clean?: boolean; clientId?: string } = {}) => {
    const c = await connect(broker.url, {
      clientId: opts.clientId ?? id,
      clean: opts.clean ?? true,
      ...creds[id],
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await startRedis();
    env = { BROKER_PERSISTENCE: 'redis', BROKER_REDIS_URL: redis.url, BROKER_STATS_INTERVAL_MS: '100' };
    creds = await provision(dataDir, {
      devices: ['reefer-1', 'reefer-2'],
      services: [
        { id: 'ingest', role: 'ingest' },
        { id: 'api', role: 'api' },
      ],
    });
    broker = await startBrokerProcess(dataDir, env);
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the ingest session, its queued messages and retained status through a broker crash', async () => {
    expect(broker.logs.some((l) => l.persistence === 'redis')).toBe(true);
    const ingest = await client('ingest', { clean: false });
    await ingest.subscribeAsync(TELEMETRY_FILTER, { qos: 1 });
    await ingest.endAsync();

    // The ingest is away: the device's messages queue in its session, in Redis.
    const device = await client('reefer-1');
    for (let seq = 1; seq <= 5; seq++)
      await device.publishAsync(telemetry('reefer-1'), reading(seq), { qos: 1 });
    await device.endAsync();
    // The broker marks the device offline (retained) once it has gone.
    const watcher = await client('api');
    const seen = new Map<string, string>();
    watcher.on('message', (t, p) => seen.set(t, p.toString()));
    await watcher.subscribeAsync([status('reefer-1'), status('reefer-2')], { qos: 1 });
    await until(() => seen.get(status('reefer-1')) === 'offline', 5_000, 'retained offline status');
    // Another device is online when the broker crashes, and does not come back.
    await client('reefer-2');
    await until(() => seen.get(status('reefer-2')) === 'online', 5_000, 'reefer-2 online');
    watcher.end(true);
    await broker.kill();
    broker = await restartBrokerProcess(dataDir, broker, env);

    // The session is back: without subscribing again, the ingest receives what was queued for it.
    const received: number[] = [];
    const back = await connect(broker.url, { clientId: 'ingest', clean: false, ...creds.ingest }, (c) =>
      c.on('message', (_t, payload) => {
        const seq = seqOf(payload);
        if (seq !== undefined) received.push(seq);
      }),
    );
    clients.push(back);
    await until(() => received.length >= 5, 10_000, 'the five queued messages');
    expect([...received].sort()).toEqual([1, 2, 3, 4, 5]);

    const api = await client('api', { clientId: 'api:stats' });
    let spoolDepth = -1;
    const retained: string[] = [];
    api.on('message', (t, p) => {
      if (t.endsWith('/status')) retained.push(p.toString());
      else spoolDepth = (JSON.parse(p.toString()) as { spoolDepth: number }).spoolDepth;
    });
    await api.subscribeAsync([status('reefer-1'), status('reefer-2'), '$SYS/coldchain/broker/stats'], {
      qos: 0,
    });
    await until(() => retained.length >= 2, 5_000, 'retained status after the restart');
    // reefer-1 went offline before the crash; reefer-2's "online" was left by the crashed broker.
    expect(retained.slice(0, 2)).toEqual(['offline', 'offline']);
    // The ingest's acknowledgements emptied the spool, though Redis handed back copies of the packets.
    await until(() => spoolDepth === 0, 5_000, 'an empty spool');
  });

  it('refuses to start when Redis cannot be reached, saying where it looked', async () => {
    const refused = startService('broker', {
      COLDCHAIN_DATA_DIR: dataDir,
      MQTT_PORT: '0',
      MQTT_WS_PORT: '0',
      BROKER_PERSISTENCE: 'redis',
      BROKER_REDIS_URL: 'redis://127.0.0.1:1',
    });
    const exitCode = await new Promise<number | null>((resolve) => refused.child.once('close', resolve));
    expect(exitCode).not.toBe(0);
    const fatal = refused.logs.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(
      /^could not start: cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(BROKER_REDIS_URL\)/,
    );
  });
});
