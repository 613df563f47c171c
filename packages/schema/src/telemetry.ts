import { createBatchParser, type ParseOptions } from './batch-message.js';
import { MAX_BATCH_READINGS, type WIRE_VERSION } from './limits.js';
import type { ParseResult } from './problem.js';
import { type Reading, readingWireSchema, toReading, type WireReading } from './reading.js';

/** A telemetry message, normalised: the single-reading form arrives here as a batch of one. */
export interface TelemetryMessage {
  v: typeof WIRE_VERSION;
  readings: Reading[];
}

const parseReadings = createBatchParser<Reading, WireReading>({
  itemsKey: 'readings',
  maxItems: MAX_BATCH_READINGS,
  tooManyCode: 'too_many_readings',
  itemSchema: readingWireSchema,
  toItem: toReading,
});

/**
 * Parses a payload from `coldchain/v1/devices/{id}/telemetry`: a Buffer or string as received, or a value
 * already parsed from JSON. Never throws; a refused message comes back with its problems, each with a
 * `code` to count dead letters by. One bad reading refuses the whole message, so a batch is stored all or
 * nothing and a redelivery gives the same answer.
 */
export function parseTelemetry(payload: unknown, { nowMs }: ParseOptions): ParseResult<TelemetryMessage> {
  const result = parseReadings(payload, nowMs);
  return result.ok ? { ok: true, value: { v: 1, readings: result.value } } : result;
}
