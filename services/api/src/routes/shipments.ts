import {
  newShipmentSchema,
  shipmentIdParamSchema,
  shipmentListQuerySchema,
  shipmentPageSchema,
  shipmentSchema,
  statusChangeSchema,
} from '@coldchain/schema';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.js';
import { requireRole, shipperScope } from '../auth/roles.js';
import { ApiError, badField } from '../http/api-error.js';
import type { AppEnv } from '../http/app-env.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { commonErrors, conflictError, jsonBody, jsonResponse, notFoundError } from '../http/responses.js';
import { visibleShipment } from '../http/shipment-access.js';

const shipmentCursor = z.object({ createdAtMs: z.number().int(), id: z.string() });
const tags = ['Shipments'];
const security = [{ bearer: [] }];

export function shipmentRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps) {
  const { store } = deps;
  const now = deps.now ?? Date.now;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/shipments',
      tags,
      security,
      summary: 'Create a shipment',
      description: 'Admins and operators create any shipper’s; a shipper’s token creates its own.',
      request: { body: jsonBody(newShipmentSchema) },
      responses: {
        201: jsonResponse(shipmentSchema, 'Created'),
        ...commonErrors,
        ...conflictError,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const body = c.req.valid('json');
      const scope = shipperScope(caller);
      if (scope !== undefined && body.shipper !== undefined && body.shipper !== scope)
        throw new ApiError('forbidden', 'a shipper creates shipments in its own name only');
      const shipper = scope ?? body.shipper;
      if (shipper === undefined) throw badField('body.shipper', 'required');
      if (!deps.profiles.has(body.profileId))
        throw badField('body.profileId', `unknown profile; one of ${[...deps.profiles.keys()].join(', ')}`);
      const shipment = await store.createShipment({
        id: body.id,
        profileId: body.profileId,
        shipper,
        consignee: body.consignee,
        goods: body.goods,
        ...(body.reference === undefined ? {} : { reference: body.reference }),
        ...(body.description === undefined ? {} : { description: body.description }),
        origin: body.origin ?? null,
        destination: body.destination ?? null,
        plannedDepartureMs: body.plannedDepartureAt ?? null,
        plannedArrivalMs: body.plannedArrivalAt ?? null,
      });
      deps.log.info({ shipmentId: shipment.id, by: caller.user.id }, 'shipment created');
      return c.json(shipment, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments',
      tags,
      security,
      summary: 'List shipments',
      description: 'Oldest first; follow `nextCursor`. A shipper sees only its own.',
      request: { query: shipmentListQuerySchema },
      responses: { 200: jsonResponse(shipmentPageSchema, 'A page of shipments'), ...commonErrors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const scope = shipperScope(c.get('caller'));
      if (scope !== undefined && q.shipper !== undefined && q.shipper !== scope)
        return c.json({ items: [], nextCursor: null }, 200);
      const items = await store.listShipments({
        ...(q.status ? { status: q.status } : {}),
        ...(scope !== undefined || q.shipper !== undefined ? { shipper: scope ?? q.shipper } : {}),
        ...(q.consignee ? { consignee: q.consignee } : {}),
        ...(q.profileId ? { profileId: q.profileId } : {}),
        ...(q.from !== undefined ? { fromMs: q.from } : {}),
        ...(q.to !== undefined ? { toMs: q.to } : {}),
        ...(q.cursor ? { after: decodeCursor(q.cursor, shipmentCursor) } : {}),
        limit: q.limit,
      });
      const last = items.at(-1);
      const nextCursor =
        items.length === q.limit && last
          ? encodeCursor({ createdAtMs: last.createdAtMs, id: last.id })
          : null;
      return c.json({ items, nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments/{id}',
      tags,
      security,
      summary: 'Read a shipment',
      request: { params: shipmentIdParamSchema },
      responses: { 200: jsonResponse(shipmentSchema, 'The shipment'), ...commonErrors, ...notFoundError },
    }),
    async (c) => c.json(await visibleShipment(store, c.get('caller'), c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/shipments/{id}/status',
      tags,
      security,
      summary: 'Move a shipment to its next status',
      description:
        '`planned → in_transit → delivered → closed`, or `cancelled` from planned or in_transit. A move the current status does not allow (another caller moved it meanwhile, or a skipped step) is 409 `conflict`.',
      request: {
        params: shipmentIdParamSchema,
        body: jsonBody(statusChangeSchema),
      },
      responses: {
        200: jsonResponse(shipmentSchema, 'The shipment with its new status'),
        ...commonErrors,
        ...notFoundError,
        ...conflictError,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      requireRole(caller, 'admin', 'operator');
      const { id } = c.req.valid('param');
      const { status, at } = c.req.valid('json');
      await visibleShipment(store, caller, id);
      const shipment = await store.updateShipmentStatus(id, status, at ?? now());
      deps.log.info({ shipmentId: id, status, by: caller.user.id }, 'shipment status changed');
      return c.json(shipment, 200);
    },
  );
}
