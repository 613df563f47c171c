import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../support/service-process.js';
import { onCleanup } from './cleanup.js';
import {
  addTelemetryCounts,
  emptyTelemetryCounts,
  type FromLoadWorker,
  type TelemetryCounts,
  type TelemetryShape,
  type ToLoadWorker,
} from './ingest-load-protocol.js';
import type { DeviceCredentials } from './load-protocol.js';
import { nextMessage } from './worker-message.js';

/**
 * Telemetry load for the ingest and breach benchmarks. The broker benchmark's load worker sends one
 * reading per message stamped `Date.now()`, so two messages of a device in the same millisecond
 * become one InfluxDB point (one point per device per event time) and counts cannot be checked;
 * these workers number each device's readings and derive their event times from that number, send
 * batches of any size, and can be held to a budget of readings (closed loop) or a rate (open loop).
 */

const WORKER = join(repoRoot, 'tests', 'bench', 'ingest-load-worker.ts');

export interface TelemetryLoadOptions {
  url: string;
  devices: DeviceCredentials[];
  workers: number;
  shape: TelemetryShape;
  window: number;
  connectTimeoutMs?: number;
}

export interface TelemetryResult {
  counts: TelemetryCounts;
  latencies: Record<number, number[]>;
  unseen: Record<number, number>;
}

export interface TelemetryLoad {
  readonly workerPids: number[];
  /** The workers' latest reports (at most a quarter of a second old). */
  counts(): TelemetryCounts;
  snapshot(): Promise<TelemetryCounts>;
  /** Closed loop: readings the whole fleet may have published in all; shared by the workers' device counts. */
  allow(readings: number): void;
  /** Open loop at this total rate. */
  pace(readingsPerSec: number): void;
  phase(phase: number): void;
  queryable(lastSeq: Record<string, number>, atMs: number): void;
  /** Stops publishing, waits for outstanding PUBACKs (bounded), disconnects. Safe to call twice. */
  stop(): Promise<TelemetryResult>;
}

interface Worker {
  child: ChildProcess;
  latest: TelemetryCounts;
  /** This worker's part of the devices, for sharing budgets and rates. */
  share: number;
  exited: Promise<void>;
}

export async function startTelemetryLoad(opts: TelemetryLoadOptions): Promise<TelemetryLoad> {
  const shares = split(opts.devices, opts.workers);
  const workers: Worker[] = shares.map((devices) => {
    const child = fork(WORKER, [], {
      cwd: repoRoot,
      // Plain node with tsx as a loader: the pid we measure is the process doing the work.
      execArgv: ['--conditions=source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { child, latest: emptyTelemetryCounts(), share: devices.length / opts.devices.length, exited };
  });
  const kill = async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
  };
  const forget = onCleanup(kill);
  const send = (w: Worker, m: ToLoadWorker) => {
    if (w.child.connected) w.child.send(m);
  };
  const next = <T extends FromLoadWorker['type']>(w: Worker, type: T, timeoutMs: number) =>
    nextMessage<FromLoadWorker, T>(w.child, type, timeoutMs);
  for (const w of workers) {
    w.child.on('message', (m: FromLoadWorker) => {
      w.latest = m.counts;
    });
  }

  try {
    await Promise.all(workers.map((w) => next(w, 'ready', 30_000)));
    const connected = workers.map((w) => next(w, 'connected', 60_000 + opts.devices.length * 50));
    for (const [i, w] of workers.entries()) {
      send(w, {
        type: 'connect',
        url: opts.url,
        devices: shares[i] ?? [],
        shape: opts.shape,
        window: opts.window,
        connectTimeoutMs: opts.connectTimeoutMs ?? 15_000,
      });
    }
    await Promise.all(connected);
  } catch (err) {
    await kill();
    forget();
    throw err;
  }

  const total = () => workers.map((w) => w.latest).reduce(addTelemetryCounts, emptyTelemetryCounts());
  let stopping: Promise<TelemetryResult> | undefined;
  return {
    workerPids: workers.map((w) => w.child.pid ?? 0),
    counts: total,
    async snapshot() {
      const answers = workers.map((w) => next(w, 'snapshot', 5_000));
      for (const w of workers) send(w, { type: 'snapshot' });
      return (await Promise.all(answers))
        .map((a) => a.counts)
        .reduce(addTelemetryCounts, emptyTelemetryCounts());
    },
    allow(readings) {
      for (const w of workers) send(w, { type: 'allow', readings: Math.floor(readings * w.share) });
    },
    pace(readingsPerSec) {
      for (const w of workers) send(w, { type: 'pace', readingsPerSec: readingsPerSec * w.share });
    },
    phase(phase) {
      for (const w of workers) send(w, { type: 'phase', phase });
    },
    queryable(lastSeq, atMs) {
      // Each worker ignores the devices it does not hold.
      for (const w of workers) send(w, { type: 'queryable', lastSeq, atMs });
    },
    stop() {
      stopping ??= (async () => {
        try {
          const answers = workers.map((w) => next(w, 'stopped', 60_000));
          for (const w of workers) send(w, { type: 'stop' });
          const results = await Promise.all(answers);
          const latencies: Record<number, number[]> = {};
          const unseen: Record<number, number> = {};
          for (const r of results) {
            for (const [phase, values] of Object.entries(r.latencies)) {
              const all = latencies[Number(phase)] ?? [];
              for (const v of values) all.push(v);
              latencies[Number(phase)] = all;
            }
            for (const [phase, n] of Object.entries(r.unseen)) {
              unseen[Number(phase)] = (unseen[Number(phase)] ?? 0) + n;
            }
          }
          return {
            counts: results.map((r) => r.counts).reduce(addTelemetryCounts, emptyTelemetryCounts()),
            latencies,
            unseen,
          };
        } finally {
          await Promise.race([Promise.all(workers.map((w) => w.exited)), sleep(2_000)]);
          await kill();
          forget();
        }
      })();
      return stopping;
    },
  };
}

/** `items` in `parts` contiguous shares of nearly equal size. */
function split<T>(items: T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, i) => items.slice(i * size, (i + 1) * size)).filter(
    (share) => share.length > 0,
  );
}
