// Benchmarks our broker alone against Mosquitto on this machine (issue 3, "Done when"): QoS 1
// telemetry throughput of connected devices with one ingest subscriber, and memory with idle devices.
// Not a test: it prints figures and the issue's goals, and stops by itself.
//
//   pnpm bench:broker [--devices 1000] [--seconds 10] [--warmup 3] [--window 10]
//                     [--idle 10000] [--workers 2] [--concurrency 100] [--profile DIR]
//                     [--persistence memory|redis] [--away 200000]
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { type Credentials, provision } from '../support/broker.js';
import { until } from '../support/mqtt.js';
import { startRedis } from '../support/redis.js';
import { type BrokerUnderTest, startColdchainBroker } from './broker-under-test.js';
import { cleanUp, cleanUpOnExit, onCleanup } from './cleanup.js';
import { type IngestAwayResult, measureIngestAway } from './ingest-away.js';
import { type IngestSubscriber, subscribeAsIngest } from './ingest-subscriber.js';
import { connectFleet, type Fleet } from './load-fleet.js';
import type { DeviceCredentials, LoadCounts } from './load-protocol.js';
import { ensureMosquitto, mosquittoVersion, startMosquitto, writeMosquittoAuth } from './mosquitto.js';
import {
  cpuPercent,
  type MachineCpuSample,
  openFilesLimit,
  type ProcessSample,
  sampleMachineCpu,
  sampleProcess,
} from './proc-stats.js';
import { formatTable, goalLine, ratio } from './report.js';

/** The issue's goals. */
const GOAL_THROUGHPUT_RATIO = 0.5;
const GOAL_IDLE_RSS_MB = 300;
const GOAL_IDLE_DEVICES = 10_000;

/**
 * The broker's per-device rate limit (50/s, burst 500 by default) would cap each device long before
 * the broker itself: the benchmark measures raw capacity, so the limit is set out of reach.
 */
const UNLIMITED_RATE = { MQTT_RATE_PER_SEC: '1000000', MQTT_RATE_BURST: '1000000' };
/** Open files a broker needs besides its client connections (listeners, SQLite, stdio, ...). */
const FD_HEADROOM = 256;
/** The ingest service account, as the ingest service connects (client id = account id). */
const INGEST_ID = 'ingest';
const DRAIN_TIMEOUT_MS = 30_000;
const IDLE_SETTLE_MS = 3_000;
/** Devices publishing while the ingest is away, and the size of each message (a batch of readings). */
const AWAY_DEVICES = 100;
const AWAY_PAYLOAD_BYTES = 2048;
const n = (v: number) => v.toLocaleString('en-US');

type BrokerName = 'coldchain' | 'mosquitto';
const BROKERS: BrokerName[] = ['coldchain', 'mosquitto'];

const args = readArgs();
const startedAt = performance.now();
const say = (line: string) =>
  console.log(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${line}`);

// Every idle device is an open socket in the broker. Node raises its own soft open files limit to
// the hard one at start-up (src/node.cc, RaiseFdLimit) and the brokers and workers inherit it, so
// what we have here is what they get.
const neededFds = Math.max(args.devices, args.idle) + FD_HEADROOM;
const fdLimit = openFilesLimit();
if (fdLimit.soft < neededFds) {
  console.error(
    `${neededFds - FD_HEADROOM} devices need ${neededFds} open files in the broker process, but the ` +
      `limit is ${fdLimit.soft} (ulimit -Hn ${fdLimit.hard}): raise the hard limit or lower --idle/--devices`,
  );
  process.exit(2);
}
/**
 * Every benchmark device connects from 127.0.0.1, which the broker's cap per address (1,000 by
 * default, for a fleet behind NAT) would cut short: that cap is raised to what the run needs. The
 * total cap (50,000), the CONNECT limit, the connect timeout, the CONNECTs per device (each device
 * connects twice) and the back-off after failed logins (none fail) stay at their defaults.
 */
const CONNECTION_CAPS = {
  BROKER_MAX_CONNECTIONS_PER_ADDRESS: String(neededFds),
  BROKER_MAX_CONNECTIONS: String(Math.max(50_000, neededFds)),
};
const OUR_LIMITS = { ...UNLIMITED_RATE, ...CONNECTION_CAPS };
await main();

async function main() {
  cleanUpOnExit(deadlineMs());
  ensureMosquitto();
  const machine = describeMachine();
  say(`machine: ${machine}`);
  say(
    `load: ${args.devices.toLocaleString('en-US')} devices, window ${args.window} QoS 1 publishes each, ` +
      `${args.warmup} s warm-up + ${args.seconds} s measured; ${args.idle.toLocaleString('en-US')} idle devices; ` +
      `deadline ${Math.round(deadlineMs() / 1000)} s`,
  );

  const workDir = mkdtempSync(join(tmpdir(), 'coldchain-bench-'));
  onCleanup(() => rmSync(workDir, { recursive: true, force: true }));
  const { devices, ingest } = await provisionAll(join(workDir, 'metadata'));
  const mosquittoDir = join(workDir, 'mosquitto');
  mkdirSync(mosquittoDir);
  const mosquittoAuth = writeMosquittoAuth(mosquittoDir, devices, ingest);

  let runs = 0;
  const start = async (name: BrokerName): Promise<BrokerUnderTest> => {
    if (name === 'mosquitto') return startMosquitto(mosquittoDir, mosquittoAuth);
    // A fresh data folder per run: same devices, empty spool.
    const dataDir = join(workDir, `coldchain-${++runs}`);
    cpSync(join(workDir, 'metadata'), dataDir, { recursive: true });
    const nodeArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
    if (args.persistence === 'memory') return startColdchainBroker(dataDir, OUR_LIMITS, nodeArgs);
    // A fresh Redis per run, stopped with the broker.
    const redis = await startRedis();
    const forgetRedis = onCleanup(() => redis.stop());
    const broker = await startColdchainBroker(
      dataDir,
      { ...OUR_LIMITS, BROKER_PERSISTENCE: 'redis', BROKER_REDIS_URL: redis.url },
      nodeArgs,
    );
    return {
      ...broker,
      async stop() {
        await broker.stop();
        await redis.stop();
        forgetRedis();
      },
    };
  };

  const throughput: Partial<Record<BrokerName, ThroughputResult>> = {};
  for (const name of BROKERS) {
    throughput[name] = await measureThroughput(
      name,
      () => start(name),
      devices.slice(0, args.devices),
      ingest,
    );
  }
  const idle: Partial<Record<BrokerName, IdleResult>> = {};
  if (args.idle > 0) {
    for (const name of BROKERS)
      idle[name] = await measureIdle(name, () => start(name), devices.slice(0, args.idle));
  }

  const away: Partial<Record<BrokerName, IngestAwayResult>> = {};
  if (args.away > 0) {
    for (const name of BROKERS) {
      const tag = `[${name}] ingest away`;
      say(`${tag}: starting the broker`);
      const broker = await start(name);
      try {
        say(
          `${tag}: ${AWAY_DEVICES} devices publish ${n(args.away)} × ${AWAY_PAYLOAD_BYTES / 1024} KB QoS 1`,
        );
        away[name] = await measureIngestAway({
          broker,
          devices: devices.slice(0, AWAY_DEVICES),
          ingest,
          messages: args.away,
          payloadBytes: AWAY_PAYLOAD_BYTES,
          say: (line) => say(`${tag}: ${line}`),
        });
      } catch (err) {
        throw withBrokerProblems(err, tag, broker);
      } finally {
        await broker.stop();
      }
    }
  }

  printReport(machine, throughput, idle, away);
  await cleanUp();
  process.exit(0);
}

interface ThroughputResult {
  ackedPerSec: number;
  deliveredPerSec: number;
  brokerCpuPct: number;
  brokerPeakRssMb: number;
  loadCpuPct: number;
  /** What the rest of the machine used meanwhile: the broker and the load share it. */
  otherCpuPct: number;
  acked: number;
  delivered: number;
  load: LoadCounts;
  subscriberCloses: number;
  problems: string[];
}

/** Edges of the measuring window. */
interface Mark {
  load: LoadCounts;
  delivered: number;
  broker: ProcessSample;
  workers: ProcessSample[];
  benchCpu: NodeJS.CpuUsage;
  machine: MachineCpuSample;
  atMs: number;
}

async function measureThroughput(
  name: BrokerName,
  start: () => Promise<BrokerUnderTest>,
  devices: DeviceCredentials[],
  ingestCredentials: Credentials,
): Promise<ThroughputResult> {
  const tag = `[${name}] throughput`;
  say(`${tag}: starting the broker`);
  const broker = await start();
  let ingest: IngestSubscriber | undefined;
  let fleet: Fleet | undefined;
  try {
    ingest = await subscribeAsIngest(broker.url, ingestCredentials);
    say(`${tag}: broker pid ${broker.pid} at ${broker.url}; ingest subscribed; connecting devices`);
    fleet = await connectFleet({
      url: broker.url,
      devices,
      workers: workersFor(devices.length),
      concurrencyPerWorker: args.concurrency,
      connectTimeoutMs: 15_000,
      deadlineMs: 60_000 + devices.length * 20,
      onProgress: (c) => say(`${tag}: ${c.connected}/${devices.length} devices connected`),
    });
    const connected = fleet.counts();
    say(
      `${tag}: ${connected.connected} devices connected (${connected.connectFailed} failed) ` +
        `in ${fleet.workerPids.length} worker processes; publishing`,
    );
    const sub = ingest;
    const load = fleet;
    const mark = async (): Promise<Mark> => ({
      load: await load.snapshot(),
      delivered: sub.delivered(),
      broker: sampleProcess(broker.pid),
      workers: load.workerPids.map(sampleProcess),
      benchCpu: process.cpuUsage(),
      machine: sampleMachineCpu(),
      atMs: performance.now(),
    });

    fleet.startPublishing(args.window);
    let phase = 'warm-up';
    let last = { acked: 0, delivered: 0, broker: sampleProcess(broker.pid) };
    const ticker = setInterval(() => {
      const now = {
        acked: load.counts().acked,
        delivered: sub.delivered(),
        broker: sampleProcess(broker.pid),
      };
      const s = (now.broker.atMs - last.broker.atMs) / 1000;
      say(
        `${tag} ${phase}: ${rate(now.acked - last.acked, s)} acked/s, ` +
          `${rate(now.delivered - last.delivered, s)} delivered/s, broker CPU ${cpuPercent(last.broker, now.broker).toFixed(0)}%, ` +
          `RSS ${mb(now.broker.rssKb).toFixed(0)} MB`,
      );
      last = now;
    }, 1_000);
    let from: Mark;
    let to: Mark;
    try {
      await sleep(args.warmup * 1000);
      from = await mark();
      phase = 'measuring';
      await sleep(args.seconds * 1000);
      to = await mark();
    } finally {
      clearInterval(ticker);
    }

    say(`${tag}: stopping the devices, then waiting for the ingest to receive what was acknowledged`);
    const final = await fleet.stop();
    const drained = await until(() => sub.delivered() >= final.acked, DRAIN_TIMEOUT_MS).then(
      () => true,
      () => false,
    );
    if (!drained) say(`${tag}: the ingest had not received everything after ${DRAIN_TIMEOUT_MS / 1000} s`);
    const seconds = (to.atMs - from.atMs) / 1000;
    const workerCpuMs = to.workers.reduce((sum, w, i) => sum + w.cpuMs - (from.workers[i]?.cpuMs ?? 0), 0);
    const benchCpuMs =
      (to.benchCpu.user + to.benchCpu.system - from.benchCpu.user - from.benchCpu.system) / 1000;
    const brokerCpuPct = cpuPercent(from.broker, to.broker);
    const loadCpuPct = ((workerCpuMs + benchCpuMs) / (seconds * 1000)) * 100;
    const machineCpuPct = ((to.machine.busyMs - from.machine.busyMs) / (seconds * 1000)) * 100;
    return {
      ackedPerSec: (to.load.acked - from.load.acked) / seconds,
      deliveredPerSec: (to.delivered - from.delivered) / seconds,
      brokerCpuPct,
      brokerPeakRssMb: mb(sampleProcess(broker.pid).peakRssKb),
      loadCpuPct,
      otherCpuPct: Math.max(0, machineCpuPct - brokerCpuPct - loadCpuPct),
      acked: final.acked,
      delivered: sub.delivered(),
      load: final,
      subscriberCloses: sub.closes(),
      problems: broker.problems(),
    };
  } catch (err) {
    throw withBrokerProblems(err, tag, broker);
  } finally {
    await fleet?.stop().catch(() => undefined);
    await ingest?.close();
    await broker.stop();
  }
}

interface IdleResult {
  devices: number;
  connected: number;
  failed: number;
  unexpectedCloses: number;
  connectsPerSec: number;
  /** All devices dropped at once and connecting again to the same broker. */
  reconnectsPerSec: number;
  baselineRssMb: number;
  rssMb: number;
  peakRssMb: number;
  lastError: string | undefined;
  problems: string[];
}

async function measureIdle(
  name: BrokerName,
  start: () => Promise<BrokerUnderTest>,
  devices: DeviceCredentials[],
): Promise<IdleResult> {
  const tag = `[${name}] idle`;
  say(`${tag}: starting the broker`);
  const broker = await start();
  let fleet: Fleet | undefined;
  try {
    await sleep(1_000);
    const baseline = sampleProcess(broker.pid);
    const workers = workersFor(devices.length);
    say(
      `${tag}: broker pid ${broker.pid}, RSS ${mb(baseline.rssKb).toFixed(0)} MB; connecting ` +
        `${devices.length.toLocaleString('en-US')} devices from ${workers} worker processes, ` +
        `${args.concurrency} connects in flight per worker`,
    );
    const connectAll = (what: string) =>
      connectFleet({
        url: broker.url,
        devices,
        workers,
        concurrencyPerWorker: args.concurrency,
        connectTimeoutMs: 30_000,
        deadlineMs: 120_000 + devices.length * 20,
        onProgress: (c) =>
          say(
            `${tag}: ${c.connected}/${devices.length} ${what}, ${c.connectFailed} failed, ` +
              `broker RSS ${mb(sampleProcess(broker.pid).rssKb).toFixed(0)} MB`,
          ),
      });
    fleet = await connectAll('connected');
    const connectSeconds = fleet.connectSeconds;
    await sleep(IDLE_SETTLE_MS);
    const settled = sampleProcess(broker.pid);
    const counts = fleet.counts();
    say(
      `${tag}: ${counts.connected} connected in ${connectSeconds.toFixed(1)} s; ` +
        `broker RSS ${mb(settled.rssKb).toFixed(0)} MB after ${IDLE_SETTLE_MS / 1000} s idle`,
    );
    // A network drop: every device gone at once, then all of them back at the same broker.
    await fleet.stop();
    fleet = undefined;
    await sleep(1_000);
    say(`${tag}: all devices dropped; reconnecting them to the same broker`);
    fleet = await connectAll('reconnected');
    const reconnects = fleet.counts().connected;
    say(`${tag}: ${reconnects} reconnected in ${fleet.connectSeconds.toFixed(1)} s`);
    return {
      reconnectsPerSec: reconnects / fleet.connectSeconds,
      devices: devices.length,
      connected: counts.connected,
      failed: counts.connectFailed,
      unexpectedCloses: counts.unexpectedCloses,
      connectsPerSec: counts.connected / connectSeconds,
      baselineRssMb: mb(baseline.rssKb),
      rssMb: mb(settled.rssKb),
      peakRssMb: mb(settled.peakRssKb),
      lastError: counts.lastError,
      problems: broker.problems(),
    };
  } catch (err) {
    throw withBrokerProblems(err, tag, broker);
  } finally {
    await fleet?.stop().catch(() => undefined);
    await broker.stop();
  }
}

/** A failed measurement says what the broker logged: often the reason. */
function withBrokerProblems(err: unknown, tag: string, broker: BrokerUnderTest): Error {
  const problems = broker.problems().map((p) => `\n  broker: ${p}`);
  return new Error(`${tag}: ${(err as Error).message}${problems.join('')}`);
}

/** Devices `bench-00001`... (enough for both measurements) and the ingest account, in our store. */
async function provisionAll(dir: string): Promise<{ devices: DeviceCredentials[]; ingest: Credentials }> {
  const count = Math.max(args.devices, args.idle);
  const ids = Array.from({ length: count }, (_, i) => `bench-${String(i + 1).padStart(5, '0')}`);
  say(`provisioning ${count.toLocaleString('en-US')} devices (a salted scrypt hash each)`);
  const devices: DeviceCredentials[] = [];
  const chunk = 1_000;
  for (let i = 0; i < ids.length; i += chunk) {
    const creds = await provision(dir, { devices: ids.slice(i, i + chunk) });
    devices.push(...Object.values(creds).map((c) => ({ id: c.username, password: c.password })));
    say(`provisioned ${devices.length.toLocaleString('en-US')}/${count.toLocaleString('en-US')} devices`);
  }
  const { ingest } = await provision(dir, { services: [{ id: INGEST_ID, role: 'ingest' }] });
  if (!ingest) throw new Error('the ingest account was not provisioned');
  return { devices, ingest };
}

function printReport(
  machine: string,
  throughput: Partial<Record<BrokerName, ThroughputResult>>,
  idle: Partial<Record<BrokerName, IdleResult>>,
  away: Partial<Record<BrokerName, IngestAwayResult>>,
) {
  const [c, m] = [throughput.coldchain, throughput.mosquitto];
  const [ci, mi] = [idle.coldchain, idle.mosquitto];
  const [ca, ma] = [away.coldchain, away.mosquitto];
  const rows = [
    {
      metric: `QoS 1 publishes acked to ${n(args.devices)} devices, msg/s`,
      coldchain: c?.ackedPerSec,
      mosquitto: m?.ackedPerSec,
    },
    {
      metric: 'delivered to the ingest subscriber, msg/s',
      coldchain: c?.deliveredPerSec,
      mosquitto: m?.deliveredPerSec,
    },
    { metric: 'broker CPU, % of one core', coldchain: c?.brokerCpuPct, mosquitto: m?.brokerCpuPct },
    {
      metric: 'broker CPU per acked message, µs',
      coldchain: cpuPerMessageUs(c),
      mosquitto: cpuPerMessageUs(m),
      digits: 1,
    },
    {
      metric: 'broker peak RSS (VmHWM), MB',
      coldchain: c?.brokerPeakRssMb,
      mosquitto: m?.brokerPeakRssMb,
      digits: 1,
    },
    { metric: 'load generator CPU, % of one core', coldchain: c?.loadCpuPct, mosquitto: m?.loadCpuPct },
    { metric: 'other processes CPU, % of one core', coldchain: c?.otherCpuPct, mosquitto: m?.otherCpuPct },
    { metric: 'acked but not delivered after drain', coldchain: lost(c), mosquitto: lost(m) },
  ];
  if (args.idle > 0) {
    rows.push(
      {
        metric: `broker RSS with ${n(args.idle)} idle devices, MB`,
        coldchain: ci?.rssMb,
        mosquitto: mi?.rssMb,
        digits: 1,
      },
      {
        metric: 'RSS per idle device, KB',
        coldchain: perDeviceKb(ci),
        mosquitto: perDeviceKb(mi),
        digits: 1,
      },
      {
        metric: 'connects/s (incl. password check)',
        coldchain: ci?.connectsPerSec,
        mosquitto: mi?.connectsPerSec,
      },
      {
        metric: 'reconnects/s after all devices dropped',
        coldchain: ci?.reconnectsPerSec,
        mosquitto: mi?.reconnectsPerSec,
      },
    );
  }
  if (args.away > 0) {
    rows.push(
      {
        metric: `broker RSS, ingest away, ${n(args.away)} × ${AWAY_PAYLOAD_BYTES / 1024} KB waiting, MB`,
        coldchain: ca?.rssAfterMb,
        mosquitto: ma?.rssAfterMb,
        digits: 1,
      },
      {
        metric: 'the returning ingest has them all, s',
        coldchain: ca?.handOverSeconds,
        mosquitto: ma?.handOverSeconds,
        digits: 1,
      },
    );
  }
  const q = ratio(c?.ackedPerSec, m?.ackedPerSec);
  const idleMet =
    ci && args.idle >= GOAL_IDLE_DEVICES && ci.connected === args.idle
      ? ci.rssMb < GOAL_IDLE_RSS_MB
      : undefined;

  console.log(`\nBroker benchmark — ${machine}`);
  console.log(
    `Load: device clients in ${args.workers} worker processes (child_process.fork), the ingest subscriber ` +
      `(clientId ingest, clean: false, QoS 1) in the benchmark process; each device keeps ${args.window} QoS 1 ` +
      `publishes awaiting PUBACK; ${args.warmup} s warm-up, ${args.seconds} s measured. Loopback 127.0.0.1.`,
  );
  console.log(
    `coldchain: per-device rate limit lifted (MQTT_RATE_PER_SEC=${UNLIMITED_RATE.MQTT_RATE_PER_SEC}, ` +
      `MQTT_RATE_BURST=${UNLIMITED_RATE.MQTT_RATE_BURST}) to measure raw capacity, and the cap of ` +
      `connections per address raised to ${CONNECTION_CAPS.BROKER_MAX_CONNECTIONS_PER_ADDRESS} (every device is ` +
      'on 127.0.0.1; other connection limits at their defaults); every QoS 1 telemetry ' +
      'message is appended to the spool log before its PUBACK and marked removed on the ingest PUBACK; ' +
      `Aedes persistence: ${args.persistence === 'redis' ? 'Redis (aedes-persistence-redis, a local redis-server)' : 'memory'}.`,
  );
  console.log(
    'Mosquitto: password_file (sha512-pbkdf2) + acl_file with the same rules, persistence false, ' +
      'max_inflight_messages 0 and max_queued_messages 0 (as Aedes: no in-flight cap towards the ingest, ' +
      'no drops), otherwise defaults.\n',
  );
  console.log(formatTable(rows, `Mosquitto ${mosquittoVersion()}`));
  console.log('\nGoals (issue 3):');
  console.log(
    goalLine(
      `throughput ≥ ${GOAL_THROUGHPUT_RATIO}× Mosquitto`,
      q === undefined ? undefined : q >= GOAL_THROUGHPUT_RATIO,
      q === undefined ? 'n/a' : `${q.toFixed(2)}×`,
    ),
  );
  console.log(
    goalLine(
      `RSS < ${GOAL_IDLE_RSS_MB} MB with ${n(GOAL_IDLE_DEVICES)} idle devices`,
      idleMet,
      ci
        ? `${ci.rssMb.toFixed(1)} MB with ${n(ci.connected)}/${n(args.idle)} connected`
        : 'not run (--idle 0)',
    ),
  );
  const notes = [...BROKERS.flatMap((b) => runNotes(b, throughput[b], idle[b]))];
  if (notes.length > 0) console.log(`\nNotes:\n${notes.map((l) => `  ${l}`).join('\n')}`);
}

function runNotes(name: BrokerName, t: ThroughputResult | undefined, i: IdleResult | undefined): string[] {
  const notes: string[] = [];
  if (t) {
    const l = t.load;
    if (l.connectFailed || l.publishErrors || l.unexpectedCloses || t.subscriberCloses) {
      notes.push(
        `${name} throughput: ${l.connectFailed} connects failed, ${l.publishErrors} publish errors, ` +
          `${l.unexpectedCloses} device disconnects, ${t.subscriberCloses} ingest disconnects` +
          (l.lastError ? ` (last error: ${l.lastError})` : ''),
      );
    }
    const machinePct = t.brokerCpuPct + t.loadCpuPct + t.otherCpuPct;
    if (t.brokerCpuPct < 85) {
      notes.push(
        machinePct > availableParallelism() * 90
          ? `${name} throughput: broker CPU ${t.brokerCpuPct.toFixed(0)}% while all ${availableParallelism()} CPUs ` +
              `were busy (broker ${t.brokerCpuPct.toFixed(0)}%, load ${t.loadCpuPct.toFixed(0)}%, other ` +
              `processes ${t.otherCpuPct.toFixed(0)}%): the figures are CPU-bound on a shared machine`
          : `${name} throughput: broker CPU ${t.brokerCpuPct.toFixed(0)}% < 85% with CPUs to spare: ` +
              'the load generator or round trips are the limit',
      );
    }
    notes.push(...t.problems.slice(0, 10).map((p) => `${name} throughput log: ${p}`));
  }
  if (i) {
    if (i.failed || i.unexpectedCloses) {
      notes.push(
        `${name} idle: ${i.failed} connects failed, ${i.unexpectedCloses} disconnects` +
          (i.lastError ? ` (last error: ${i.lastError})` : ''),
      );
    }
    notes.push(
      `${name} idle: RSS ${i.baselineRssMb.toFixed(1)} MB before connecting, peak ${i.peakRssMb.toFixed(1)} MB while connecting`,
    );
    notes.push(...i.problems.slice(0, 10).map((p) => `${name} idle log: ${p}`));
  }
  return notes;
}

/** Broker CPU time per message: comparable even when the brokers got different shares of the CPUs. */
function cpuPerMessageUs(t: ThroughputResult | undefined): number | undefined {
  return t && t.ackedPerSec > 0 ? ((t.brokerCpuPct / 100) * 1e6) / t.ackedPerSec : undefined;
}

function lost(t: ThroughputResult | undefined): number | undefined {
  return t ? Math.max(0, t.acked - t.delivered) : undefined;
}

/** What each idle connection added to the broker's RSS. */
function perDeviceKb(i: IdleResult | undefined): number | undefined {
  return i && i.connected > 0 ? ((i.rssMb - i.baselineRssMb) * 1024) / i.connected : undefined;
}

/** Each worker holds its connections' sockets: enough workers to keep each under the open files limit. */
function workersFor(devices: number): number {
  return Math.max(args.workers, Math.ceil(devices / (fdLimit.soft - FD_HEADROOM)));
}

function describeMachine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return (
    `${availableParallelism()} CPUs (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, ` +
    `node ${process.version}, mosquitto ${mosquittoVersion()}`
  );
}

/** An upper bound for the whole run, after which it stops and cleans up whatever it was doing. */
function deadlineMs(): number {
  const provisionS = Math.max(args.devices, args.idle) * 0.01;
  const throughputS = 60 + args.devices * 0.02 + args.warmup + args.seconds + DRAIN_TIMEOUT_MS / 1000;
  const idleS = args.idle > 0 ? 60 + args.idle * 0.04 : 0;
  const awayS = args.away > 0 ? 60 + args.away * 0.002 : 0;
  return (120 + provisionS + 2 * (throughputS + idleS + awayS)) * 1000;
}

function persistenceArg(value: string): 'memory' | 'redis' {
  if (value === 'memory' || value === 'redis') return value;
  console.error(`--persistence must be memory or redis, got ${value}`);
  process.exit(2);
}

function readArgs() {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      window: { type: 'string', default: '10' },
      idle: { type: 'string', default: String(GOAL_IDLE_DEVICES) },
      workers: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '100' },
      away: { type: 'string', default: '200000' },
      profile: { type: 'string' },
      persistence: { type: 'string', default: 'memory' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: pnpm bench:broker [options]
  --devices N      devices publishing QoS 1 telemetry (1000)
  --seconds S      measured seconds of publishing (10), after --warmup S (3)
  --window N       publishes awaiting PUBACK per device (10)
  --idle N         idle devices for the memory measurement, 0 to skip (10000)
  --workers N      load worker processes holding the device clients (2)
  --concurrency N  connects in flight per worker (100)
  --away N         messages devices publish while the ingest is away (200000), 0 to skip
  --profile DIR    write a V8 CPU profile of our broker per run into DIR (open in Chrome DevTools)
  --persistence P  our broker's Aedes persistence: memory (default) or redis (a throwaway
                   redis-server per run)`);
    process.exit(0);
  }
  const int = (flag: string, value: string, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      console.error(`--${flag} must be an integer ≥ ${min}, got ${value}`);
      process.exit(2);
    }
    return n;
  };
  return {
    devices: int('devices', values.devices, 1),
    seconds: int('seconds', values.seconds, 1),
    warmup: int('warmup', values.warmup, 0),
    window: int('window', values.window, 1),
    idle: int('idle', values.idle, 0),
    workers: int('workers', values.workers, 1),
    concurrency: int('concurrency', values.concurrency, 1),
    away: int('away', values.away, 0),
    profile: values.profile ? resolve(values.profile) : undefined,
    persistence: persistenceArg(values.persistence),
  };
}

// Function declarations, not arrow constants: the top-level `await main()` above runs before
// constants down here are initialised.
function mb(kb: number): number {
  return kb / 1024;
}

function rate(count: number, seconds: number): string {
  return seconds > 0 ? Math.round(count / seconds).toLocaleString('en-US') : '0';
}
