import { z } from 'zod';
import { shipmentIdSchema } from './ids.js';
import { ALARM_CODE_PATTERN, MAX_ALARM_MESSAGE_LENGTH, MAX_SCANNED_BY_LENGTH } from './limits.js';
import { timestampSchema, withTsMs } from './timestamp.js';

export const SCAN_ACTIONS = ['load', 'unload'] as const;
export type ScanAction = (typeof SCAN_ACTIONS)[number];

export const POWER_STATES = ['mains', 'battery', 'off'] as const;
export type PowerState = (typeof POWER_STATES)[number];

/** A door opened or closed. */
export interface DoorEvent {
  tsMs: number;
  type: 'door';
  open: boolean;
}

/** A shipment scanned onto (`load`) or off (`unload`) the device's vehicle or room: a custody change. */
export interface ScanEvent {
  tsMs: number;
  type: 'scan';
  action: ScanAction;
  shipmentId: string;
  /** Who scanned, when the scanner knows. */
  by?: string;
}

/** The device's power source changed; `off` is its last word before shutting down. */
export interface PowerEvent {
  tsMs: number;
  type: 'power';
  state: PowerState;
}

/** An alarm raised by the device itself, in its own vocabulary. */
export interface AlarmEvent {
  tsMs: number;
  type: 'alarm';
  code: string;
  message?: string;
}

export type DeviceEvent = DoorEvent | ScanEvent | PowerEvent | AlarmEvent;

const ALARM_CODE_ERROR = 'an alarm code of 1 to 64 letters, digits or "_.:-"';

function text(maxLength: number) {
  const error = `a string of 1 to ${maxLength} characters`;
  return z.string({ error }).min(1, { error }).max(maxLength, { error });
}

/** An event on the wire, told apart by `type`; strict like readings, with the same `ts` rules. */
export const deviceEventSchema = z.discriminatedUnion(
  'type',
  [
    z
      .strictObject({
        ts: timestampSchema,
        type: z.literal('door'),
        open: z.boolean({ error: 'true or false' }),
      })
      .transform((event): DoorEvent => withTsMs(event)),
    z
      .strictObject({
        ts: timestampSchema,
        type: z.literal('scan'),
        action: z.enum(SCAN_ACTIONS, { error: '"load" or "unload"' }),
        shipmentId: shipmentIdSchema,
        by: text(MAX_SCANNED_BY_LENGTH).optional(),
      })
      .transform((event): ScanEvent => withTsMs(event)),
    z
      .strictObject({
        ts: timestampSchema,
        type: z.literal('power'),
        state: z.enum(POWER_STATES, { error: '"mains", "battery" or "off"' }),
      })
      .transform((event): PowerEvent => withTsMs(event)),
    z
      .strictObject({
        ts: timestampSchema,
        type: z.literal('alarm'),
        code: z.string({ error: ALARM_CODE_ERROR }).regex(ALARM_CODE_PATTERN, { error: ALARM_CODE_ERROR }),
        message: text(MAX_ALARM_MESSAGE_LENGTH).optional(),
      })
      .transform((event): AlarmEvent => withTsMs(event)),
  ],
  { error: 'an event type: "door", "scan", "power" or "alarm"' },
);
