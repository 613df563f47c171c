import type { LegExcursion } from '@coldchain/coldchain';
import {
  createWindowCellCache,
  type HistoryLeg,
  readLegPoints,
  readLegTrack,
  readLegWindows,
} from '@coldchain/influx';
import {
  excursionListSchema,
  geoJsonSchema,
  historyQuerySchema,
  rawHistorySchema,
  shipmentIdParamSchema,
  windowedHistorySchema,
} from '@coldchain/schema';
import type { CustodyLeg } from '@coldchain/store';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import type { ApiContext } from '../api-deps.js';
import { historyPointsCsv, historyWindowsCsv } from '../history/history-csv.js';
import { trackGeoJson } from '../history/track-geojson.js';
import { badField } from '../http/api-error.js';
import type { AppEnv } from '../http/app-env.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { commonErrors, jsonResponse, notFoundError } from '../http/responses.js';
import { visibleShipment } from '../http/shipment-access.js';
import { evaluateShipment } from '../http/shipment-excursions.js';

const tags = ['History'];
const security = [{ bearer: [] }];
const rawCursor = z.object({ afterMs: z.number().int() });

const historyLegs = (legs: CustodyLeg[]): HistoryLeg[] =>
  [...legs]
    .sort((a, b) => a.fromMs - b.fromMs)
    .map((l) => ({ legId: l.id, deviceId: l.deviceId, holder: l.holder, fromMs: l.fromMs, toMs: l.toMs }));

const wantsCsv = (c: Context, format: string | undefined) =>
  format === 'csv' || (format === undefined && (c.req.header('accept') ?? '').includes('text/csv'));

const csvResponse = (c: Context, name: string, body: string) =>
  c.body(body, 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${name}.csv"`,
  });

/**
 * A shipment's history, stitched from each custody leg's device inside that leg's window; its
 * excursions as the breach engine finds them over the stored readings (the same code the ingest
 * runs, so they agree with the alerts); its track as GeoJSON.
 */
export function historyRoutes(app: OpenAPIHono<AppEnv>, deps: ApiContext) {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  // Windowed histories are answered from aggregate cells kept per leg and day, each checked against
  // the stored counts on every request (see `WindowCellCache`): only days that changed are asked again.
  const windowCache = createWindowCellCache({ maxChunks: deps.historyCacheChunks ?? 1_000 });

  const load = async (c: Context<AppEnv>, id: string) => {
    const shipment = await visibleShipment(store, c.get('caller'), id);
    const legs = await store.legsOfShipment(id);
    return { shipment, legs };
  };
  const journeyRange = (legs: CustodyLeg[], from?: number, to?: number) => {
    const starts = legs.map((l) => l.fromMs);
    const ends = legs.map((l) => l.toMs ?? now());
    const fromMs = from ?? (starts.length > 0 ? Math.min(...starts) : now());
    const toMs = to ?? (ends.length > 0 ? Math.max(...ends) : now());
    if (toMs <= fromMs) throw badField('query.to', 'must be after from');
    return { fromMs, toMs };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments/{id}/history',
      tags,
      security,
      summary: 'Temperature history of a shipment',
      description:
        'Readings of each custody leg’s device inside that leg’s window, each labelled with its leg and holder. With `every`, windows with explicit start, end, count, min, mean and max per sensor (an empty window has count 0; none is skipped; day windows follow `tz`). Without it, raw points, paged by `nextCursor`. JSON, or CSV with `Accept: text/csv` or `format=csv`.',
      request: { params: shipmentIdParamSchema, query: historyQuerySchema },
      responses: {
        200: {
          description: 'Raw points or windows',
          content: {
            'application/json': { schema: z.union([rawHistorySchema, windowedHistorySchema]) },
            'text/csv': { schema: z.string() },
          },
        },
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const { legs } = await load(c, id);
      const { fromMs, toMs } = journeyRange(legs, q.from, q.to);
      const sensors = q.sensor?.split(',');
      const hLegs = historyLegs(legs);
      if (q.every) {
        const windows = await readLegWindows(
          deps.influx,
          hLegs,
          {
            fromMs,
            toMs,
            every: q.every,
            timeZone: q.tz,
            ...(sensors ? { sensors } : {}),
          },
          windowCache,
        );
        if (wantsCsv(c, q.format))
          return csvResponse(c, `${id}-history-${q.every}`, historyWindowsCsv(windows, { timeZone: q.tz }));
        return c.json({ shipmentId: id, fromMs, toMs, every: q.every, tz: q.tz, windows }, 200);
      }
      const afterMs = q.cursor ? decodeCursor(q.cursor, rawCursor).afterMs : undefined;
      const page = await readLegPoints(deps.influx, hLegs, {
        fromMs,
        toMs,
        limit: q.limit,
        ...(afterMs === undefined ? {} : { afterMs }),
        ...(sensors ? { sensors } : {}),
      });
      const nextCursor = page.nextAfterMs === null ? null : encodeCursor({ afterMs: page.nextAfterMs });
      if (wantsCsv(c, q.format)) {
        if (nextCursor) c.header('link', `<?cursor=${nextCursor}&format=csv>; rel="next"`);
        return csvResponse(
          c,
          `${id}-history`,
          historyPointsCsv(page.points, {
            timeZone: q.tz,
            ...(sensors ? { sensors } : {}),
            header: !q.cursor,
          }),
        );
      }
      return c.json({ shipmentId: id, fromMs, toMs, points: page.points, nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments/{id}/excursions',
      tags,
      security,
      summary: 'Excursions of a shipment',
      description:
        'What the breach engine finds over the stored readings of every leg, with the holder at the time and the status of its alert. Early warnings (the air outside the range while the product is still inside) are listed apart in `earlyWarnings`: they are not excursions.',
      request: { params: shipmentIdParamSchema },
      responses: { 200: jsonResponse(excursionListSchema, 'Excursions'), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { shipment, legs } = await load(c, id);
      const asOfMs = now();
      const [result, alerts] = await Promise.all([
        evaluateShipment(deps, shipment, legs, asOfMs),
        store.listAlerts({ shipmentId: id, limit: 1000 }),
      ]);
      const byKey = new Map(alerts.map((a) => [a.key, a]));
      const withAlert = (e: LegExcursion) => {
        const alert = byKey.get(e.alertKey);
        return {
          key: e.key,
          alertKey: e.alertKey,
          rule: e.rule,
          severity: e.severity,
          boundary: e.boundary,
          startMs: e.startMs,
          endMs: e.endMs,
          durationMs: e.durationMs,
          peakValue: e.peak?.value ?? null,
          peakTsMs: e.peak?.tsMs ?? null,
          limit: e.limit,
          legId: e.legId,
          holder: e.holder,
          deviceId: e.deviceId,
          alertId: alert?.id ?? null,
          alertStatus: alert?.status ?? null,
        };
      };
      const excursions = result.excursions.map(withAlert);
      const earlyWarnings = result.earlyWarnings.map((e) => ({
        ...withAlert(e),
        rule: 'early_warning' as const,
        projectedBreachMs: e.projectedBreachMs,
      }));
      return c.json({ shipmentId: id, asOfMs, excursions, earlyWarnings }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments/{id}/track',
      tags,
      security,
      summary: 'Route of a shipment as GeoJSON',
      description:
        'A LineString per custody leg with a timestamp per coordinate, and Points for handovers and excursion starts.',
      request: { params: shipmentIdParamSchema },
      responses: {
        200: { description: 'GeoJSON', content: { 'application/geo+json': { schema: geoJsonSchema } } },
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { legs } = await load(c, id);
      const hLegs = historyLegs(legs);
      const [tracks, alerts] = await Promise.all([
        readLegTrack(deps.influx, hLegs),
        store.listAlerts({ shipmentId: id, limit: 1000 }),
      ]);
      const geojson = trackGeoJson(
        tracks,
        alerts.map((a) => ({ rule: a.rule, severity: a.severity, startMs: a.startMs })),
      );
      c.header('content-type', 'application/geo+json');
      return c.json(geojson as never, 200);
    },
  );
}
