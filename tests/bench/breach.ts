// Benchmarks breach-to-alert latency on this machine (issue 5, "Benchmark"): from the publish of the
// reading that completes a breach to the alert arriving on MQTT (`coldchain/v1/alerts/{shipmentId}`,
// received as the api account), while the pipeline carries batched background telemetry; then the
// breach engine's throughput in isolation (readings/s on one core).
// Not a test: it prints figures and the issue's goal, and stops by itself.
//
//   pnpm bench:breach [--samples 200] [--warmup-breaches 5] [--interval-ms 100] [--arm-ms 1000] [--warmup 8]
//                     [--background 5000] [--background-devices 10] [--batch 100]
//                     [--background-legs on|off] [--backlog-samples 20] [--engine-seconds 3]
//                     [--leg-readings 100000] [--no-build]
// Then the delay added to alerts found inside a backlog: devices flush two hours of readings with a
// critical one among them, and the alert is held until the device has settled (ALERT_SETTLE_MS).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  createEngineState,
  ingest as foldIn,
  type Profile,
  parseProfiles,
  type Reading,
} from '@coldchain/coldchain';
import { formatDeviceTopic, SHIPMENT_ALERTS_TOPIC_FILTER } from '@coldchain/schema';
import { createSqliteStore } from '@coldchain/store';
import type { MqttClient } from 'mqtt';
import { type Credentials, provision } from '../support/broker.js';
import { connect } from '../support/mqtt.js';
import { repoRoot } from '../support/service-process.js';
import { type BrokerUnderTest, startColdchainBroker } from './broker-under-test.js';
import { cleanUp, cleanUpOnExit, onCleanup } from './cleanup.js';
import { startTelemetryLoad, type TelemetryLoad } from './ingest-load.js';
import { wallMs } from './ingest-load-protocol.js';
import { every } from './ingest-loop.js';
import {
  type CpuShare,
  cpuLine,
  cpuMark,
  cpuShare,
  describeMachine,
  intOption as int,
  mb,
  type PipelinePids,
  progressPrinter,
  rate,
  samplePipeline,
} from './ingest-measure.js';
import {
  buildServices,
  findOrBuildInfluxd,
  finishCleanupOnRepeatedSignals,
  type IngestMetricsSample,
  type IngestUnderTest,
  percentile,
  scrapeIngestMetrics,
  startIngestProcess,
  startThrowawayInflux,
  sumOf,
} from './ingest-pipeline.js';
import type { DeviceCredentials } from './load-protocol.js';
import { goalLine } from './report.js';

/** The issue's goal. */
const GOAL_P99_MS = 250;
/** A profile with a critical boundary that fires at once (delayMs 0): frozen food, critical high −15 °C. */
const PROFILE_ID = 'frozen';
const CRITICAL_BOUNDARY_ID = 'critical-high';
const ALERT_TIMEOUT_MS = 10_000;
/** Readings a minute apart in each backlog: two hours, so the leg has no data gap before them. */
const BACKLOG_READINGS = 120;
/** CPU (% of one core) used by processes outside the benchmark above which the run is flagged. */
const BUSY_MACHINE_PCT = 20;

const args = readArgs();
const say = progressPrinter();

await main();

interface Sample {
  shipmentId: string;
  device: DeviceCredentials;
  /** Sent before the measurement (first alerts of the process: statements, JIT) and left out of it. */
  warmup: boolean;
  /** The breach is inside a backlog of past readings, not live. */
  backlog: boolean;
  /** Seconds from the first measured breach. */
  offsetS?: number;
  /** performance.now() and wall clock just before the breaching reading was handed to mqtt.js. */
  publishedAt?: number;
  publishedWallMs?: number;
  breachTsMs?: number;
  alertAt?: number;
  /** When the ingest raised the alert (`detectedAtMs`, its wall clock). */
  detectedAtMs?: number;
  alertStartMs?: number;
  publishError?: string;
}

async function main() {
  cleanUpOnExit(deadlineMs());
  finishCleanupOnRepeatedSignals();
  if (args.build) buildServices(say);
  const machine = describeMachine();
  say(`machine: ${machine}`);
  say(
    `load average before starting: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const profile = frozenProfile();
  const critical = profile.temperature.boundaries.find((b) => b.id === CRITICAL_BOUNDARY_ID);
  if (critical?.delayMs !== 0 || critical.direction !== 'upper') {
    throw new Error(`profile ${PROFILE_ID} has no immediate upper boundary ${CRITICAL_BOUNDARY_ID}`);
  }
  const highC = profile.temperature.targetC?.highC ?? critical.limitC - 3;
  // Well inside the range, and well beyond the critical limit (so no hysteresis question arises).
  const inRangeC = highC - 2;
  const breachC = critical.limitC + 5;
  say(
    `profile ${PROFILE_ID}: critical high ${critical.limitC} °C (delay 0), settle ${profile.settleMs / 60_000} min; ` +
      `each breach: ${inRangeC} °C, then ${breachC} °C ${args.armMs} ms later on a fresh device and custody leg`,
  );

  const influxd = await findOrBuildInfluxd((line) => say(`influxd: ${line}`));
  const workDir = mkdtempSync(join(tmpdir(), 'coldchain-bench-breach-'));
  onCleanup(() => rmSync(workDir, { recursive: true, force: true }));
  const dataDir = join(workDir, 'data');

  const benchStartMs = Date.now();
  // Legs start a settle period and a minute before now: readings from now on are judged, and the
  // data-gap rule (15 min in this profile) cannot fire during the run.
  const legFromMs = benchStartMs - profile.settleMs - 60_000;
  if (deadlineMs() > profile.maxGapMs - 60_000) {
    say(
      `note: the run may outlast the profile's ${profile.maxGapMs / 60_000} min data gap: gap alerts may appear`,
    );
  }
  const { samples, background, ingest, api } = await provisionAll(dataDir, legFromMs);

  let influx: Awaited<ReturnType<typeof startThrowawayInflux>> | undefined;
  let broker: BrokerUnderTest | undefined;
  let ingestProcess: IngestUnderTest | undefined;
  let load: TelemetryLoad | undefined;
  const clients: MqttClient[] = [];
  onCleanup(() => Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined))));
  let result: PipelineResult;
  try {
    influx = await startThrowawayInflux(influxd, workDir);
    // The broker's defaults, per-device rate limit included: every device here stays well under it.
    broker = await startColdchainBroker(dataDir, {});
    ingestProcess = await startIngestProcess({ dataDir, mqttUrl: broker.url, ingest, influx });
    say(
      `InfluxDB ${influx.version} pid ${influx.pid}, broker pid ${broker.pid} at ${broker.url}, ingest pid ` +
        `${ingestProcess.pid} (INGEST_JOURNAL_SYNC=always, BREACH_TICK_MS default)`,
    );

    const byShipment = new Map(samples.map((s) => [s.shipmentId, s]));
    const otherAlerts = new Map<string, number>();
    const subscriber = await connect(broker.url, {
      clientId: 'api:bench-breach',
      username: api.username,
      password: api.password,
      clean: true,
    });
    clients.push(subscriber);
    subscriber.on('message', (_topic, payload) => {
      const at = performance.now();
      const event = JSON.parse(payload.toString('utf8')) as {
        event?: string;
        alert?: { shipmentId?: string | null; rule?: string; detectedAtMs?: number; startMs?: number };
      };
      const s = event.alert?.shipmentId ? byShipment.get(event.alert.shipmentId) : undefined;
      if (
        s &&
        event.event === 'alert.created' &&
        event.alert?.rule === 'critical' &&
        s.alertAt === undefined
      ) {
        s.alertAt = at;
        if (event.alert.detectedAtMs !== undefined) s.detectedAtMs = event.alert.detectedAtMs;
        if (event.alert.startMs !== undefined) s.alertStartMs = event.alert.startMs;
        return;
      }
      const key = `${event.event ?? '?'} ${event.alert?.rule ?? '?'}${s ? '' : ' (not a sample shipment)'}`;
      otherAlerts.set(key, (otherAlerts.get(key) ?? 0) + 1);
    });
    const granted = await subscriber.subscribeAsync(SHIPMENT_ALERTS_TOPIC_FILTER, { qos: 1 });
    if (granted[0]?.qos !== 1) throw new Error(`alerts subscription refused: ${JSON.stringify(granted)}`);

    say(`connecting ${samples.length} breach devices`);
    const sampleClients = await connectAll(
      broker.url,
      samples.map((s) => s.device),
    );
    clients.push(...sampleClients);

    say(
      `background: ${background.length} devices${args.backgroundLegs ? ' (each on a custody leg)' : ''}, ` +
        `${args.batch} readings per message, ${args.background.toLocaleString('en-US')} readings/s`,
    );
    load = await startTelemetryLoad({
      url: broker.url,
      devices: background,
      workers: 1,
      // Event times 1 ms apart per device from shortly after the legs' settle period.
      shape: {
        readingsPerMessage: args.batch,
        firstTsMs: legFromMs + profile.settleMs + 10_000,
        productTempC: inRangeC,
      },
      window: 10,
    });
    load.pace(args.background);
    result = await measure({
      samples,
      sampleClients,
      load,
      metricsUrl: ingestProcess.metricsUrl,
      pids: { broker: broker.pid, ingest: ingestProcess.pid, influxd: influx.pid },
      inRangeC,
      breachC,
      otherAlerts,
    });
    result.problems = { broker: broker.problems(), ingest: ingestProcess.problems() };
  } catch (err) {
    const logged = [
      ...(broker?.problems() ?? []).map((p) => `\n  broker: ${p}`),
      ...(ingestProcess?.problems() ?? []).map((p) => `\n  ingest: ${p}`),
    ];
    throw new Error(`${(err as Error).message}${logged.join('')}`);
  } finally {
    await load?.stop().catch(() => undefined);
    await Promise.all(clients.splice(0).map((c) => c.endAsync().catch(() => undefined)));
    await ingestProcess?.stop();
    await broker?.stop();
    await influx?.stop();
  }

  say(
    `engine in isolation: folding in-order readings into one leg after another, ${args.engineSeconds} s per batch size`,
  );
  const engine = [1, args.batch].map((batch) => measureEngine(profile, batch, inRangeC, breachC));
  printReport(machine, result, engine);
  await cleanUp();
  process.exit(0);
}

interface PipelineResult {
  samples: Sample[];
  seconds: number;
  backgroundPublishedPerSec: number;
  backgroundWrittenPerSec: number;
  cpu: CpuShare;
  peakRssMb: { broker: number; ingest: number; influxd: number };
  metrics: IngestMetricsSample;
  otherAlerts: Map<string, number>;
  problems: { broker: string[]; ingest: string[] };
  loadErrors: string | undefined;
}

async function measure(ctx: {
  samples: Sample[];
  sampleClients: MqttClient[];
  load: TelemetryLoad;
  metricsUrl: string;
  pids: PipelinePids;
  inRangeC: number;
  breachC: number;
  otherAlerts: Map<string, number>;
}): Promise<PipelineResult> {
  const { samples, load, pids } = ctx;
  let metrics = await scrapeIngestMetrics(ctx.metricsUrl);
  const metricsLoop = every(250, async () => {
    metrics = await scrapeIngestMetrics(ctx.metricsUrl);
  });
  let phaseName = 'warm-up';
  let last = {
    at: performance.now(),
    published: load.counts().publishedReadings,
    written: metrics.writtenLines,
  };
  let lastProcs = samplePipeline(pids);
  const progress = every(1_000, () => {
    const now = {
      at: performance.now(),
      published: load.counts().publishedReadings,
      written: metrics.writtenLines,
    };
    const procs = samplePipeline(pids);
    const s = (now.at - last.at) / 1000;
    const alerted = samples.filter((x) => x.alertAt !== undefined).length;
    const sent = samples.filter((x) => x.publishedAt !== undefined).length;
    say(
      `${phaseName}: background ${rate(now.published - last.published, s)} published/s, ` +
        `${rate(now.written - last.written, s)} written/s; breaches ${sent} sent, ${alerted} alerted; ` +
        `${cpuLine(lastProcs, procs)}; ingest RSS ${mb(procs.ingest.rssKb).toFixed(0)} MB`,
    );
    last = now;
    lastProcs = procs;
  });
  try {
    // The ingest evaluates every open leg on its first breach tick (5 s after it starts), reading
    // each leg's history from InfluxDB: that start-up burst stays out of the measurement.
    await sleep(args.warmup * 1000);
    phaseName = 'breaches';
    const mark = async () => {
      const [counts, m] = await Promise.all([load.snapshot(), scrapeIngestMetrics(ctx.metricsUrl)]);
      return { ...cpuMark(pids, load.workerPids), load: counts, metrics: m };
    };
    const run = async (which: Array<[Sample, MqttClient]>) => {
      const sends: Array<Promise<void>> = [];
      const t0 = performance.now();
      for (const [i, [s, client]] of which.entries()) {
        const wait = t0 + i * args.intervalMs - performance.now();
        if (wait > 0) await sleep(wait);
        s.offsetS = (performance.now() - t0) / 1000;
        sends.push(breach(s, client, ctx.inRangeC, ctx.breachC));
      }
      await Promise.all(sends);
    };
    const paired = samples.map((s, i): [Sample, MqttClient] => [s, ctx.sampleClients[i] as MqttClient]);
    await run(paired.filter(([s]) => s.warmup));
    await sleep(1_000);
    const from = await mark();
    await run(paired.filter(([s]) => !s.warmup && !s.backlog));
    const to = await mark();
    phaseName = 'waiting for the last alerts';
    const live = samples.filter((s) => !s.backlog);
    let deadline = performance.now() + ALERT_TIMEOUT_MS;
    while (live.some((s) => s.alertAt === undefined) && performance.now() < deadline) await sleep(50);
    phaseName = 'backlogs';
    for (const [s, client] of paired.filter(([x]) => x.backlog)) {
      await backlogBreach(s, client, ctx.inRangeC, ctx.breachC);
      await sleep(args.intervalMs);
    }
    deadline = performance.now() + ALERT_TIMEOUT_MS;
    while (samples.some((s) => s.alertAt === undefined) && performance.now() < deadline) await sleep(50);
    const peak = samplePipeline(pids);
    const ms = to.atMs - from.atMs;
    const counts = load.counts();
    return {
      samples,
      seconds: ms / 1000,
      backgroundPublishedPerSec: ((to.load.publishedReadings - from.load.publishedReadings) * 1000) / ms,
      backgroundWrittenPerSec: ((to.metrics.writtenLines - from.metrics.writtenLines) * 1000) / ms,
      cpu: cpuShare(from, to),
      peakRssMb: {
        broker: mb(peak.broker.peakRssKb),
        ingest: mb(peak.ingest.peakRssKb),
        influxd: mb(peak.influxd.peakRssKb),
      },
      metrics: await scrapeIngestMetrics(ctx.metricsUrl),
      otherAlerts: ctx.otherAlerts,
      problems: { broker: [], ingest: [] },
      loadErrors:
        counts.publishErrors || counts.unexpectedCloses || counts.connectFailed
          ? `${counts.connectFailed} connects failed, ${counts.publishErrors} publish errors, ${counts.unexpectedCloses} disconnects (${counts.lastError})`
          : undefined,
    };
  } finally {
    await progress.stop();
    await metricsLoop.stop();
  }
}

/** An in-range reading, then `armMs` later the reading beyond the critical limit, timed from its publish. */
async function breach(s: Sample, client: MqttClient, inRangeC: number, breachC: number): Promise<void> {
  const topic = formatDeviceTopic(s.device.id, 'telemetry');
  const reading = (tempC: number, tsMs: number, seq: number) =>
    JSON.stringify({ v: 1, ts: tsMs, seq, temp: { air: tempC + 0.5, product: tempC } });
  try {
    await client.publishAsync(topic, reading(inRangeC, Date.now(), 1), { qos: 1 });
    await sleep(args.armMs);
    const tsMs = Date.now();
    const payload = reading(breachC, tsMs, 2);
    s.breachTsMs = tsMs;
    s.publishedWallMs = wallMs();
    s.publishedAt = performance.now();
    await client.publishAsync(topic, payload, { qos: 1 });
  } catch (err) {
    s.publishError = (err as Error).message;
  }
}

/**
 * A logger back from an outage: two hours of in-range readings a minute, ending ten minutes ago, with
 * one beyond the critical limit an hour ago, in one message. Timed from its publish to the alert.
 */
async function backlogBreach(
  s: Sample,
  client: MqttClient,
  inRangeC: number,
  breachC: number,
): Promise<void> {
  const topic = formatDeviceTopic(s.device.id, 'telemetry');
  const endMs = Date.now() - 10 * 60_000;
  const readings = Array.from({ length: BACKLOG_READINGS }, (_, i) => {
    const tsMs = endMs - (BACKLOG_READINGS - 1 - i) * 60_000;
    const tempC = i === BACKLOG_READINGS / 2 ? breachC : inRangeC;
    return { ts: tsMs, seq: i + 1, temp: { air: tempC + 0.5, product: tempC } };
  });
  s.breachTsMs = readings[BACKLOG_READINGS / 2]?.ts;
  try {
    s.publishedWallMs = wallMs();
    s.publishedAt = performance.now();
    await client.publishAsync(topic, JSON.stringify({ v: 1, readings }), { qos: 1 });
  } catch (err) {
    s.publishError = (err as Error).message;
  }
}

interface EngineResult {
  batch: number;
  readings: number;
  seconds: number;
  legs: number;
  alerts: number;
}

/**
 * The pure engine on this thread: in-order readings 1 s apart folded into one custody leg's state
 * (`--leg-readings` per leg, then a fresh leg, as the ingest keeps one state per leg), `batch`
 * readings per call, each call evaluated as of its last reading. Mostly in range, with a short
 * warm spell every 10,000 readings and a critical one every 50,000, so that rules open and close.
 */
function measureEngine(profile: Profile, batch: number, inRangeC: number, breachC: number): EngineResult {
  const window = { startMs: 0, endMs: null };
  const warmC = (profile.temperature.targetC?.highC ?? inRangeC + 2) + 1;
  const tempAt = (i: number) => (i % 50_000 >= 49_990 ? breachC : i % 10_000 >= 9_940 ? warmC : inRangeC);
  let readings = 0;
  let legs = 0;
  let alerts = 0;
  const started = performance.now();
  const until = started + args.engineSeconds * 1000;
  while (performance.now() < until) {
    legs++;
    const state = createEngineState();
    let tsMs = profile.settleMs;
    for (let i = 0; i < args.legReadings && performance.now() < until; ) {
      const part: Reading[] = [];
      for (let j = 0; j < batch && i < args.legReadings; j++, i++) {
        tsMs += 1_000;
        part.push({ tsMs, tempC: tempAt(i) });
      }
      const result = foldIn(state, part, profile, window, tsMs);
      for (const change of result.changes) if (change.type === 'opened') alerts++;
      readings += part.length;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  say(`engine, ${batch} reading${batch > 1 ? 's' : ''} per call: ${rate(readings, seconds)} readings/s`);
  return { batch, readings, seconds, legs, alerts };
}

function printReport(machine: string, r: PipelineResult, engine: EngineResult[]) {
  const n = (v: number | undefined, digits = 0) =>
    v === undefined
      ? 'n/a'
      : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const measured = r.samples.filter((s) => !s.warmup && !s.backlog);
  const latencyOf = (s: Sample) => (s.alertAt as number) - (s.publishedAt as number);
  const alerted = measured.filter((s) => s.alertAt !== undefined && s.publishedAt !== undefined);
  const latencies = alerted.map(latencyOf).sort((a, b) => a - b);
  const backlogs = r.samples.filter((s) => s.backlog);
  const backlogAlerted = backlogs.filter((s) => s.alertAt !== undefined && s.publishedAt !== undefined);
  const backlogLatencies = backlogAlerted.map(latencyOf).sort((a, b) => a - b);
  // The ingest's part: publish to the alert's creation (both wall clocks of this machine).
  const detection = alerted
    .filter((s) => s.detectedAtMs !== undefined)
    .map((s) => (s.detectedAtMs as number) - (s.publishedWallMs as number))
    .sort((a, b) => a - b);
  const wrongStart = alerted.filter((s) => s.alertStartMs !== s.breachTsMs).length;
  const missing = measured.filter((s) => s.alertAt === undefined).length;
  const failed = r.samples.filter((s) => s.publishError !== undefined);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);

  console.log(`\nBreach benchmark — ${machine}`);
  console.log(
    `Pipeline: our broker (defaults) → ingest (INGEST_JOURNAL_SYNC=always), both compiled (dist/) → InfluxDB (throwaway); ` +
      `alerts received on ${SHIPMENT_ALERTS_TOPIC_FILTER} by the api account (QoS 1). Loopback 127.0.0.1.`,
  );
  console.log(
    `Breaches: ${measured.length} measured (after ${args.warmupBreaches} warm-up ones), one every ${args.intervalMs} ms, each on a fresh device and custody leg of a ` +
      `'${PROFILE_ID}' shipment: an in-range reading, then ${args.armMs} ms later one beyond the critical limit; ` +
      'latency = from handing that reading to mqtt.js (QoS 1) to the alert.created message arriving.',
  );
  console.log(
    `Backlogs: ${backlogs.length} devices, each flushing ${BACKLOG_READINGS} readings a minute apart (ending 10 min ago, ` +
      'one beyond the critical limit an hour ago) in one message after the live breaches; the ingest holds what it ' +
      'finds in a backlog until the device has settled (ALERT_SETTLE_MS, default 5 s), so this is the delay added.',
  );
  console.log(
    `Background: ${args.backgroundDevices} devices, ${args.batch} readings per message, ` +
      `${n(args.background)} readings/s offered${args.backgroundLegs ? ', each device on a custody leg (the engine judges every reading)' : ', no custody legs'}.\n`,
  );
  const rows: Array<[string, string]> = [
    ['breach → alert on MQTT, p50, ms', n(p50, 1)],
    ['breach → alert on MQTT, p99, ms', n(p99, 1)],
    ['breach → alert on MQTT, max, ms', n(latencies.at(-1), 1)],
    ['breach → alert created in the ingest (detectedAtMs), p50, ms', n(percentile(detection, 50), 1)],
    ['breach → alert created in the ingest (detectedAtMs), p99, ms', n(percentile(detection, 99), 1)],
    ['alerts received / breaches measured', `${alerted.length} / ${measured.length}`],
    ['breach inside a backlog: publish → alert on MQTT, p50, ms', n(percentile(backlogLatencies, 50), 1)],
    ['breach inside a backlog: publish → alert on MQTT, p99, ms', n(percentile(backlogLatencies, 99), 1)],
    ['backlog alerts received / backlogs sent', `${backlogAlerted.length} / ${backlogs.length}`],
    ['background published, readings/s', n(r.backgroundPublishedPerSec)],
    ['background written to InfluxDB, readings/s', n(r.backgroundWrittenPerSec)],
    ['CPU broker, % of one core', n(r.cpu.broker)],
    ['CPU ingest, % of one core', n(r.cpu.ingest)],
    ['CPU influxd, % of one core', n(r.cpu.influxd)],
    ['CPU load generator + breach devices, %', n(r.cpu.load)],
    ['CPU other processes, %', n(r.cpu.other)],
    [
      'peak RSS broker / ingest / influxd, MB',
      `${n(r.peakRssMb.broker)} / ${n(r.peakRssMb.ingest)} / ${n(r.peakRssMb.influxd)}`,
    ],
    ...engine.map((e): [string, string] => [
      `engine alone, ${e.batch} reading${e.batch > 1 ? 's' : ''} per ingest() call, readings/s (one core)`,
      n(e.readings / e.seconds),
    ]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const valueWidth = Math.max(...rows.map(([, v]) => v.length), 'value'.length);
  console.log(`${'metric'.padEnd(width)} | ${'value'.padStart(valueWidth)}`);
  console.log(`${'-'.repeat(width)}-|-${'-'.repeat(valueWidth)}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)} | ${v.padStart(valueWidth)}`);

  console.log('\nGoal (issue 5):');
  console.log(
    goalLine(
      `p99 breach → alert < ${GOAL_P99_MS} ms with ~${n(args.background)} readings/s of background`,
      p99 === undefined || missing > 0 ? undefined : p99 < GOAL_P99_MS,
      `p99 ${n(p99, 1)} ms over ${latencies.length} breaches${missing ? `, ${missing} without an alert` : ''}`,
    ),
  );

  const notes: string[] = [];
  const slowest = [...alerted].sort((a, b) => latencyOf(b) - latencyOf(a)).slice(0, 5);
  notes.push(
    `slowest breaches: ${slowest.map((s) => `${latencyOf(s).toFixed(0)} ms at +${(s.offsetS ?? 0).toFixed(1)} s`).join(', ')}`,
  );
  const warm = r.samples.filter((s) => s.warmup);
  if (warm.length > 0) {
    notes.push(
      `warm-up breaches (not in the figures): ${warm
        .map((s) => (s.alertAt === undefined ? 'no alert' : `${latencyOf(s).toFixed(0)} ms`))
        .join(', ')}`,
    );
  }
  const backlogMissing = backlogs.length - backlogAlerted.length;
  if (backlogMissing)
    notes.push(`${backlogMissing} backlogs raised no alert within ${ALERT_TIMEOUT_MS / 1000} s`);
  if (missing)
    notes.push(`${missing} breaches raised no alert within ${ALERT_TIMEOUT_MS / 1000} s of the last one`);
  if (failed.length) notes.push(`${failed.length} breach publishes failed (${failed[0]?.publishError})`);
  if (wrongStart)
    notes.push(`${wrongStart} alerts had a start other than the breaching reading's event time`);
  for (const [key, count] of r.otherAlerts) notes.push(`other alert messages: ${count} × ${key}`);
  if (r.cpu.other > BUSY_MACHINE_PCT) {
    notes.push(
      `OTHER PROCESSES used ${r.cpu.other.toFixed(0)}% of a core during the breaches: the machine was shared, ` +
        'these figures are pessimistic',
    );
  }
  if (sumOf(r.metrics.deadLetters) > 0) notes.push(`dead letters: ${JSON.stringify(r.metrics.deadLetters)}`);
  if (r.metrics.writeErrors > 0) notes.push(`${r.metrics.writeErrors} InfluxDB write errors (retried)`);
  if (r.loadErrors) notes.push(`background load: ${r.loadErrors}`);
  if (r.backgroundPublishedPerSec < 0.95 * args.background) {
    notes.push(
      `the background reached only ${n(r.backgroundPublishedPerSec)} of ${n(args.background)} readings/s`,
    );
  }
  for (const e of engine) {
    notes.push(
      `engine, batch ${e.batch}: ${n(e.readings)} readings in ${e.seconds.toFixed(1)} s over ${e.legs} legs ` +
        `of up to ${n(args.legReadings)} readings, ${e.alerts} excursions opened`,
    );
  }
  notes.push(...r.problems.broker.slice(0, 10).map((p) => `broker log: ${p}`));
  notes.push(...r.problems.ingest.slice(0, 10).map((p) => `ingest log: ${p}`));
  notes.push(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`\nNotes:\n${notes.map((l) => `  ${l}`).join('\n')}`);
}

/**
 * Breach devices with a shipment and an open custody leg each, background devices (on legs too,
 * unless --background-legs off), and the ingest and api accounts. Legs are made before the ingest
 * starts, as an operator would have made them before the goods moved.
 */
async function provisionAll(dataDir: string, legFromMs: number) {
  const sampleIds = Array.from(
    { length: args.warmupBreaches + args.samples },
    (_, i) => `breach-${String(i + 1).padStart(4, '0')}`,
  );
  const backlogIds = Array.from(
    { length: args.backlogSamples },
    (_, i) => `breach-backlog-${String(i + 1).padStart(3, '0')}`,
  );
  const backgroundIds = Array.from(
    { length: args.backgroundDevices },
    (_, i) => `breach-bg-${String(i + 1).padStart(3, '0')}`,
  );
  say(`provisioning ${sampleIds.length + backgroundIds.length} devices (a salted scrypt hash each)`);
  const creds = await provision(dataDir, {
    devices: [...sampleIds, ...backlogIds, ...backgroundIds],
    services: [
      { id: 'ingest', role: 'ingest' },
      { id: 'api', role: 'api' },
    ],
  });
  const device = (id: string): DeviceCredentials => ({ id, password: (creds[id] as Credentials).password });
  const store = createSqliteStore({ file: join(dataDir, 'metadata.db') });
  try {
    const onLeg = [...sampleIds, ...backlogIds, ...(args.backgroundLegs ? backgroundIds : [])];
    for (const deviceId of onLeg) {
      // A backlog device's leg began before its two hours of readings (and their settle period).
      const backlog = backlogIds.includes(deviceId);
      const shipmentId = `ship-${deviceId}`;
      await store.createShipment({
        id: shipmentId,
        profileId: PROFILE_ID,
        shipper: 'bench shipper',
        consignee: 'bench consignee',
      });
      await store.addCustodyLeg({
        shipmentId,
        deviceId,
        holder: 'bench carrier',
        fromMs: backlog ? legFromMs - BACKLOG_READINGS * 60_000 - 15 * 60_000 : legFromMs,
        toMs: null,
        handedOverBy: null,
        handoverTempC: null,
      });
    }
  } finally {
    await store.close();
  }
  return {
    samples: [
      ...sampleIds.map(
        (id, i): Sample => ({
          shipmentId: `ship-${id}`,
          device: device(id),
          warmup: i < args.warmupBreaches,
          backlog: false,
        }),
      ),
      ...backlogIds.map(
        (id): Sample => ({ shipmentId: `ship-${id}`, device: device(id), warmup: false, backlog: true }),
      ),
    ],
    background: backgroundIds.map(device),
    ingest: creds.ingest as Credentials,
    api: creds.api as Credentials,
  };
}

async function connectAll(url: string, devices: DeviceCredentials[]): Promise<MqttClient[]> {
  const clients: MqttClient[] = new Array(devices.length);
  let next = 0;
  const lane = async () => {
    while (next < devices.length) {
      const i = next++;
      const d = devices[i] as DeviceCredentials;
      clients[i] = await connect(url, { clientId: d.id, username: d.id, password: d.password });
    }
  };
  await Promise.all(Array.from({ length: 20 }, lane));
  return clients;
}

function frozenProfile(): Profile {
  const file = join(repoRoot, 'seeds', 'profiles.json');
  const profile = parseProfiles(JSON.parse(readFileSync(file, 'utf8'))).find((p) => p.id === PROFILE_ID);
  if (!profile) throw new Error(`${file} has no profile ${PROFILE_ID}`);
  return profile;
}

/** An upper bound for the whole run, after which it stops and cleans up whatever it was doing. */
function deadlineMs(): number {
  const breachesS =
    ((args.samples + args.warmupBreaches + args.backlogSamples) * args.intervalMs +
      2 * args.armMs +
      2 * ALERT_TIMEOUT_MS) /
      1000 +
    1;
  return (180 + args.samples * 0.1 + args.warmup + breachesS + 4 * args.engineSeconds) * 1000;
}

function readArgs() {
  const { values } = parseArgs({
    options: {
      samples: { type: 'string', default: '200' },
      'warmup-breaches': { type: 'string', default: '5' },
      'interval-ms': { type: 'string', default: '100' },
      'arm-ms': { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '8' },
      background: { type: 'string', default: '5000' },
      'background-devices': { type: 'string', default: '10' },
      batch: { type: 'string', default: '100' },
      'background-legs': { type: 'string', default: 'on' },
      'backlog-samples': { type: 'string', default: '20' },
      'engine-seconds': { type: 'string', default: '3' },
      'leg-readings': { type: 'string', default: '100000' },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: pnpm bench:breach [options]
  --samples N             measured breaches, each on a fresh device and custody leg (200)
  --warmup-breaches N     breaches before the measured ones, left out of the figures (5)
  --interval-ms MS        between breaches (100)
  --arm-ms MS             from the in-range reading to the breaching one (1000)
  --warmup S              background only, before the first breach (8: past the ingest's first breach tick)
  --background R          background readings/s (5000), from --background-devices N (10)
  --batch N               background readings per message (100)
  --background-legs on|off  background devices on custody legs, judged by the engine (on)
  --backlog-samples N     devices that flush a backlog with a breach inside, after the live ones (20)
  --engine-seconds S      engine-alone measurement per batch size (3)
  --leg-readings N        engine alone: readings per leg before a fresh one (100000)
  --no-build              do not run tsc -b first (the services run compiled, from dist/)`);
    process.exit(0);
  }
  if (values['background-legs'] !== 'on' && values['background-legs'] !== 'off') {
    console.error(`--background-legs must be on or off, got ${values['background-legs']}`);
    process.exit(2);
  }
  return {
    samples: int('samples', values.samples, 1, 9999),
    warmupBreaches: int('warmup-breaches', values['warmup-breaches'], 0, 100),
    intervalMs: int('interval-ms', values['interval-ms'], 1),
    armMs: int('arm-ms', values['arm-ms'], 0),
    warmup: int('warmup', values.warmup, 0),
    background: int('background', values.background, 0),
    backgroundDevices: int('background-devices', values['background-devices'], 1, 999),
    batch: int('batch', values.batch, 2, 1000),
    backgroundLegs: values['background-legs'] === 'on',
    backlogSamples: int('backlog-samples', values['backlog-samples'], 0, 999),
    engineSeconds: int('engine-seconds', values['engine-seconds'], 1),
    legReadings: int('leg-readings', values['leg-readings'], 1),
    build: !values['no-build'],
  };
}
