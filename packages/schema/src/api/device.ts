import { z } from 'zod';
import { deviceIdSchema } from '../ids.js';
import { limitSchema } from './common.js';

export const DEVICE_KIND_VALUES = ['vehicle', 'cold-room', 'cabinet', 'logger'] as const;

export const deviceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(DEVICE_KIND_VALUES),
    createdAtMs: z.number().int(),
    disabled: z.boolean(),
  })
  .meta({ id: 'Device' });

export const deviceStateSchema = deviceSchema
  .extend({
    online: z
      .boolean()
      .nullable()
      .meta({ description: 'From the broker’s retained status; null: never seen' }),
    statusSinceMs: z.number().int().nullable(),
    lastSeenMs: z.number().int().nullable().meta({ description: 'Event time of its newest stored reading' }),
    lastReading: z
      .object({
        tsMs: z.number().int(),
        temp: z.record(z.string(), z.number()),
        rh: z.number().optional(),
        lat: z.number().optional(),
        lon: z.number().optional(),
      })
      .nullable(),
    battery: z.number().nullable(),
  })
  .meta({ id: 'DeviceState' });

export const newDeviceSchema = z
  .object({
    id: deviceIdSchema,
    name: z.string().trim().min(1).max(200).optional(),
    kind: z.enum(DEVICE_KIND_VALUES).optional(),
  })
  .strict()
  .meta({ id: 'NewDevice' });

export const deviceSecretSchema = z
  .object({
    device: deviceSchema,
    secret: z.string().meta({ description: 'Shown once: only a hash is stored' }),
  })
  .meta({ id: 'DeviceSecret' });

export const deviceIdParamSchema = z.object({ id: deviceIdSchema });

export const deadLetterSchema = z
  .object({
    id: z.number().int(),
    deviceId: z.string().nullable(),
    topic: z.string(),
    arrivedAtMs: z.number().int(),
    reason: z.string(),
    problems: z.array(z.string()),
    payload: z.string(),
    payloadBytes: z.number().int(),
  })
  .meta({ id: 'DeadLetter', description: 'A message refused by the ingest, with why' });

export const deadLetterQuerySchema = z.object({
  deviceId: deviceIdSchema.optional(),
  limit: limitSchema,
});

export const deadLetterListSchema = z
  .object({
    items: z.array(deadLetterSchema),
    countsByReason: z.record(z.string(), z.number().int()),
  })
  .meta({ id: 'DeadLetters' });
