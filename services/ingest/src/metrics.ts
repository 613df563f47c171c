import type { JournalStats } from '@coldchain/influx';

/** The ingest's counters and gauges, rendered in the Prometheus text format for `/metrics`. */
export interface IngestMetrics {
  received: number;
  acceptedMessages: number;
  acceptedReadings: number;
  acceptedEvents: number;
  deadLettered: Record<string, number>;
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
    acceptedMessages: 0,
    acceptedReadings: 0,
    acceptedEvents: 0,
    deadLettered: {},
    conflicts: 0,
    writtenLines: 0,
    writeErrors: 0,
    quarantinedSegments: 0,
    lastWriteLagMs: 0,
  };
}

export function renderPrometheus(
  m: IngestMetrics,
  journal: JournalStats,
  breaches: { legsInMemory: number } = { legsInMemory: 0 },
): string {
  const lines = [
    '# TYPE coldchain_ingest_received_total counter',
    `coldchain_ingest_received_total ${m.received}`,
    '# TYPE coldchain_ingest_accepted_messages_total counter',
    `coldchain_ingest_accepted_messages_total ${m.acceptedMessages}`,
    '# TYPE coldchain_ingest_accepted_readings_total counter',
    `coldchain_ingest_accepted_readings_total ${m.acceptedReadings}`,
    '# TYPE coldchain_ingest_accepted_events_total counter',
    `coldchain_ingest_accepted_events_total ${m.acceptedEvents}`,
    '# TYPE coldchain_ingest_dead_letters_total counter',
    ...Object.entries(m.deadLettered).map(
      ([reason, n]) => `coldchain_ingest_dead_letters_total{reason="${reason}"} ${n}`,
    ),
    '# HELP coldchain_ingest_conflicting_readings_total Readings refused: their device and timestamp were already accepted with other values.',
    '# TYPE coldchain_ingest_conflicting_readings_total counter',
    `coldchain_ingest_conflicting_readings_total ${m.conflicts}`,
    '# TYPE coldchain_ingest_written_lines_total counter',
    `coldchain_ingest_written_lines_total ${m.writtenLines}`,
    '# TYPE coldchain_ingest_write_errors_total counter',
    `coldchain_ingest_write_errors_total ${m.writeErrors}`,
    '# TYPE coldchain_ingest_quarantined_segments_total counter',
    `coldchain_ingest_quarantined_segments_total ${m.quarantinedSegments}`,
    '# TYPE coldchain_ingest_journal_bytes gauge',
    `coldchain_ingest_journal_bytes ${journal.bytes}`,
    '# TYPE coldchain_ingest_journal_segments gauge',
    `coldchain_ingest_journal_segments ${journal.segments}`,
    '# TYPE coldchain_ingest_write_lag_ms gauge',
    `coldchain_ingest_write_lag_ms ${m.lastWriteLagMs}`,
    '# TYPE coldchain_breach_legs_in_memory gauge',
    `coldchain_breach_legs_in_memory ${breaches.legsInMemory}`,
  ];
  return `${lines.join('\n')}\n`;
}
