import { isOneOf } from './is-one-of.js';
import { createProblem, describeValue, type ParseResult, reject } from './problem.js';

/**
 * A device's retained status on `coldchain/v1/devices/{id}/status`: plain text, `online` when it connects
 * and `offline` as its last will (MQTT 3.1.1 §3.1.2.5), so that a silent device reads offline.
 */
export const DEVICE_STATUSES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** Longer than any status: such a payload is refused without decoding it. */
const MAX_STATUS_BYTES = 16;

const utf8 = new TextDecoder('utf-8');

/**
 * Parses a status payload. Never throws. An empty payload is refused too: on a retained topic it is the
 * broker's instruction to delete the retained message (MQTT 3.1.1 §3.3.1.3), not a status.
 */
export function parseStatus(payload: unknown): ParseResult<DeviceStatus> {
  if (payload instanceof Uint8Array && payload.byteLength > MAX_STATUS_BYTES) {
    return refuse(`${payload.byteLength} bytes`);
  }
  const text = payload instanceof Uint8Array ? utf8.decode(payload) : payload;
  return isOneOf(DEVICE_STATUSES, text) ? { ok: true, value: text } : refuse(describeValue(text));
}

function refuse(received: string): ParseResult<never> {
  return reject([createProblem('invalid_status', '', '"online" or "offline"', received)]);
}
