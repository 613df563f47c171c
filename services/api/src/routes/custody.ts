import {
  custodyChainSchema,
  custodyLegSchema,
  handoverSchema,
  shipmentIdParamSchema,
  unloadSchema,
} from '@coldchain/schema';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.js';
import { requireRole } from '../auth/roles.js';
import { badField } from '../http/api-error.js';
import type { AppEnv } from '../http/app-env.js';
import { commonErrors, conflictError, jsonBody, jsonResponse, notFoundError } from '../http/responses.js';
import { visibleShipment } from '../http/shipment-access.js';

const tags = ['Custody'];
const security = [{ bearer: [] }];

/**
 * Custody handovers (GB/T 40956-2021): each hands the goods to a holder and the device that
 * monitors them from an instant. The database refuses legs that overlap. After every change the
 * ingest is told over MQTT, and re-evaluates the shipment's legs over the readings it already
 * stored: a handover recorded late raises the excursions of its leg.
 */
export function custodyRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps) {
  const { store, log } = deps;

  const announce = (shipmentId: string) =>
    deps.feed
      .publishCustodyChange(shipmentId)
      .catch((err: unknown) => log.error({ err, shipmentId }, 'could not announce a custody change'));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/shipments/{id}/handovers',
      tags,
      security,
      summary: 'Record a handover',
      description:
        'Hands the goods to `holder`, monitored by `deviceId`, from `at`. The open leg, if any, ends there. A handover may be recorded after the fact; one that would overlap an earlier leg is 409 `custody_overlap`.',
      request: {
        params: shipmentIdParamSchema,
        body: jsonBody(handoverSchema),
      },
      responses: {
        201: jsonResponse(custodyLegSchema, 'The new custody leg'),
        ...commonErrors,
        ...notFoundError,
        ...conflictError,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      requireRole(caller, 'admin', 'operator');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await visibleShipment(store, caller, id);
      if (!(await store.getDevice(body.deviceId)))
        throw badField('body.deviceId', `no such device: ${body.deviceId}`);
      const leg = await store.addCustodyLeg({
        shipmentId: id,
        deviceId: body.deviceId,
        holder: body.holder,
        fromMs: body.at,
        toMs: null,
        handedOverBy: body.handedOverBy ?? null,
        handoverTempC: body.tempC ?? null,
        place: body.place ?? null,
        note: body.note ?? null,
      });
      log.info(
        { shipmentId: id, legId: leg.id, holder: leg.holder, by: caller.user.id },
        'handover recorded',
      );
      void announce(id);
      return c.json(leg, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/shipments/{id}/unload',
      tags,
      security,
      summary: 'Record the unloading',
      description:
        'Ends the open custody leg at `at`: 404 when none is open, 409 when `at` is not after its start.',
      request: {
        params: shipmentIdParamSchema,
        body: jsonBody(unloadSchema),
      },
      responses: {
        200: jsonResponse(custodyLegSchema, 'The leg it ended'),
        ...commonErrors,
        ...notFoundError,
        ...conflictError,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      requireRole(caller, 'admin', 'operator');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await visibleShipment(store, caller, id);
      const leg = await store.endCustodyLeg({
        shipmentId: id,
        atMs: body.at,
        handedOverBy: body.handedOverBy ?? null,
        handoverTempC: body.tempC ?? null,
        place: body.place ?? null,
        note: body.note ?? null,
      });
      log.info({ shipmentId: id, legId: leg.id, by: caller.user.id }, 'unloading recorded');
      void announce(id);
      return c.json(leg, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments/{id}/custody',
      tags,
      security,
      summary: 'The custody chain',
      description: 'Every leg in time order, from pre-cooling to the consignee.',
      request: { params: shipmentIdParamSchema },
      responses: { 200: jsonResponse(custodyChainSchema, 'The chain'), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await visibleShipment(store, c.get('caller'), id);
      const legs = [...(await store.legsOfShipment(id))].sort((a, b) => a.fromMs - b.fromMs);
      return c.json({ shipmentId: id, legs }, 200);
    },
  );
}
