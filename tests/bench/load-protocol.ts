/** Messages between the benchmark and its load workers (child processes holding device clients). */

export interface DeviceCredentials {
  id: string;
  password: string;
}

export type ToWorker =
  | {
      type: 'connect';
      url: string;
      devices: DeviceCredentials[];
      /** Connection attempts in flight at once in this worker. */
      concurrency: number;
      connectTimeoutMs: number;
    }
  /** Every device publishes QoS 1 telemetry, at most `window` publishes awaiting PUBACK at a time. */
  | { type: 'publish'; window: number }
  | { type: 'snapshot' }
  /** Stop publishing, wait for outstanding PUBACKs, disconnect every client, report and exit. */
  | { type: 'stop' };

export interface LoadCounts {
  connected: number;
  connectFailed: number;
  /** PUBLISH packets handed to the client library. */
  published: number;
  /** PUBLISH packets the broker acknowledged (PUBACK). */
  acked: number;
  publishErrors: number;
  /** Connections that closed while the benchmark did not ask them to. */
  unexpectedCloses: number;
  lastError?: string;
}

export type FromWorker =
  /** Loaded and listening: connecting starts when every worker is, so start-up is not timed. */
  | { type: 'ready'; counts: LoadCounts }
  | { type: 'progress'; counts: LoadCounts }
  /** Every connection attempt has succeeded or failed. */
  | { type: 'connected'; counts: LoadCounts }
  | { type: 'snapshot'; counts: LoadCounts }
  | { type: 'stopped'; counts: LoadCounts };

export const emptyCounts = (): LoadCounts => ({
  connected: 0,
  connectFailed: 0,
  published: 0,
  acked: 0,
  publishErrors: 0,
  unexpectedCloses: 0,
});

export function addCounts(a: LoadCounts, b: LoadCounts): LoadCounts {
  return {
    connected: a.connected + b.connected,
    connectFailed: a.connectFailed + b.connectFailed,
    published: a.published + b.published,
    acked: a.acked + b.acked,
    publishErrors: a.publishErrors + b.publishErrors,
    unexpectedCloses: a.unexpectedCloses + b.unexpectedCloses,
    ...((b.lastError ?? a.lastError) ? { lastError: b.lastError ?? a.lastError } : {}),
  };
}
