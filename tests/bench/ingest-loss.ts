import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerUnderTest } from './broker-under-test.js';
import { startTelemetryLoad, type TelemetryLoad } from './ingest-load.js';
import { every, untilDrained } from './ingest-loop.js';
import { telemetryQueries } from './ingest-pipeline.js';
import {
  type ConsumerUnderTest,
  type RestartableInflux,
  type Settings,
  type StackName,
  type StackSetup,
  startConsumer,
  startRestartableInflux,
  startStackBroker,
} from './ingest-stacks.js';

/**
 * The ingest benchmark's loss rows: what each stack loses of what its broker acknowledged to the
 * devices. A device drops a reading from its buffer on PUBACK, so a reading acknowledged and then
 * missing from InfluxDB is gone for good. Each scenario runs on fresh processes and data, with
 * batched messages offered at a fixed rate (open loop) that every stack absorbs, so that a loss
 * is the disruption's doing and not the stack's capacity.
 */
export type LossScenario = 'steady' | 'kill' | 'outage' | 'defaults';
export const LOSS_SCENARIOS: readonly LossScenario[] = ['steady', 'kill', 'outage', 'defaults'];

export const LOSS_LABELS: Record<LossScenario, string> = {
  steady: '(a) steady state',
  kill: '(b) SIGKILL of the consumer mid-stream, restarted',
  outage: '(c) InfluxDB down for 20 s mid-stream',
  defaults: "(d) each product's default settings, SIGKILL mid-stream",
};

const INFLUX_OUTAGE_MS = 20_000;
/** How long a killed consumer stays down before it is started again. */
const KILLED_FOR_MS = 2_000;
/** Draining ends when InfluxDB holds every acknowledged reading, or nothing more arrived for this long. */
const DRAIN_STALL_MS = 20_000;
const DRAIN_MAX_MS = 120_000;
const COUNT_POLL_MS = 250;

export interface LossResult {
  scenario: LossScenario;
  stack: StackName;
  settings: Settings;
  published: number;
  acked: number;
  stored: number;
  /** Acknowledged to the devices but not in InfluxDB (0 when InfluxDB holds at least as many). */
  missing: number;
  drainSeconds: number;
  drained: boolean;
  notes: string[];
}

export interface LossOptions {
  influxd: string;
  runDir: string;
  say: (line: string) => void;
  window: number;
  readingsPerSec: number;
  /** Publishing time around the disruption (the InfluxDB outage adds its 20 s). */
  seconds: number;
  pollMs: number;
}

export async function measureLoss(
  scenario: LossScenario,
  setup: StackSetup,
  opts: LossOptions,
): Promise<LossResult> {
  const tag = `[loss ${scenario}, ${setup.stack}${setup.settings === 'defaults' ? ', defaults' : ''}]`;
  opts.say(`${tag} starting InfluxDB, the broker and the consumer`);
  const influx: RestartableInflux = await startRestartableInflux(opts.influxd, opts.runDir);
  let broker: BrokerUnderTest | undefined;
  let consumer: ConsumerUnderTest | undefined;
  let load: TelemetryLoad | undefined;
  const loops: Array<{ stop(): Promise<void> }> = [];
  try {
    broker = await startStackBroker(setup);
    const brokerUrl = broker.url;
    consumer = await startConsumer(setup, brokerUrl, influx.current());
    const firstTsMs = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    // The port and the token stay the same across the outage's restart.
    const queries = telemetryQueries(influx.current(), firstTsMs, Date.now() + 3_600_000);
    load = await startTelemetryLoad({
      url: brokerUrl,
      devices: setup.devices,
      workers: 1,
      shape: { readingsPerMessage: setup.readingsPerMessage, firstTsMs, productTempC: 4 },
      window: opts.window,
    });
    // Counted exactly (not from the highest reading numbers, as at capacity): after a restart the
    // broker redelivers older messages while newer ones are already stored.
    let written = 0;
    const poller = every(Math.max(opts.pollMs, COUNT_POLL_MS), async () => {
      written = await queries.countPoints();
    });
    loops.push(poller);

    const l = load;
    l.pace(opts.readingsPerSec);
    const notes: string[] = [];
    if (scenario === 'steady') {
      await sleep(opts.seconds * 1000);
    } else if (scenario === 'kill' || scenario === 'defaults') {
      await sleep(opts.seconds * 400);
      opts.say(`${tag} SIGKILL of the consumer (pid ${consumer.pid})`);
      const problems = consumer.problems();
      await consumer.kill();
      notes.push(...problems.map((p) => `consumer log before the kill: ${p}`));
      await sleep(KILLED_FOR_MS);
      consumer = await startConsumer(setup, brokerUrl, influx.current());
      opts.say(`${tag} consumer started again (pid ${consumer.pid})`);
      await sleep(opts.seconds * 600);
    } else {
      await sleep(opts.seconds * 300);
      opts.say(`${tag} InfluxDB down for ${INFLUX_OUTAGE_MS / 1000} s`);
      await influx.outage(INFLUX_OUTAGE_MS);
      opts.say(`${tag} InfluxDB back (pid ${influx.current().pid})`);
      await sleep(opts.seconds * 700);
    }
    l.allow(0);
    const target = (await l.snapshot()).ackedReadings;
    opts.say(`${tag} publishing stopped; waiting until InfluxDB holds the acknowledged readings`);
    const drain = await untilDrained(target, () => written, {
      stallMs: DRAIN_STALL_MS,
      maxMs: DRAIN_MAX_MS,
      pollMs: 100,
    });
    const result = await l.stop();
    const stored = await queries.countPoints();
    const { acked, published } = {
      acked: result.counts.ackedReadings,
      published: result.counts.publishedReadings,
    };
    const c = result.counts;
    if (c.publishErrors || c.unexpectedCloses || c.connectFailed)
      notes.push(
        `${c.connectFailed} connects failed, ${c.publishErrors} publish errors, ${c.unexpectedCloses} device ` +
          `disconnects${c.lastError ? ` (last error: ${c.lastError})` : ''}`,
      );
    const failures = poller.failures();
    if (failures.count > 0 && scenario !== 'outage')
      notes.push(`${failures.count} InfluxDB polls failed (${failures.last?.slice(0, 120)})`);
    notes.push(
      ...broker
        .problems()
        .slice(0, 5)
        .map((p) => `broker log: ${p}`),
    );
    notes.push(
      ...consumer
        .problems()
        .slice(0, 5)
        .map((p) => `consumer log: ${p}`),
    );
    opts.say(
      `${tag} done: ${acked.toLocaleString('en-US')} readings acknowledged, ${stored.toLocaleString('en-US')} in InfluxDB`,
    );
    return {
      scenario,
      stack: setup.stack,
      settings: setup.settings,
      published,
      acked,
      stored,
      missing: Math.max(0, acked - stored),
      drainSeconds: drain.seconds,
      drained: drain.done,
      notes,
    };
  } catch (err) {
    const logged = [
      ...(broker?.problems() ?? []).map((p) => `\n  broker: ${p}`),
      ...(consumer?.problems() ?? []).map((p) => `\n  consumer: ${p}`),
    ];
    throw new Error(`${tag}: ${(err as Error).message}${logged.join('')}`);
  } finally {
    for (const loop of loops) await loop.stop();
    await load?.stop().catch(() => undefined);
    await consumer?.stop();
    await broker?.stop();
    await influx.stop();
  }
}
