import { z } from 'zod';
import {
  BATTERY_RANGE_PCT,
  LAT_RANGE_DEG,
  LON_RANGE_DEG,
  MAX_SENSORS,
  MAX_SEQ,
  type Range,
  RH_RANGE_PCT,
  SENSOR_NAME_PATTERN,
  TEMP_RANGE_C,
} from './limits.js';
import { timestampWireSchema, toEpochMs } from './timestamp.js';

/** One reading of one device, as the rest of the system sees it. Units are SI/°C (DESIGN.md §2). */
export interface Reading {
  /** Device event time in epoch milliseconds (`ts` on the wire). */
  tsMs: number;
  /** Per-device counter. */
  seq?: number;
  /** °C per sensor, e.g. `{ air: 3.4, product: 2.9 }`; one to MAX_SENSORS sensors. */
  temp?: Record<string, number>;
  /** Relative humidity, %. */
  rh?: number;
  door?: boolean;
  /** WGS 84 degrees; `lat` and `lon` come together or not at all. */
  lat?: number;
  lon?: number;
  /** State of charge, %. */
  battery?: number;
}

function boundedNumber({ min, max }: Range) {
  const error = `a number between ${min} and ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

const SENSOR_NAME_ERROR =
  'a sensor name of 1 to 32 lower-case letters, digits or "_", starting with a letter';
const seqError = `an integer between 0 and ${MAX_SEQ}`;

const temperatures = z
  .record(z.string().regex(SENSOR_NAME_PATTERN, { error: SENSOR_NAME_ERROR }), boundedNumber(TEMP_RANGE_C), {
    error: 'an object of °C per sensor, e.g. {"air":3.4}',
  })
  .superRefine((sensors, ctx) => {
    const count = Object.keys(sensors).length;
    if (count === 0 || count > MAX_SENSORS) {
      ctx.addIssue({
        code: 'custom',
        message: `1 to ${MAX_SENSORS} sensors`,
        params: { received: `${count} sensors` },
      });
    }
  });

/**
 * A reading on the wire: strict, so an unknown field is refused rather than silently dropped. Every field
 * but `ts` is optional, yet at least one measurement is required: a reading of nothing is a device bug.
 * Its output still says `ts`, as sent; `toReading` turns it into `tsMs`. That is a plain function rather
 * than zod transforms because a transform (a pipe) cost a third of the whole validation of a reading.
 */
export const readingWireSchema = z
  .strictObject(
    {
      ts: timestampWireSchema,
      seq: z.number({ error: seqError }).int({ error: seqError }).min(0, { error: seqError }).optional(),
      temp: temperatures.optional(),
      rh: boundedNumber(RH_RANGE_PCT).optional(),
      door: z.boolean({ error: 'true or false' }).optional(),
      lat: boundedNumber(LAT_RANGE_DEG).optional(),
      lon: boundedNumber(LON_RANGE_DEG).optional(),
      battery: boundedNumber(BATTERY_RANGE_PCT).optional(),
    },
    { error: 'a reading: an object with ts and at least one measurement' },
  )
  .superRefine((reading, ctx) => {
    if ((reading.lat === undefined) !== (reading.lon === undefined)) {
      const [missing, present] = reading.lat === undefined ? ['lat', 'lon'] : ['lon', 'lat'];
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `${missing} together with ${present}`,
        params: { code: 'missing_field', received: 'missing' },
      });
    } else if (!hasMeasurement(reading)) {
      ctx.addIssue({
        code: 'custom',
        message: 'at least one measurement: temp, rh, door, lat with lon, or battery',
        params: { code: 'no_measurement', received: `only ${Object.keys(reading).join(', ')}` },
      });
    }
  });

export type WireReading = z.output<typeof readingWireSchema>;

/**
 * A validated wire reading as the rest of the system sees it: `ts` (ISO text or epoch ms) becomes
 * `tsMs`, absent fields stay absent.
 */
export function toReading(wire: WireReading): Reading {
  // Written out field by field: the object rest/spread of `withTsMs` is the slow path in V8, and
  // this runs for every reading of every message.
  const reading: Reading = { tsMs: toEpochMs(wire.ts) };
  if (wire.seq !== undefined) reading.seq = wire.seq;
  if (wire.temp !== undefined) reading.temp = wire.temp;
  if (wire.rh !== undefined) reading.rh = wire.rh;
  if (wire.door !== undefined) reading.door = wire.door;
  if (wire.lat !== undefined) reading.lat = wire.lat;
  if (wire.lon !== undefined) reading.lon = wire.lon;
  if (wire.battery !== undefined) reading.battery = wire.battery;
  return reading;
}

/** The wire reading and its rename in one schema, for callers that want a zod schema of a `Reading`. */
export const readingSchema = readingWireSchema.transform(toReading);

function hasMeasurement({ temp, rh, door, lat, battery }: Omit<Reading, 'tsMs'>): boolean {
  return (
    temp !== undefined || rh !== undefined || door !== undefined || lat !== undefined || battery !== undefined
  );
}
