import { z } from 'zod';
import { cursorSchema, instantSchema, timeZoneSchema } from './common.js';

/** `5m`, `15m`, `1h`, `1d`, `7d`: a window length for downsampled history. */
export const EVERY_PATTERN = /^[1-9]\d{0,3}(m|h|d)$/;

export const historyQuerySchema = z.object({
  from: instantSchema.optional().meta({ description: 'Default: the first leg’s start' }),
  to: instantSchema.optional().meta({ description: 'Default: the last leg’s end, or now' }),
  every: z
    .string()
    .regex(EVERY_PATTERN, 'a window such as 5m, 15m, 1h or 1d')
    .optional()
    .meta({ description: 'Downsample into windows of this length; without it, raw points' }),
  tz: timeZoneSchema.default('UTC').meta({ description: 'Day windows follow this zone’s midnights' }),
  sensor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}(,[A-Za-z0-9_-]{1,32}){0,15}$/, 'sensor names separated by commas')
    .optional()
    .meta({ description: 'Comma-separated: `product`, `air`, `rh` …; default all' }),
  format: z.enum(['json', 'csv']).optional().meta({ description: 'Or `Accept: text/csv`' }),
  cursor: cursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(50_000).default(10_000),
});

const statsSchema = z
  .object({
    count: z.number().int(),
    min: z.number().nullable(),
    mean: z.number().nullable(),
    max: z.number().nullable(),
  })
  .meta({ id: 'WindowStats' });

export const historyPointSchema = z
  .object({
    tsMs: z.number().int(),
    legId: z.number().int(),
    holder: z.string(),
    deviceId: z.string(),
    temp: z.record(z.string(), z.number()),
    rh: z.number().optional(),
    door: z.boolean().optional(),
    lat: z.number().optional(),
    lon: z.number().optional(),
    battery: z.number().optional(),
  })
  .meta({ id: 'HistoryPoint' });

export const historyWindowSchema = z
  .object({
    windowStart: z.number().int(),
    windowEnd: z.number().int(),
    count: z.number().int().meta({ description: '0: no reading in this window (never skipped)' }),
    sensors: z.record(z.string(), statsSchema),
  })
  .meta({ id: 'HistoryWindow' });

export const rawHistorySchema = z
  .object({
    shipmentId: z.string(),
    fromMs: z.number().int(),
    toMs: z.number().int(),
    points: z.array(historyPointSchema),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'RawHistory' });

export const windowedHistorySchema = z
  .object({
    shipmentId: z.string(),
    fromMs: z.number().int(),
    toMs: z.number().int(),
    every: z.string(),
    tz: z.string(),
    windows: z.array(historyWindowSchema),
  })
  .meta({ id: 'WindowedHistory' });

export const excursionSchema = z
  .object({
    key: z.string(),
    alertKey: z.string().meta({ description: 'The key of the alert the ingest raises for it' }),
    rule: z.string(),
    severity: z.enum(['warning', 'critical']),
    boundary: z.string().nullable(),
    startMs: z.number().int(),
    endMs: z.number().int().nullable(),
    durationMs: z.number().int().nullable().meta({ description: 'Null while open' }),
    peakValue: z.number().nullable(),
    peakTsMs: z.number().int().nullable(),
    limit: z.number().nullable(),
    legId: z.number().int(),
    holder: z.string(),
    deviceId: z.string(),
    alertId: z.number().int().nullable(),
    alertStatus: z.enum(['open', 'acknowledged', 'resolved']).nullable(),
  })
  .meta({ id: 'Excursion', description: "The breach engine's own result over the stored readings" });

export const earlyWarningSchema = excursionSchema
  .extend({
    rule: z.literal('early_warning'),
    peakValue: z.number().nullable().meta({ description: 'The air’s most extreme value beyond the limit' }),
    projectedBreachMs: z.number().int().nullable().meta({
      description:
        'When the product’s trend, as it stood when the warning was raised, reaches the limit; null when it is not heading there',
    }),
  })
  .meta({
    id: 'EarlyWarning',
    description:
      'The air outside the range for the profile’s delay while the product was still inside: a warning, never an excursion',
  });

export const excursionListSchema = z
  .object({
    shipmentId: z.string(),
    asOfMs: z.number().int(),
    excursions: z.array(excursionSchema),
    earlyWarnings: z
      .array(earlyWarningSchema)
      .meta({ description: 'Early warnings, listed apart: they never count as excursions' }),
  })
  .meta({ id: 'Excursions' });

export const geoJsonSchema = z
  .object({ type: z.literal('FeatureCollection'), features: z.array(z.record(z.string(), z.unknown())) })
  .meta({ id: 'FeatureCollection', description: 'GeoJSON (RFC 7946)' });
