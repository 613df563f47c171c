import { createBatchParser, type ParseOptions } from './batch-message.js';
import { type DeviceEvent, deviceEventSchema } from './device-event.js';
import { MAX_BATCH_EVENTS, type WIRE_VERSION } from './limits.js';
import type { ParseResult } from './problem.js';

/** An events message, normalised: the single-event form arrives here as a batch of one. */
export interface EventsMessage {
  v: typeof WIRE_VERSION;
  events: DeviceEvent[];
}

const parseDeviceEvents = createBatchParser<DeviceEvent>({
  itemsKey: 'events',
  maxItems: MAX_BATCH_EVENTS,
  tooManyCode: 'too_many_events',
  itemSchema: deviceEventSchema,
});

/**
 * Parses a payload from `coldchain/v1/devices/{id}/events`, as `parseTelemetry` does readings:
 * `{"v":1,"events":[...]}` or one event `{"v":1,"ts":...,"type":"door","open":true}`. Never throws.
 */
export function parseEvents(payload: unknown, { nowMs }: ParseOptions): ParseResult<EventsMessage> {
  const result = parseDeviceEvents(payload, nowMs);
  return result.ok ? { ok: true, value: { v: 1, events: result.value } } : result;
}
