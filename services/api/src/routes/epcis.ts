import type { HistoryWindow } from '@coldchain/influx';
import { readLegWindows } from '@coldchain/influx';
import { shipmentIdParamSchema } from '@coldchain/schema';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { ApiContext } from '../api-deps.js';
import { buildEpcisDocument } from '../epcis/epcis-document.js';
import type { AppEnv } from '../http/app-env.js';
import { commonErrors, notFoundError } from '../http/responses.js';
import { visibleShipment } from '../http/shipment-access.js';
import { evaluateShipment, revisionExcursionOf } from '../http/shipment-excursions.js';
import { legsAsOf } from '../integrity/shipment-evidence.js';

/**
 * A shipment's history as a GS1 EPCIS 2.0 document (JSON-LD), for partners' systems: hourly
 * sensor reports per custody leg, excursions as alarm conditions, handovers and the receipt.
 */
export function epcisRoutes(app: OpenAPIHono<AppEnv>, deps: ApiContext) {
  const { store } = deps;
  const now = deps.now ?? Date.now;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments/{id}/epcis',
      tags: ['History'],
      security: [{ bearer: [] }],
      summary: 'History as an EPCIS 2.0 document',
      description:
        'An EPCISDocument of ObjectEvents: `sensor_reporting` per hour of each leg with `sensorElementList` (Temperature min/max/mean in CEL, RelativeHumidity where measured, deviceID, startTime/endTime), excursions with `exception: ALARM_CONDITION`, and the handovers and receipt with their read points.',
      request: { params: shipmentIdParamSchema },
      responses: {
        200: {
          description: 'EPCISDocument',
          content: { 'application/ld+json': { schema: z.looseObject({ type: z.literal('EPCISDocument') }) } },
        },
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const shipment = await visibleShipment(store, c.get('caller'), id);
      const at = now();
      const [legs, receipt] = await Promise.all([store.legsOfShipment(id), store.getReceipt(id)]);
      const windowsByLeg = new Map<number, HistoryWindow[]>();
      for (const leg of legsAsOf(legs, at)) {
        const toMs = leg.toMs as number;
        if (toMs <= leg.fromMs) continue;
        windowsByLeg.set(
          leg.legId,
          await readLegWindows(deps.influx, [leg], {
            fromMs: leg.fromMs,
            toMs,
            every: '1h',
            timeZone: 'UTC',
          }),
        );
      }
      const { excursions } = await evaluateShipment(deps, shipment, legs, at);
      const doc = buildEpcisDocument({
        shipment,
        legs,
        windowsByLeg,
        excursions: excursions.map((e) => ({ ...revisionExcursionOf(e), holder: e.holder })),
        receipt,
        creationMs: at,
      });
      // JSON-LD's own media type (EPCIS 2.0 §9): `c.json` would say application/json.
      return c.body(JSON.stringify(doc), 200, {
        'content-type': 'application/ld+json; charset=utf-8',
      }) as never;
    },
  );
}
