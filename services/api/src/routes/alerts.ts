import {
  alertAssignmentSchema,
  alertCommentListSchema,
  alertCommentSchema,
  alertIdParamSchema,
  alertListQuerySchema,
  alertNoteSchema,
  alertSchema,
  newCommentSchema,
  pageSchema,
} from '@coldchain/schema';
import type { Alert, MetadataStore } from '@coldchain/store';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.js';
import { requireRole, shipperScope } from '../auth/roles.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { AppEnv, Caller } from '../http/app-env.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { commonErrors, conflictError, jsonBody, jsonResponse, notFoundError } from '../http/responses.js';
import { streamAlerts } from '../live/alert-stream.js';

const tags = ['Alerts'];
const security = [{ bearer: [] }];
const alertCursor = z.object({ beforeId: z.number().int() });
const alertPageSchema = pageSchema(alertSchema, 'AlertPage');

/**
 * Whether a caller may see an alert: a shipper only those of its own shipments (by shipment,
 * looked up once per shipment and remembered for a minute: shipments never change shipper).
 */
function alertVisibility(store: MetadataStore) {
  const shipperOf = new Map<string, { shipper: string | null; atMs: number }>();
  return async (caller: Caller, alert: Alert): Promise<boolean> => {
    const scope = shipperScope(caller);
    if (scope === undefined) return true;
    if (alert.shipmentId === null) return false;
    let known = shipperOf.get(alert.shipmentId);
    if (!known || Date.now() - known.atMs > 60_000) {
      const shipment = await store.getShipment(alert.shipmentId);
      known = { shipper: shipment?.shipper ?? null, atMs: Date.now() };
      if (shipperOf.size > 10_000) shipperOf.clear();
      shipperOf.set(alert.shipmentId, known);
    }
    return known.shipper === scope;
  };
}

/**
 * Alerts for operators: list and filter, acknowledge, resolve, assign, an append-only comment
 * trail, and the live stream. A shipper sees (and streams) only its own shipments' alerts; another
 * shipper's alert is 404. Changing an alert's state is for operators and admins.
 */
export function alertRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps) {
  const { store, log } = deps;
  const visible = alertVisibility(store);
  const maxStreams = deps.streamsPerUser ?? 20;
  const streamsOf = new Map<string, number>();

  const announce = (alert: Alert) =>
    deps.feed
      .publishAlertChange(alert)
      .catch((err: unknown) => log.error({ err, alertId: alert.id }, 'could not announce an alert change'));

  const visibleAlert = async (c: Context<AppEnv>, id: number) => {
    const alert = await store.getAlert(id);
    if (!alert || !(await visible(c.get('caller'), alert))) throw notFound(`alert ${id}`);
    return alert;
  };

  // Registered before `/v1/alerts/{id}` so that `stream` is not taken for an id.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/alerts/stream',
      tags,
      security,
      summary: 'Live alert changes (Server-Sent Events)',
      description:
        'Events `alert.created` and `alert.updated`, data the alert as JSON. Reconnect with `Last-Event-ID` to receive every change missed meanwhile, once.',
      responses: {
        200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...commonErrors,
      },
    }),
    (c) => {
      const caller = c.get('caller');
      // Each stream holds a socket and a listener: a bounded number per user, released when it closes.
      const open = streamsOf.get(caller.user.id) ?? 0;
      if (open >= maxStreams)
        throw new ApiError('rate_limited', `at most ${maxStreams} open alert streams per user`, {
          openStreams: open,
        });
      streamsOf.set(caller.user.id, open + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const n = (streamsOf.get(caller.user.id) ?? 1) - 1;
        if (n <= 0) streamsOf.delete(caller.user.id);
        else streamsOf.set(caller.user.id, n);
      };
      c.req.raw.signal.addEventListener('abort', release, { once: true });
      return streamAlerts(c, {
        feed: deps.feed,
        store,
        visible: (alert: Alert) => visible(caller, alert),
        ...(c.req.header('last-event-id') ? { lastEventId: c.req.header('last-event-id') } : {}),
        ...(deps.heartbeatMs === undefined ? {} : { heartbeatMs: deps.heartbeatMs }),
      }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/alerts',
      tags,
      security,
      summary: 'List alerts',
      description: 'Newest first; follow `nextCursor`.',
      request: { query: alertListQuerySchema },
      responses: { 200: jsonResponse(alertPageSchema, 'A page of alerts'), ...commonErrors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const scope = shipperScope(c.get('caller'));
      const items = await store.listAlerts({
        ...(q.status ? { status: q.status } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.rule ? { rule: q.rule } : {}),
        ...(q.shipmentId ? { shipmentId: q.shipmentId } : {}),
        ...(q.deviceId ? { deviceId: q.deviceId } : {}),
        ...(scope === undefined ? {} : { shipper: scope }),
        ...(q.from === undefined ? {} : { fromMs: q.from }),
        ...(q.to === undefined ? {} : { toMs: q.to }),
        ...(q.cursor ? { beforeId: decodeCursor(q.cursor, alertCursor).beforeId } : {}),
        limit: q.limit,
      });
      const last = items.at(-1);
      const nextCursor = items.length === q.limit && last ? encodeCursor({ beforeId: last.id }) : null;
      return c.json({ items, nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/alerts/{id}',
      tags,
      security,
      summary: 'Read an alert',
      request: { params: alertIdParamSchema },
      responses: { 200: jsonResponse(alertSchema, 'The alert'), ...commonErrors, ...notFoundError },
    }),
    async (c) => c.json(await visibleAlert(c, c.req.valid('param').id), 200),
  );

  for (const action of ['acknowledge', 'resolve'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/alerts/{id}/${action}`,
        tags,
        security,
        summary: action === 'acknowledge' ? 'Acknowledge an open alert' : 'Resolve an alert',
        description:
          action === 'acknowledge'
            ? 'Open → acknowledged, with a note. An alert another operator moved meanwhile is 409 `alert_conflict`.'
            : 'Open or acknowledged → resolved, with a note. One already resolved is 409 `alert_conflict`.',
        request: {
          params: alertIdParamSchema,
          body: jsonBody(alertNoteSchema),
        },
        responses: {
          200: jsonResponse(alertSchema, 'The alert'),
          ...commonErrors,
          ...notFoundError,
          ...conflictError,
        },
      }),
      async (c) => {
        const caller = c.get('caller');
        requireRole(caller, 'admin', 'operator');
        const { id } = c.req.valid('param');
        const { note } = c.req.valid('json');
        await visibleAlert(c, id);
        const alert =
          action === 'acknowledge'
            ? await store.acknowledgeAlert(id, caller.user.id, note)
            : await store.resolveAlert(id, caller.user.id, note);
        log.info({ alertId: id, status: alert.status, by: caller.user.id }, `alert ${action}d`);
        void announce(alert);
        return c.json(alert, 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/alerts/{id}/assign',
      tags,
      security,
      summary: 'Assign an alert to an operator',
      request: {
        params: alertIdParamSchema,
        body: jsonBody(alertAssignmentSchema),
      },
      responses: { 200: jsonResponse(alertSchema, 'The alert'), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const caller = c.get('caller');
      requireRole(caller, 'admin', 'operator');
      const { id } = c.req.valid('param');
      await visibleAlert(c, id);
      const alert = await store.assignAlert(id, c.req.valid('json').to);
      log.info({ alertId: id, assignedTo: alert.assignedTo, by: caller.user.id }, 'alert assigned');
      void announce(alert);
      return c.json(alert, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/alerts/{id}/comments',
      tags,
      security,
      summary: 'Comments on an alert, oldest first',
      request: { params: alertIdParamSchema },
      responses: { 200: jsonResponse(alertCommentListSchema, 'Comments'), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await visibleAlert(c, id);
      return c.json({ items: await store.listAlertComments(id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/alerts/{id}/comments',
      tags,
      security,
      summary: 'Comment on an alert',
      description: 'Append-only: a comment carries its author and time and is never edited or deleted.',
      request: {
        params: alertIdParamSchema,
        body: jsonBody(newCommentSchema),
      },
      responses: { 201: jsonResponse(alertCommentSchema, 'The comment'), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const caller = c.get('caller');
      const { id } = c.req.valid('param');
      await visibleAlert(c, id);
      const comment = await store.addAlertComment(id, caller.user.id, c.req.valid('json').text);
      return c.json(comment, 201);
    },
  );
}
