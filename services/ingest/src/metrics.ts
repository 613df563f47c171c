import type { JournalStats } from '@coldchain/influx';
import type { DeadLetterStats } from '@coldchain/store';
import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The ingest's counters. The message path bumps plain numbers (the cheapest thing it can do per
 * message); prom-client reads them when `/metrics` is scraped.
 */
export interface IngestMetrics {
  received: number;
  /** Envelopes of device messages from our broker (each message in one also counts as received). */
  envelopes: number;
  acceptedMessages: number;
  acceptedReadings: number;
  acceptedEvents: number;
  deadLettered: Record<string, number>;
  /** Dead letters counted but not kept as a sample: their device or the store had reached its cap. */
  deadLetterSamplesDropped: Record<string, number>;
  /** Readings refused because their device had already sent other values for the same timestamp. */
  conflicts: number;
  writtenLines: number;
  writeErrors: number;
  quarantinedSegments: number;
  /** Arrival of the newest written batch's messages to its InfluxDB confirmation, milliseconds. */
  lastWriteLagMs: number;
}

export function createMetrics(): IngestMetrics {
  return {
    received: 0,
    envelopes: 0,
    acceptedMessages: 0,
    acceptedReadings: 0,
    acceptedEvents: 0,
    deadLettered: {},
    deadLetterSamplesDropped: {},
    conflicts: 0,
    writtenLines: 0,
    writeErrors: 0,
    quarantinedSegments: 0,
    lastWriteLagMs: 0,
  };
}

/** What `/metrics` reads besides the counters, at scrape time. */
export interface MetricsSources {
  journal: () => JournalStats;
  legsInMemory: () => number;
  devicesFilling: () => number;
  deadLetters: () => Promise<DeadLetterStats>;
}

/**
 * A registry of its own (not prom-client's global one), so that several ingests in one process
 * (the demo, tests) each report their own. Node's process metrics come from `createProcessMetrics` (`@coldchain/runtime`).
 */
export function createMetricsRegistry(m: IngestMetrics, sources: MetricsSources): Registry {
  const registry = new Registry();
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  const byReason = (name: string, help: string, read: () => Record<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(read())) this.inc({ reason }, n);
      },
    });
  // A scrape waits for what the store answers (prom-client awaits an async collect).
  const gauge = (name: string, help: string, read: () => number | Promise<number>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(await read());
      },
    });

  counter(
    'coldchain_ingest_received_total',
    'device messages received (alone or in envelopes)',
    () => m.received,
  );
  counter(
    'coldchain_ingest_envelopes_total',
    'envelopes of device messages received from the broker',
    () => m.envelopes,
  );
  counter('coldchain_ingest_accepted_messages_total', 'messages journaled', () => m.acceptedMessages);
  counter('coldchain_ingest_accepted_readings_total', 'readings journaled', () => m.acceptedReadings);
  counter('coldchain_ingest_accepted_events_total', 'device events journaled', () => m.acceptedEvents);
  byReason('coldchain_ingest_dead_letters_total', 'messages refused, by reason', () => m.deadLettered);
  counter(
    'coldchain_ingest_conflicting_readings_total',
    'readings refused because their device had sent other values for the same timestamp before',
    () => m.conflicts,
  );
  byReason(
    'coldchain_ingest_dead_letter_samples_dropped_total',
    'dead letters counted but not stored as a sample (per-device or total cap reached), by reason',
    () => m.deadLetterSamplesDropped,
  );
  gauge(
    'coldchain_ingest_dead_letter_samples_stored',
    'dead-letter samples in the store now',
    async () => (await sources.deadLetters()).stored,
  );
  counter('coldchain_ingest_written_lines_total', 'lines InfluxDB confirmed', () => m.writtenLines);
  counter('coldchain_ingest_write_errors_total', 'InfluxDB writes failed and retried', () => m.writeErrors);
  counter(
    'coldchain_ingest_quarantined_segments_total',
    'journal segments InfluxDB refused as malformed',
    () => m.quarantinedSegments,
  );
  gauge('coldchain_ingest_journal_bytes', 'journal bytes not yet in InfluxDB', () => sources.journal().bytes);
  gauge(
    'coldchain_ingest_journal_segments',
    'journal segments not yet in InfluxDB',
    () => sources.journal().segments,
  );
  gauge(
    'coldchain_ingest_write_lag_ms',
    "arrival of the newest written batch's messages to InfluxDB's confirmation",
    () => m.lastWriteLagMs,
  );
  gauge(
    'coldchain_breach_legs_in_memory',
    'custody legs whose engine state is in memory',
    sources.legsInMemory,
  );
  gauge(
    'coldchain_breach_devices_filling',
    'devices filling in their past, whose alerts are held until they settle',
    sources.devicesFilling,
  );
  return registry;
}
