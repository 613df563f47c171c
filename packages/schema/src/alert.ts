import { z } from 'zod';
import { deviceIdSchema, shipmentIdSchema } from './ids.js';
import { readJsonPayload } from './json-payload.js';
import { type ParseResult, reject } from './problem.js';
import { problemsFromIssues } from './zod-problems.js';

// Every schema states what it expects as its error message, as elsewhere in this package.
const text = (description: string) => z.string({ error: 'a string' }).meta({ description });
const nullableText = (description: string) =>
  z.string({ error: 'a string or null' }).nullable().meta({ description });
const epochMs = (description: string) =>
  z.int({ error: 'epoch milliseconds (an integer)' }).meta({ description });
const nullableEpochMs = (description: string) =>
  z.int({ error: 'epoch milliseconds (an integer) or null' }).nullable().meta({ description });
const nullableNumber = (description: string) =>
  z.number({ error: 'a number or null' }).nullable().meta({ description });
/**
 * A field added after the first release: an ingest of that release publishes alerts without it, and
 * an api on another machine may be upgraded first. Absent reads as null.
 */
const laterNullableText = (description: string) => nullableText(description).default(null);

export const ALERT_EVENTS = ['alert.created', 'alert.updated'] as const;

/**
 * An alert as the metadata store keeps it and the ingest publishes it: one per excursion of a rule,
 * on one custody leg (or one device), in device event time, with its handling by operators.
 * Unknown fields are dropped rather than refused, so that a newer ingest can add some.
 */
export const alertSchema = z
  .object(
    {
      id: z.int({ error: 'an integer' }).meta({ description: 'The alert’s id in the metadata store' }),
      key: text(
        'Stable identity: scope (shipment and custody leg, or device) and excursion key; one alert per excursion',
      ),
      rule: text(
        'The rule broken: range, critical, cumulative, humidity, door or gap; or early_warning (warning severity: the air outside the range while the product is still inside, never an excursion)',
      ),
      severity: z
        .enum(['warning', 'critical'], { error: '"warning" or "critical"' })
        .meta({ description: 'warning, or critical (a critical limit crossed)' }),
      shipmentId: shipmentIdSchema
        .nullable()
        .meta({ description: 'The shipment in custody on the device, or null for a device alert' }),
      deviceId: deviceIdSchema.meta({ description: 'The device whose readings broke the rule' }),
      holder: nullableText('The custody holder when the excursion started'),
      startMs: epochMs('Start of the excursion, device event time'),
      endMs: nullableEpochMs('End of the excursion, device event time; null while it is open'),
      detectedAtMs: epochMs('When the ingest first raised the alert (wall clock)'),
      limit: nullableNumber('The limit crossed (°C or %RH); null for gap and door'),
      peakValue: nullableNumber('The most extreme value beyond the limit; null for gap and door'),
      peakTsMs: nullableEpochMs('Event time of the first reading with the peak value'),
      status: z
        .enum(['open', 'acknowledged', 'resolved'], { error: '"open", "acknowledged" or "resolved"' })
        .meta({ description: 'open → acknowledged → resolved' }),
      acknowledgedBy: nullableText('The operator who acknowledged it'),
      acknowledgedAtMs: nullableEpochMs('When it was acknowledged'),
      note: nullableText('The acknowledgement’s note'),
      resolvedAtMs: nullableEpochMs('When it was resolved'),
      resolvedBy: laterNullableText('The operator who resolved it, or "system" when the rules withdrew it'),
      resolutionNote: laterNullableText('Why it was resolved'),
      assignedTo: laterNullableText('The operator it is assigned to'),
      detail: nullableText('What the ingest adds, e.g. that a backlog filled a data gap'),
      updatedAtMs: epochMs('When the alert last changed (wall clock): the order of the live stream'),
    },
    { error: 'an object' },
  )
  .meta({
    id: 'Alert',
    description:
      'A breach of a cold-chain rule: one per excursion, with the custody holder at its start, its start and end in device time, and its handling',
  });

export const alertEventSchema = z
  .object(
    {
      event: z
        .enum(ALERT_EVENTS, { error: '"alert.created" or "alert.updated"' })
        .meta({ description: 'alert.created for a new alert, alert.updated for any later change' }),
      alert: alertSchema,
    },
    { error: 'an object' },
  )
  .meta({
    id: 'AlertEvent',
    description:
      'An alert change, as published on coldchain/v1/alerts/{shipmentId} and coldchain/v1/alerts/devices/{deviceId} and streamed to browsers',
  });

export type AlertEvent = z.infer<typeof alertEventSchema>;

/** Parses an alert event from MQTT (bytes or text). Never throws. */
export function parseAlertEvent(payload: unknown): ParseResult<AlertEvent> {
  const json = readJsonPayload(payload);
  if (!json.ok) return json;
  const parsed = alertEventSchema.safeParse(json.value, { reportInput: true });
  return parsed.success ? { ok: true, value: parsed.data } : reject(problemsFromIssues(parsed.error.issues));
}
