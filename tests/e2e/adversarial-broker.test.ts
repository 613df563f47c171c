import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/context.js';
import { runProvisionCli } from '../support/broker.js';
import { closedByBroker, connect, until } from '../support/mqtt.js';
import { type Pipeline, startPipeline, type WireReading, waitForStored } from '../support/pipeline.js';
import { connectPacket, publishPacket, rawMqtt } from '../support/raw-mqtt.js';
import { type RedisServer, startRedis } from '../support/redis.js';

const telemetry = (id: string) => `coldchain/v1/devices/${id}/telemetry`;
const commands = (id: string) => `coldchain/v1/devices/${id}/commands`;
const HOUR = 3_600_000;

interface BrokerStatsSample {
  spoolDepth: number;
  messagesAcked: number;
}

/**
 * The holes a hostile device with valid credentials found, each attacked against the real broker
 * and ingest processes, with the broker's in-memory and its Redis persistence. Between attacks a
 * well-behaved device keeps publishing; at the end both services are the processes that started,
 * every valid reading is in InfluxDB exactly once, and the attacker has received nothing but its
 * own commands.
 */
describe.each(['memory', 'redis'] as const)(
  'a hostile device against the broker and ingest (%s persistence)',
  (persistence) => {
    const influx = inject('influx');
    let redis: RedisServer | undefined;
    let pipeline: Pipeline;
    let api: MqttClient;
    let stats: BrokerStatsSample | undefined;
    const statusSeen: Array<{ topic: string; payload: string }> = [];
    const clients: MqttClient[] = [];
    /** Everything the attacker received, on any connection. */
    const attackerReceived: string[] = [];
    /** Device ids of this run: the two runs share one InfluxDB bucket. */
    const honestId = `${persistence}-honest`;
    const mallory = `${persistence}-mallory`;
    const bob = `${persistence}-bob`;
    const carol = `${persistence}-carol`;
    /** Valid readings the broker took (acknowledged or, for a closed socket, spooled), to find in InfluxDB at the end. */
    const sent = new Map<string, WireReading[]>();
    const startMs = Date.now() - 2 * HOUR;
    let nextTs = startMs;
    /** A new valid reading of `device`, counted as sent. */
    const reading = (device: string, air = 4.5): string => {
      const list = sent.get(device) ?? [];
      sent.set(device, list);
      const wire: WireReading = { ts: nextTs, seq: list.length + 1, temp: { air } };
      nextTs += 1000;
      list.push(wire);
      return JSON.stringify({ v: 1, readings: [wire] });
    };
    const pids = { broker: 0, ingest: 0 };

    const device = async (
      id: string,
      opts: Parameters<typeof connect>[1] = {},
      setup?: (c: MqttClient) => void,
    ) => {
      const c = await connect(pipeline.broker.url, { clientId: id, ...pipeline.creds[id], ...opts }, setup);
      clients.push(c);
      return c;
    };
    /** The honest device sends `n` readings, QoS 1, each acknowledged before it counts. */
    const honest = async (n: number) => {
      const c = await device(honestId);
      for (let i = 0; i < n; i++) {
        await c.publishAsync(telemetry(honestId), reading(honestId), { qos: 1 });
      }
      await c.endAsync();
    };
    const spoolDrains = () => until(() => stats?.spoolDepth === 0, 20_000, 'the spool to drain');

    beforeAll(async () => {
      if (persistence === 'redis') redis = await startRedis();
      pipeline = await startPipeline({
        influx,
        devices: [honestId, mallory, bob, carol],
        brokerEnv: {
          BROKER_STATS_INTERVAL_MS: '100',
          BROKER_REVOCATION_POLL_MS: '200',
          ...(redis ? { BROKER_PERSISTENCE: 'redis', BROKER_REDIS_URL: redis.url } : {}),
        },
      });
      pids.broker = pipeline.broker.child.pid ?? 0;
      pids.ingest = pipeline.ingest.child.pid ?? 0;
      api = await connect(pipeline.broker.url, { clientId: 'api', ...pipeline.creds.api });
      clients.push(api);
      api.on('message', (topic, payload) => {
        if (topic === '$SYS/coldchain/broker/stats')
          stats = JSON.parse(payload.toString()) as BrokerStatsSample;
        else statusSeen.push({ topic, payload: payload.toString() });
      });
      await api.subscribeAsync(['$SYS/coldchain/broker/stats', 'coldchain/v1/devices/+/status'], { qos: 0 });
      await until(() => stats !== undefined, 10_000, 'broker statistics');
    });

    afterAll(async () => {
      for (const c of clients) c.end(true);
      await pipeline?.stop();
      await redis?.stop();
    });

    it('delivers nothing outside its ACL to a persistent session that mixed an allowed and a forbidden filter', async () => {
      const collectAll = (c: MqttClient) => c.on('message', (topic) => attackerReceived.push(topic));
      const attacker = await device(mallory, { clean: false }, collectAll);
      // One SUBSCRIBE, in this order: the allowed filter first, so Aedes has stored the list before it
      // sees the refused ones.
      const granted = await new Promise<number[]>((resolve) =>
        attacker.subscribe(
          [commands(mallory), '#', 'coldchain/v1/devices/+/telemetry', 'coldchain/v1/alerts/#'],
          { qos: 1 },
          // mqtt.js reports a SUBACK with a refusal as an error that carries the packet.
          (err, grants) =>
            resolve(
              (err as { packet?: { granted: number[] } } | null)?.packet?.granted ??
                (grants ?? []).map((g) => g.qos),
            ),
        ),
      );
      expect(granted).toEqual([1, 128, 128, 128]);
      await attacker.endAsync();

      // While it is away: the fleet's telemetry, another device's command, and one of its own.
      await honest(5);
      await api.publishAsync(commands(bob), '{"cmd":"setpoint","value":4}', { qos: 1 });
      await api.publishAsync(commands(mallory), '{"cmd":"ping"}', { qos: 1 });

      const back = await device(mallory, { clean: false }, collectAll);
      // Its own command was queued and arrives: the session works, so silence elsewhere means something.
      await until(() => attackerReceived.includes(commands(mallory)), 5_000, 'its own queued command');
      await honest(3);
      await api.publishAsync(commands(bob), '{"cmd":"setpoint","value":5}', { qos: 1 });
      await new Promise((r) => setTimeout(r, 500));
      await back.endAsync();
      expect(attackerReceived.filter((t) => t !== commands(mallory))).toEqual([]);
    });

    it('refuses a device publishing its own status (the broker owns it)', async () => {
      const attacker = await device(mallory);
      attacker.publish(`coldchain/v1/devices/${mallory}/status`, 'forged', { qos: 1, retain: true });
      await closedByBroker(attacker);
      await honest(2);
      await new Promise((r) => setTimeout(r, 300));
      expect(statusSeen.filter((s) => s.payload === 'forged')).toEqual([]);
    });

    it('refuses at CONNECT a will the device could not publish itself', async () => {
      for (const topic of [
        telemetry(bob),
        `coldchain/v1/devices/${mallory}/status`,
        '$SYS/anything',
        'elsewhere',
      ]) {
        await expect(
          device(mallory, { will: { topic, payload: Buffer.from('x'), qos: 1, retain: false } }),
        ).rejects.toThrow(/Not authorized/i);
      }
      // Its own telemetry is a will it may leave.
      const ok = await device(mallory, {
        will: { topic: telemetry(mallory), payload: Buffer.from('{}'), qos: 0, retain: false },
      });
      await ok.endAsync();
    });

    it('takes QoS 2 telemetry as safely as QoS 1 and leaves nothing in the spool', async () => {
      const c = await device(bob);
      for (let i = 0; i < 20; i++) {
        await c.publishAsync(telemetry(bob), reading(bob), { qos: 2 }); // resolves on PUBCOMP
      }
      await c.endAsync();
      // A retransmission of the same QoS 2 packet id (DUP), then its PUBREL.
      const raw = await rawMqtt(pipeline.broker.port);
      const bobCreds = pipeline.creds[bob] as { username: string; password: string };
      raw.send(connectPacket(bob, bobCreds.username, bobCreds.password));
      await raw.next((p) => p.cmd === 'connack');
      const once = reading(bob);
      raw.send(publishPacket(telemetry(bob), once, 2, 77));
      await raw.next((p) => p.cmd === 'pubrec');
      raw.send(publishPacket(telemetry(bob), once, 2, 77, true));
      raw.send({ cmd: 'pubrel', messageId: 77 });
      await raw.next((p) => p.cmd === 'pubcomp');
      raw.socket.end();
      await raw.closed;
      await spoolDrains();
    });

    it('routes the messages a device sent just before its socket closed, and keeps nothing spooled', async () => {
      const raw = await rawMqtt(pipeline.broker.port);
      const bobCreds = pipeline.creds[bob] as { username: string; password: string };
      raw.send(connectPacket(bob, bobCreds.username, bobCreds.password));
      await raw.next((p) => p.cmd === 'connack');
      const burst = Array.from({ length: 200 }, (_, i) =>
        publishPacket(telemetry(bob), reading(bob), 1, i + 1),
      );
      // 200 PUBLISHes and the end of the stream in one go: the PUBACKs find the socket closed.
      raw.send(...burst);
      raw.socket.end();
      await raw.closed;
      await spoolDrains();
      await honest(2);
    });

    it('publishes no will of a device revoked while connected', async () => {
      const probe = await connect(pipeline.broker.url, {
        clientId: 'ingest:probe',
        ...pipeline.creds.ingest,
      });
      clients.push(probe);
      const events: string[] = [];
      probe.on('message', (topic, payload) => {
        if (topic === `coldchain/v1/devices/${carol}/events`) events.push(payload.toString());
      });
      // QoS 0: the probe acknowledges nothing, so the spool waits for the real ingest alone.
      await probe.subscribeAsync('coldchain/v1/devices/+/events', { qos: 0 });
      const will = JSON.stringify({ v: 1, events: [{ ts: Date.now(), type: 'power', state: 'lost' }] });
      const revoked = await device(carol, {
        will: {
          topic: `coldchain/v1/devices/${carol}/events`,
          payload: Buffer.from(will),
          qos: 1,
          retain: false,
        },
      });
      const closed = closedByBroker(revoked, 10_000);
      await runProvisionCli(pipeline.dataDir, ['disable', carol]);
      await closed;
      await new Promise((r) => setTimeout(r, 1_000));
      expect(events).toEqual([]);
      // Re-enabled, the device connects again (the probe still listens: a will would show now too).
      await runProvisionCli(pipeline.dataDir, ['enable', carol]);
    });

    it('leaves the broker and ingest running, every valid reading stored exactly once', async () => {
      await honest(3);
      expect(pipeline.broker.child.exitCode).toBeNull();
      expect(pipeline.ingest.child.exitCode).toBeNull();
      expect(pipeline.broker.child.pid).toBe(pids.broker);
      expect(pipeline.ingest.child.pid).toBe(pids.ingest);
      const result = await waitForStored(influx, sent, `${persistence}-`, startMs, nextTs + 1);
      const want = [...sent.values()].reduce((a, r) => a + r.length, 0);
      expect(result).toEqual({ missing: 0, wrong: 0, extra: 0, total: want });
      expect(attackerReceived.filter((t) => t !== commands(mallory))).toEqual([]);
    });
  },
);

describe('wills left by a broker that was killed (Redis persistence)', () => {
  let redis: RedisServer;
  const influx = inject('influx');
  let pipeline: Pipeline;

  beforeAll(async () => {
    redis = await startRedis();
    pipeline = await startPipeline({
      influx,
      devices: ['reefer-9'],
      // Heartbeats every 250 ms: a broker silent for 750 ms is gone, and wills are swept every second.
      brokerEnv: {
        BROKER_PERSISTENCE: 'redis',
        BROKER_REDIS_URL: redis.url,
        BROKER_HEARTBEAT_INTERVAL_MS: '250',
      },
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
    await redis?.stop();
  });

  it('drops them at the next start instead of failing on them every sweep', async () => {
    const will = JSON.stringify({ v: 1, readings: [{ ts: Date.now(), seq: 1, temp: { air: 4 } }] });
    const reefer = await connect(pipeline.broker.url, {
      clientId: 'reefer-9',
      ...pipeline.creds['reefer-9'],
      will: { topic: telemetry('reefer-9'), payload: Buffer.from(will), qos: 1, retain: false },
    });
    await pipeline.ingest.stop();
    await pipeline.broker.kill();
    reefer.end(true);
    await pipeline.restartBroker();
    const probe = await connect(pipeline.broker.url, { clientId: 'ingest:probe', ...pipeline.creds.ingest });
    const got: string[] = [];
    probe.on('message', (topic) => got.push(topic));
    await probe.subscribeAsync('coldchain/v1/devices/+/telemetry', { qos: 0 });
    await pipeline.broker.waitForLog((l) => /dropped a will/.test(l.msg ?? ''), 10_000);
    // Several sweeps later the broker still runs and the will went nowhere.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(pipeline.broker.child.exitCode).toBeNull();
    expect(got).toEqual([]);
    probe.end(true);
    await pipeline.startIngest();
  });
});
