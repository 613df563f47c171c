import { z } from 'zod';
import { DEVICE_ID_PATTERN, SHIPMENT_ID_PATTERN } from './limits.js';

function idSchema(pattern: RegExp, error: string) {
  return z.string({ error }).regex(pattern, { error });
}

export const deviceIdSchema = idSchema(
  DEVICE_ID_PATTERN,
  'a device id of 1 to 64 letters, digits, "_" or "-"',
);
export const shipmentIdSchema = idSchema(
  SHIPMENT_ID_PATTERN,
  'a shipment id of 1 to 64 letters, digits, "_" or "-", other than "devices"',
);

export function isValidDeviceId(id: unknown): id is string {
  return typeof id === 'string' && DEVICE_ID_PATTERN.test(id);
}

export function isValidShipmentId(id: unknown): id is string {
  return typeof id === 'string' && SHIPMENT_ID_PATTERN.test(id);
}
