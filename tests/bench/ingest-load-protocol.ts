/** Messages between the ingest and breach benchmarks and their telemetry load workers. */
import type { DeviceCredentials } from './load-protocol.js';

export interface TelemetryShape {
  /** Readings per message: 1 sends the single-reading form `{"v":1,"ts":...}`. */
  readingsPerMessage: number;
  /** Event time of each device's reading number `seq` is `firstTsMs + seq` (1 ms apart, unique per device). */
  firstTsMs: number;
  /** The product temperature every reading carries, °C. */
  productTempC: number;
}

export type ToLoadWorker =
  | {
      type: 'connect';
      url: string;
      devices: DeviceCredentials[];
      shape: TelemetryShape;
      /** QoS 1 publishes awaiting PUBACK per device. */
      window: number;
      connectTimeoutMs: number;
    }
  /** Closed loop: publish until this worker has published this many readings in all. */
  | { type: 'allow'; readings: number }
  /** Open loop: publish this many readings a second from now on, whatever the pipeline absorbs. */
  | { type: 'pace'; readingsPerSec: number }
  /** Messages published from now on count for the latency of phase `phase` (0: none). */
  | { type: 'phase'; phase: number }
  /** Stored in InfluxDB as of `atMs` (epoch ms): each device's highest reading number. */
  | { type: 'queryable'; lastSeq: Record<string, number>; atMs: number }
  | { type: 'snapshot' }
  | { type: 'stop' };

export interface TelemetryCounts {
  connected: number;
  connectFailed: number;
  publishedMessages: number;
  publishedReadings: number;
  ackedMessages: number;
  ackedReadings: number;
  publishErrors: number;
  unexpectedCloses: number;
  lastError?: string;
}

/** `ready`: loaded; `connected`: every connection attempt is over; `progress`: every 250 ms. */
type CountsReport = 'ready' | 'connected' | 'progress' | 'snapshot';

export type FromLoadWorker =
  | { [K in CountsReport]: { type: K; counts: TelemetryCounts } }[CountsReport]
  | {
      type: 'stopped';
      counts: TelemetryCounts;
      /** Publish-to-queryable latencies (ms) of the messages published in each phase, by phase. */
      latencies: Record<number, number[]>;
      /** Messages of a measured phase not seen in InfluxDB by the last `queryable`. */
      unseen: Record<number, number>;
    };

export const emptyTelemetryCounts = (): TelemetryCounts => ({
  connected: 0,
  connectFailed: 0,
  publishedMessages: 0,
  publishedReadings: 0,
  ackedMessages: 0,
  ackedReadings: 0,
  publishErrors: 0,
  unexpectedCloses: 0,
});

export function addTelemetryCounts(a: TelemetryCounts, b: TelemetryCounts): TelemetryCounts {
  const sum = emptyTelemetryCounts();
  for (const key of Object.keys(sum) as Array<keyof typeof sum>) {
    if (key !== 'lastError') sum[key] = a[key] + b[key];
  }
  const lastError = b.lastError ?? a.lastError;
  return lastError ? { ...sum, lastError } : sum;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes. */
export const wallMs = () => performance.timeOrigin + performance.now();
