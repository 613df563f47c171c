import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@coldchain/fleet-simulator';
import type { InfluxConnection } from '@coldchain/influx';
import { createSqliteStore, type MetadataStore } from '@coldchain/store';
import { InfluxDB } from '@influxdata/influxdb-client';
import mqtt, { type MqttClient } from 'mqtt';
import {
  type BrokerProcess,
  type Credentials,
  provision,
  restartBrokerProcess,
  startBrokerProcess,
} from './broker.js';
import { type ServiceProcess, startService } from './service-process.js';

export interface WireReading {
  ts: number;
  seq: number;
  temp: { air: number; product?: number };
  rh?: number;
  door?: boolean;
}

/** A broker and an ingest, each its own process, writing to the given InfluxDB. */
export interface Pipeline {
  dataDir: string;
  broker: BrokerProcess;
  ingest: ServiceProcess;
  creds: Record<string, Credentials>;
  restartBroker(): Promise<void>;
  startIngest(): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export async function startPipeline(opts: {
  influx: InfluxConnection;
  devices: string[];
  brokerEnv?: Record<string, string>;
  ingestEnv?: Record<string, string>;
  /** Runs against the metadata store before any service starts (shipments, custody legs). */
  setup?: (store: MetadataStore) => Promise<void>;
}): Promise<Pipeline> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-pipeline-'));
  const creds = await provision(dataDir, {
    devices: opts.devices,
    services: [
      { id: 'ingest', role: 'ingest' },
      { id: 'api', role: 'api' },
    ],
  });
  if (opts.setup) {
    const store = createSqliteStore({ file: join(dataDir, 'metadata.db') });
    try {
      await opts.setup(store);
    } finally {
      await store.close();
    }
  }
  const brokerEnv = { MQTT_RATE_PER_SEC: '5000', MQTT_RATE_BURST: '5000', ...opts.brokerEnv };
  const pipeline: Pipeline = {
    dataDir,
    creds,
    broker: await startBrokerProcess(dataDir, brokerEnv),
    ingest: undefined as unknown as ServiceProcess,
    async restartBroker() {
      pipeline.broker = await restartBrokerProcess(dataDir, pipeline.broker, brokerEnv);
    },
    async startIngest() {
      const ingest = startService('ingest', {
        ...ingestServiceEnv({
          dataDir,
          mqttUrl: pipeline.broker.url,
          password: (creds.ingest as Credentials).password,
          influx: opts.influx,
        }),
        ...opts.ingestEnv,
      });
      await ingest.waitForLog((l) => typeof l.metricsPort === 'number');
      pipeline.ingest = ingest;
      return ingest;
    },
    async stop() {
      await pipeline.ingest?.stop();
      await pipeline.broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await pipeline.startIngest();
  return pipeline;
}

/** The environment of an ingest process in a test: its data folder, broker, InfluxDB, a free metrics port. */
export function ingestServiceEnv(opts: {
  dataDir: string;
  mqttUrl: string;
  password: string;
  influx: InfluxConnection;
}): Record<string, string> {
  return {
    COLDCHAIN_DATA_DIR: opts.dataDir,
    MQTT_URL: opts.mqttUrl,
    INGEST_MQTT_PASSWORD: opts.password,
    INFLUX_URL: opts.influx.url,
    INFLUX_TOKEN: opts.influx.token,
    INFLUX_ORG: opts.influx.org,
    INFLUX_BUCKET: opts.influx.bucket,
    INGEST_FLUSH_INTERVAL_MS: '100',
    INGEST_METRICS_PORT: '0',
  };
}

/** The ingest's `/metrics` and `/healthz` address, from the port it logged at start. */
export function ingestHttpUrl(ingest: ServiceProcess): string {
  const port = ingest.logs.find((l) => typeof l.metricsPort === 'number')?.metricsPort;
  if (port === undefined) throw new Error('the ingest has not logged its metrics port yet');
  return `http://127.0.0.1:${port}`;
}

/** One figure of the ingest's `/metrics` (a series without labels), NaN when absent. */
export async function ingestMetric(ingest: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${ingestHttpUrl(ingest)}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

/** A device: an mqtt.js client with a persistent session that resends unacknowledged messages after a reconnect. */
export interface SimDevice {
  id: string;
  client: MqttClient;
  /**
   * Publishes every payload at QoS 1 with at most `window` unacknowledged, optionally pacing each
   * lane by `gapMs`; resolves when all are acknowledged.
   */
  sendAll(payloads: string[], window?: number, gapMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function connectDevice(url: string, creds: Credentials): Promise<SimDevice> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
      clean: false,
      reconnectPeriod: 250,
      connectTimeout: 5_000,
    });
    client.once('connect', () =>
      resolve({
        id: creds.username,
        client,
        async sendAll(payloads, window = 10, gapMs = 0) {
          const topic = `coldchain/v1/devices/${creds.username}/telemetry`;
          let next = 0;
          const lane = async () => {
            while (next < payloads.length) {
              const payload = payloads[next++] as string;
              await client.publishAsync(topic, payload, { qos: 1 });
              if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
            }
          };
          await Promise.all(Array.from({ length: window }, lane));
        },
        close: () => client.endAsync(),
      }),
    );
    client.once('error', reject);
  });
}

/** Splits readings into messages: runs of single-reading messages and batches of 2..maxBatch. */
export function toMessages(readings: WireReading[], rng: () => number, maxBatch = 50): string[] {
  const out: string[] = [];
  for (let i = 0; i < readings.length; ) {
    const single = rng() < 0.5;
    const n = single ? 1 : 2 + Math.floor(rng() * (maxBatch - 1));
    const chunk = readings.slice(i, i + n);
    i += n;
    out.push(
      chunk.length === 1 && single
        ? JSON.stringify({ v: 1, ...chunk[0] })
        : JSON.stringify({ v: 1, readings: chunk }),
    );
  }
  return out;
}

/** The simulator's seeded PRNG, so that a failing run can be replayed. */
export const seeded = createRng;

export function makeReadings(
  count: number,
  startMs: number,
  stepMs: number,
  rng: () => number,
): WireReading[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: startMs + i * stepMs,
    seq: i + 1,
    temp: { air: Math.round((2 + rng() * 6) * 100) / 100 },
  }));
}

/** Every stored `seq` and `temp_air` per device, by timestamp. */
export async function storedReadings(
  influx: InfluxConnection,
  devicePrefix: string,
  startMs: number,
  stopMs: number,
): Promise<Map<string, Map<number, { seq: number; air: number }>>> {
  const api = new InfluxDB({ url: influx.url, token: influx.token, timeout: 60_000 }).getQueryApi(influx.org);
  const rows = await api.collectRows<{ _time: string; device: string; seq: number; temp_air: number }>(`
    import "strings"
    from(bucket: "${influx.bucket}")
      |> range(start: ${new Date(startMs).toISOString()}, stop: ${new Date(stopMs).toISOString()})
      |> filter(fn: (r) => r._measurement == "telemetry" and strings.hasPrefix(v: r.device, prefix: "${devicePrefix}"))
      |> filter(fn: (r) => r._field == "seq" or r._field == "temp_air")
      |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
      |> keep(columns: ["_time", "device", "seq", "temp_air"])`);
  const out = new Map<string, Map<number, { seq: number; air: number }>>();
  for (const r of rows) {
    const byTs = out.get(r.device) ?? new Map();
    byTs.set(Date.parse(r._time), { seq: Number(r.seq), air: Number(r.temp_air) });
    out.set(r.device, byTs);
  }
  return out;
}

/** Asserts-friendly diff: which expected readings are missing or wrong, and how many extra points exist. */
export function compareStored(
  expected: Map<string, WireReading[]>,
  stored: Map<string, Map<number, { seq: number; air: number }>>,
): { missing: number; wrong: number; extra: number; total: number } {
  let missing = 0;
  let wrong = 0;
  let extra = 0;
  let total = 0;
  for (const [device, readings] of expected) {
    const byTs = stored.get(device) ?? new Map();
    total += byTs.size;
    for (const r of readings) {
      const s = byTs.get(r.ts);
      if (!s) missing++;
      else if (s.seq !== r.seq || s.air !== r.temp.air) wrong++;
    }
    extra += Math.max(0, byTs.size - readings.length);
  }
  return { missing, wrong, extra, total };
}

/**
 * Polls until InfluxDB holds exactly the expected readings for the prefix, or the timeout passes,
 * and returns the last comparison. A point whose fields are still arriving (a retried write in
 * flight) counts as wrong until it is whole.
 */
export async function waitForStored(
  influx: InfluxConnection,
  expected: Map<string, WireReading[]>,
  prefix: string,
  startMs: number,
  stopMs: number,
  timeoutMs = 60_000,
) {
  const want = [...expected.values()].reduce((a, r) => a + r.length, 0);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = compareStored(expected, await storedReadings(influx, prefix, startMs, stopMs));
    const done = result.total >= want && result.missing === 0 && result.wrong === 0;
    if (done || Date.now() > deadline) return result;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export { restartBrokerProcess };
