import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type InfluxConnection, type LocalInflux, startLocalInflux } from '@coldchain/influx';
import type { Credentials } from '../support/broker.js';
import { type BrokerUnderTest, startColdchainBroker } from './broker-under-test.js';
import { onCleanup } from './cleanup.js';
import { startIngestProcess } from './ingest-pipeline.js';
import type { DeviceCredentials } from './load-protocol.js';
import { type MosquittoAuth, startMosquitto } from './mosquitto.js';
import { startTelegraf } from './telegraf.js';

/**
 * The three stacks the ingest benchmark compares, each devices → broker → consumer → InfluxDB:
 * - `coldchain`: our broker and our ingest;
 * - `mosquitto`: Mosquitto and our ingest (what our broker costs);
 * - `telegraf`: Mosquitto and Telegraf's mqtt_consumer (what a user would otherwise deploy).
 */
export type StackName = 'coldchain' | 'mosquitto' | 'telegraf';
/** `tuned`: as the benchmark configures each stack; `defaults`: each product's own defaults. */
export type Settings = 'tuned' | 'defaults';

export const STACK_LABELS: Record<StackName, string> = {
  coldchain: 'ours (Aedes + ingest)',
  mosquitto: 'Mosquitto + our ingest',
  telegraf: 'Mosquitto + Telegraf',
};

/**
 * The broker's per-device rate limit (50 messages/s by default) would cap the devices before the
 * pipeline: lifted, as in the broker benchmark, to measure capacity.
 */
export const UNLIMITED_RATE = { MQTT_RATE_PER_SEC: '1000000', MQTT_RATE_BURST: '1000000' };

/** What consumes the broker's telemetry and writes it to InfluxDB: our ingest or Telegraf. */
export interface ConsumerUnderTest {
  readonly pid: number;
  /** Our ingest's Prometheus endpoint (journal, dead letters, write errors); Telegraf has none here. */
  readonly metricsUrl?: string;
  problems(): string[];
  /** Orderly stop. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL mid-stream: nothing is flushed. */
  kill(): Promise<void>;
}

export interface StackSetup {
  stack: StackName;
  settings: Settings;
  /** Our broker's and ingest's data folder (metadata store copied in, spool, journal). */
  dataDir: string;
  /** Where Telegraf's and Mosquitto's generated files go. */
  confDir: string;
  devices: DeviceCredentials[];
  /** The consumer's MQTT account: our ingest's, which Telegraf uses too (same ACL). */
  account: Credentials;
  mosquittoAuth?: MosquittoAuth;
  telegrafBinary?: string;
  readingsPerMessage: number;
  /** Added to our broker's and ingest's environment (metadata store, journal sync). */
  env?: Record<string, string>;
  /** Arguments for node before our services' entries, e.g. `--cpu-prof`. */
  brokerNodeArgs?: string[];
  ingestNodeArgs?: string[];
}

/** Starts a stack's broker; the consumer is started (and restarted) separately with `startConsumer`. */
export function startStackBroker(setup: StackSetup): Promise<BrokerUnderTest> {
  if (setup.stack === 'coldchain') {
    const rate = setup.settings === 'tuned' ? UNLIMITED_RATE : {};
    return startColdchainBroker(setup.dataDir, { ...rate, ...setup.env }, setup.brokerNodeArgs ?? []);
  }
  if (!setup.mosquittoAuth) throw new Error('Mosquitto runs need its password and ACL files');
  return startMosquitto(setup.confDir, setup.mosquittoAuth, { settings: setup.settings });
}

export async function startConsumer(
  setup: StackSetup,
  brokerUrl: string,
  influx: InfluxConnection,
): Promise<ConsumerUnderTest> {
  if (setup.stack === 'telegraf') {
    if (!setup.telegrafBinary) throw new Error('Telegraf runs need the telegraf binary');
    return startTelegraf(setup.telegrafBinary, setup.confDir, {
      mqttUrl: brokerUrl,
      username: setup.account.username,
      password: setup.account.password,
      influx,
      readingsPerMessage: setup.readingsPerMessage,
      settings: setup.settings,
    });
  }
  return startIngestProcess({
    dataDir: setup.dataDir,
    mqttUrl: brokerUrl,
    ingest: setup.account,
    influx,
    nodeArgs: setup.ingestNodeArgs ?? [],
    env: setup.env ?? {},
  });
}

/** A throwaway InfluxDB that can be taken down and brought back on the same port and data. */
export interface RestartableInflux {
  /** The running server (its pid changes with each restart). */
  current(): LocalInflux;
  /** Stops the server (SIGTERM), waits `ms`, starts it again on the same port and data. */
  outage(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRestartableInflux(binary: string, parentDir: string): Promise<RestartableInflux> {
  const dataDir = await mkdtemp(join(parentDir, 'influx-'));
  let server = await startLocalInflux({ binary, dataDir });
  const port = Number(new URL(server.url).port);
  let stopped = false;
  const stop = async () => {
    stopped = true;
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  const forget = onCleanup(stop);
  return {
    current: () => server,
    async outage(ms) {
      await server.stop();
      await new Promise((r) => setTimeout(r, ms));
      if (!stopped) server = await startLocalInflux({ binary, dataDir, port });
    },
    async stop() {
      await stop();
      forget();
    },
  };
}
