import { createInfluxProbe, type JournalStats } from '@coldchain/influx';

export type DependencyName = 'mqtt' | 'influxdb' | 'store' | 'journal';

export interface DependencyCheck {
  status: 'up' | 'down';
  /** Why it is down, or what an operator wants to see (journal fill). */
  detail?: string;
  [key: string]: unknown;
}

export interface HealthReport {
  /**
   * `ok`: everything up. `degraded`: only InfluxDB is down: messages are still taken and journaled,
   * and written when it is back. `down`: the ingest takes no messages (no broker, store or journal).
   */
  status: 'ok' | 'degraded' | 'down';
  checks: Record<DependencyName, DependencyCheck>;
}

export interface HealthOptions {
  mqttConnected: () => boolean;
  influxUrl: string;
  /** Throws (or rejects) when the metadata store cannot answer. */
  probeStore: () => unknown;
  journal: () => JournalStats;
  /** InfluxDB's `/health` must answer within this. */
  influxTimeoutMs?: number;
  /** An InfluxDB answer is reused this long, so that frequent `/healthz` polls stay cheap. */
  influxCacheMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

/** The ingest's `/healthz`: each dependency's state, `ok` only when all are up. */
export function createHealthCheck(opts: HealthOptions): { report(): Promise<HealthReport> } {
  const influx = createInfluxProbe({
    url: opts.influxUrl,
    ...(opts.influxTimeoutMs === undefined ? {} : { timeoutMs: opts.influxTimeoutMs }),
    ...(opts.influxCacheMs === undefined ? {} : { cacheMs: opts.influxCacheMs }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
    ...(opts.fetch === undefined ? {} : { fetch: opts.fetch }),
  });

  return {
    async report() {
      const mqtt: DependencyCheck = opts.mqttConnected()
        ? { status: 'up' }
        : { status: 'down', detail: 'not connected to the broker' };
      let store: DependencyCheck = { status: 'up' };
      try {
        await opts.probeStore();
      } catch (err) {
        store = { status: 'down', detail: (err as Error).message };
      }
      const j = opts.journal();
      const journal: DependencyCheck = {
        status: j.bytes >= j.maxBytes ? 'down' : 'up',
        ...(j.bytes >= j.maxBytes ? { detail: 'full: acknowledgements held until InfluxDB catches up' } : {}),
        bytes: j.bytes,
        segments: j.segments,
        maxBytes: j.maxBytes,
      };
      const checks = { mqtt, influxdb: await influx(), store, journal };
      const status =
        mqtt.status === 'down' || store.status === 'down' || journal.status === 'down'
          ? 'down'
          : checks.influxdb.status === 'down'
            ? 'degraded'
            : 'ok';
      return { status, checks };
    },
  };
}
