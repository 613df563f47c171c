import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  defaultCacheDir,
  ensureInfluxd,
  type InfluxConnection,
  type LocalInflux,
  startLocalInflux,
  TELEMETRY_MEASUREMENT,
} from '@coldchain/influx';
import { EVENTS_TOPIC_FILTER } from '@coldchain/schema';
import { InfluxDB } from '@influxdata/influxdb-client';
import type { Credentials } from '../support/broker.js';
import { type LogLine, repoRoot, startService } from '../support/service-process.js';
import { grouped, watchForUnexpectedExit } from './broker-under-test.js';
import { onCleanup } from './cleanup.js';
import type { DeviceCredentials } from './load-protocol.js';
import { type MosquittoAuth, writeMosquittoAuth } from './mosquitto.js';
import { processName } from './proc-stats.js';

/** The pieces of a pipeline the ingest and breach benchmarks start and measure, besides the broker. */

/**
 * The services run compiled, as production runs them (tests/bench/broker-under-test.ts starts the
 * broker from `dist/`): builds them first (`tsc -b`, quick when nothing changed) so that a stale
 * `dist/` is never what gets measured. A failed build is reported; the run goes on only if every
 * entry point exists.
 */
export function buildServices(say: (line: string) => void): void {
  say('building the workspace (tsc -b) so that the compiled services are current');
  const tsc = join(repoRoot, 'node_modules', '.bin', 'tsc');
  const result = spawnSync(tsc, ['-b'], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(0, 20).join('\n');
    say(`tsc -b failed (exit ${result.status ?? result.signal}); what it reported:\n${output}`);
  }
  for (const service of ['broker', 'ingest']) {
    const entry = join(repoRoot, 'services', service, 'dist', 'main.js');
    if (!existsSync(entry)) throw new Error(`${entry} is missing: the build failed`);
  }
}

/**
 * tests/bench/cleanup.ts handles the first SIGINT/SIGTERM with a once-listener. Under tsx a second
 * one (Ctrl-C reaches the whole process group and pnpm/tsx relay it too) would then find no
 * listener, and tsx's own handler exits at once, in the middle of the cleanup: leftover processes
 * and temporary folders. These listeners keep the cleanup going; it ends with process.exit anyway.
 */
export function finishCleanupOnRepeatedSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
}

/** The `influxd` binary: from PATH or the per-machine cache, built once per machine when neither has one. */
export function findOrBuildInfluxd(progress: (line: string) => void): Promise<string> {
  return ensureInfluxd({ cacheDir: defaultCacheDir(process.env), path: process.env.PATH ?? '', progress });
}

/** A throwaway InfluxDB on a free loopback port, its data in a temporary folder removed on stop. */
export async function startThrowawayInflux(binary: string, parentDir: string): Promise<LocalInflux> {
  const dataDir = await mkdtemp(join(parentDir, 'influx-'));
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  let server: LocalInflux;
  try {
    server = await startLocalInflux({ binary, dataDir });
  } catch (err) {
    await removeDir();
    throw err;
  }
  const stop = async () => {
    await server.stop();
    await removeDir();
  };
  const forget = onCleanup(stop);
  return {
    ...server,
    async stop() {
      await stop();
      forget();
    },
  };
}

/** Our ingest service as its own node process, compiled (`dist/main.js`), as production runs it. */
export interface IngestUnderTest {
  readonly pid: number;
  readonly metricsUrl: string;
  readonly logs: LogLine[];
  /** Warnings and errors it logged, grouped: `count × message`. */
  problems(): string[];
  /** SIGTERM (the ingest flushes for up to 10 s), SIGKILL after a grace period. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown code runs (what survives is what the journal and the broker hold). */
  kill(): Promise<void>;
}

export async function startIngestProcess(opts: {
  dataDir: string;
  mqttUrl: string;
  ingest: Credentials;
  influx: InfluxConnection;
  env?: Record<string, string>;
  /** Arguments for node before the entry, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
}): Promise<IngestUnderTest> {
  const service = startService(
    'ingest',
    {
      COLDCHAIN_DATA_DIR: opts.dataDir,
      MQTT_URL: opts.mqttUrl,
      INGEST_MQTT_USERNAME: opts.ingest.username,
      INGEST_MQTT_PASSWORD: opts.ingest.password,
      INFLUX_URL: opts.influx.url,
      INFLUX_TOKEN: opts.influx.token,
      INFLUX_ORG: opts.influx.org,
      INFLUX_BUCKET: opts.influx.bucket,
      INGEST_METRICS_PORT: '0',
      ...opts.env,
    },
    { built: true, nodeArgs: opts.nodeArgs ?? [] },
  );
  const forget = onCleanup(() => service.stop());
  const unexpectedExit = watchForUnexpectedExit(service.child);
  const pid = service.child.pid ?? 0;
  try {
    const ready = await service.waitForLog((l) => typeof l.metricsPort === 'number', 60_000);
    if (processName(pid) !== 'node') throw new Error(`expected the ingest's node process at pid ${pid}`);
    return {
      pid,
      metricsUrl: `http://127.0.0.1:${ready.metricsPort as number}/metrics`,
      logs: service.logs,
      problems: () =>
        grouped([
          // pino levels: 40 warn, 50 error, 60 fatal.
          ...service.logs
            .filter((l) => (l.level ?? 0) >= 40)
            .map((l) => (typeof l.reason === 'string' ? `${l.reason}: ${l.msg}` : (l.msg ?? ''))),
          ...unexpectedExit.problems(),
        ]),
      async stop() {
        unexpectedExit.expect();
        await service.stop();
        forget();
      },
      async kill() {
        unexpectedExit.expect();
        await service.kill();
        forget();
      },
    };
  } catch (err) {
    unexpectedExit.expect();
    await service.stop();
    forget();
    throw err;
  }
}

/** What the ingest's `/metrics` says (services/ingest/src/metrics.ts). */
export interface IngestMetricsSample {
  atMs: number;
  received: number;
  acceptedReadings: number;
  writtenLines: number;
  writeErrors: number;
  deadLetters: Record<string, number>;
  journalBytes: number;
  writeLagMs: number;
}

export async function scrapeIngestMetrics(url: string): Promise<IngestMetricsSample> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const text = await res.text();
  const atMs = performance.now();
  const value = (name: string) => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return match?.[1] ? Number(match[1]) : 0;
  };
  const deadLetters: Record<string, number> = {};
  for (const m of text.matchAll(/^coldchain_ingest_dead_letters_total\{reason="([^"]*)"\} (\S+)$/gm)) {
    deadLetters[m[1] ?? '?'] = Number(m[2]);
  }
  return {
    atMs,
    received: value('coldchain_ingest_received_total'),
    acceptedReadings: value('coldchain_ingest_accepted_readings_total'),
    writtenLines: value('coldchain_ingest_written_lines_total'),
    writeErrors: value('coldchain_ingest_write_errors_total'),
    deadLetters,
    journalBytes: value('coldchain_ingest_journal_bytes'),
    writeLagMs: value('coldchain_ingest_write_lag_ms'),
  };
}

export const sumOf = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Flux queries over the benchmark's telemetry (the point mapping of packages/influx line-protocol.ts). */
export interface TelemetryQueries {
  /** Each device's highest stored `seq` (readings are numbered in event-time order). */
  lastSeqByDevice(): Promise<Record<string, number>>;
  /** Stored telemetry points (one per device and event time). */
  countPoints(): Promise<number>;
}

export function telemetryQueries(influx: InfluxConnection, fromMs: number, toMs: number): TelemetryQueries {
  const api = new InfluxDB({ url: influx.url, token: influx.token, timeout: 60_000 }).getQueryApi(influx.org);
  // range |> filter |> last()/count() is pushed down to the storage engine: cheap enough to poll.
  const seqs = `from(bucket: "${influx.bucket}")
      |> range(start: ${new Date(fromMs).toISOString()}, stop: ${new Date(toMs).toISOString()})
      |> filter(fn: (r) => r._measurement == "${TELEMETRY_MEASUREMENT}" and r._field == "seq")`;
  return {
    async lastSeqByDevice() {
      const rows = await api.collectRows<{ device: string; _value: number }>(`${seqs} |> last()`);
      return Object.fromEntries(rows.map((r) => [r.device, Number(r._value)]));
    },
    async countPoints() {
      const rows = await api.collectRows<{ _value: number }>(`${seqs} |> count() |> group() |> sum()`);
      return Number(rows[0]?._value ?? 0);
    },
  };
}

/**
 * Mosquitto's password and ACL files for the ingest service: tests/bench/mosquitto.ts grants the
 * ingest account device telemetry only (what the broker benchmark's subscriber needs), but the
 * ingest service also subscribes to device events and refuses to start when a subscription is
 * refused, so its events are granted here too.
 */
export function writeMosquittoAuthForIngest(
  dir: string,
  devices: DeviceCredentials[],
  ingest: Credentials,
): MosquittoAuth {
  const auth = writeMosquittoAuth(dir, devices, ingest);
  // The file ends in the ingest account's `user` section: a `topic` line here belongs to it.
  appendFileSync(auth.aclFile, `topic read ${EVENTS_TOPIC_FILTER}\n`);
  return auth;
}

/** p-th percentile (0..100) by the nearest-rank method; undefined for no values. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
