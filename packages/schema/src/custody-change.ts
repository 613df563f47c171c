import { z } from 'zod';
import { shipmentIdSchema } from './ids.js';
import { readJsonPayload } from './json-payload.js';
import { createProblem, type ParseResult, reject } from './problem.js';
import { problemsFromIssues } from './zod-problems.js';

/**
 * `{"event":"custody.changed","shipmentId":"…"}` on `coldchain/v1/custody/{shipmentId}`, QoS 1: the
 * api recorded a handover (possibly late, after the readings it covers arrived), and the ingest
 * re-evaluates the shipment's legs. Unknown fields are dropped, so a later version can add some.
 */
export const custodyChangeSchema = z
  .object(
    {
      event: z.literal('custody.changed', { error: '"custody.changed"' }),
      shipmentId: shipmentIdSchema.meta({ description: 'The shipment whose custody legs changed' }),
    },
    { error: 'an object' },
  )
  .meta({
    id: 'CustodyChange',
    description: 'A shipment’s custody legs changed: its excursions are to be evaluated again',
  });

export type CustodyChange = z.infer<typeof custodyChangeSchema>;

/**
 * Parses a custody message; `topicShipmentId` is the shipment its topic names (`parseCustodyTopic`),
 * and a payload naming another one is refused: it would re-evaluate a shipment the topic did not
 * say. Never throws.
 */
export function parseCustodyChange(payload: unknown, topicShipmentId: string): ParseResult<CustodyChange> {
  const json = readJsonPayload(payload);
  if (!json.ok) return json;
  const parsed = custodyChangeSchema.safeParse(json.value, { reportInput: true });
  if (!parsed.success) return reject(problemsFromIssues(parsed.error.issues));
  if (parsed.data.shipmentId !== topicShipmentId)
    return reject([
      createProblem(
        'invalid_field',
        'shipmentId',
        `the shipment of the topic, ${JSON.stringify(topicShipmentId)}`,
        JSON.stringify(parsed.data.shipmentId),
      ),
    ]);
  return { ok: true, value: parsed.data };
}
