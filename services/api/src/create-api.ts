import { randomBytes } from 'node:crypto';
import { createChunkCache, createInfluxProbe, readDeviceHistoryCached } from '@coldchain/influx';
import { createProcessMetrics } from '@coldchain/runtime';
import type { Reading } from '@coldchain/schema';
import { getConnInfo } from '@hono/node-server/conninfo';
import { OpenAPIHono } from '@hono/zod-openapi';
import { Registry } from 'prom-client';
import type { ApiContext, ApiDeps } from './api-deps.js';
import { bearerAuth } from './auth/bearer-auth.js';
import { ApiError, asApiError, errorResponse } from './http/api-error.js';
import type { AppEnv } from './http/app-env.js';
import { docsPage } from './http/docs-page.js';
import { requestMetrics } from './http/request-metrics.js';
import { validationError } from './http/validation.js';
import { generateReportSigningKey } from './integrity/signing-key.js';
import { alertRoutes } from './routes/alerts.js';
import { custodyRoutes } from './routes/custody.js';
import { deviceRoutes } from './routes/devices.js';
import { epcisRoutes } from './routes/epcis.js';
import { historyRoutes } from './routes/history.js';
import { integrityRoutes, SIGNING_KEY_PATH } from './routes/integrity.js';
import { profileRoutes } from './routes/profiles.js';
import { reportRoutes } from './routes/report.js';
import { sharingRoutes } from './routes/sharing.js';
import { shipmentRoutes } from './routes/shipments.js';
import { userRoutes } from './routes/users.js';
import { createShareScope } from './sharing/share-scope.js';
import { dashboardRoutes } from './web/dashboard-routes.js';

export const API_TITLE = 'Cold-chain telemetry API';
export const API_VERSION = '1.0.0';

/**
 * The HTTP API as a Hono app: builds, never listens (`startApi` does). Every route validates its
 * input with the zod schemas of `@coldchain/schema`, from which `/v1/openapi.json` is generated;
 * every error is `{ error: { code, message, details } }`, rendered in one place.
 */
export function createApi(deps: ApiDeps) {
  const { log } = deps;
  const now = deps.now ?? Date.now;
  const registry = new Registry();
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.target, result.error);
    },
  });

  app.use('*', requestMetrics(registry));
  app.onError((err, c) => {
    const known = asApiError(err);
    if (known) {
      if (known.status >= 500) log.error({ err, code: known.code }, known.message);
      return errorResponse(c, known);
    }
    // A malformed JSON body reaches here from Hono's body parser.
    if (err instanceof SyntaxError || (err as { status?: number }).status === 400) {
      return errorResponse(
        c,
        new ApiError('validation_failed', `body: ${err.message}`, {
          issues: [{ path: 'body', message: err.message }],
        }),
      );
    }
    log.error({ err, method: c.req.method, path: c.req.path }, 'request failed');
    return errorResponse(c, new ApiError('internal', 'internal error'));
  });
  app.notFound((c) => errorResponse(c, new ApiError('not_found', `no route ${c.req.method} ${c.req.path}`)));

  // Unauthenticated: what probes, scrapers and people reading the reference need.
  const influxUp = createInfluxProbe({ url: deps.influx.url, now });
  app.get('/healthz', async (c) => {
    const store = await deps.store.getShipment('healthz-probe').then(
      () => ({ status: 'up' as const }),
      (err: unknown) => ({ status: 'down' as const, detail: (err as Error).message }),
    );
    const checks = {
      store,
      influxdb: await influxUp(),
      mqtt: deps.feed.connected()
        ? { status: 'up' as const }
        : { status: 'down' as const, detail: 'not connected to the broker: no live alerts or device status' },
    };
    const ok = Object.values(checks).every((x) => x.status === 'up');
    return c.json({ status: ok ? 'ok' : 'down', checks }, ok ? 200 : 503);
  });
  const processMetrics = createProcessMetrics();
  app.get('/metrics', async (c) =>
    c.body(`${await registry.metrics()}\n${await processMetrics.render()}`, 200, {
      'content-type': registry.contentType,
    }),
  );
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (`cct_…`) issued by an admin',
  });
  app.doc31('/v1/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: API_TITLE,
      version: API_VERSION,
      description:
        'Shipments, custody handovers, cold-chain histories, excursions and alerts. Errors are `{"error":{"code","message","details"}}` with stable codes.',
    },
  });
  docsPage(app);
  dashboardRoutes(app);

  const auth = bearerAuth({
    store: deps.store,
    failuresPerMinute: deps.authFailuresPerMin ?? 10,
    cacheMs: deps.tokenCacheMs ?? 5_000,
    clientAddress: (c) => {
      try {
        return getConnInfo(c).remote.address ?? 'unknown';
      } catch {
        return 'in-process'; // `app.request()` in tests: no socket
      }
    },
    now,
  });
  app.use('/v1/*', async (c, next) => {
    if (c.req.path === '/v1/openapi.json' || c.req.path.startsWith('/v1/docs')) return next();
    // The public key is for anyone; a share link's token is its holder's credential.
    if (c.req.path === SIGNING_KEY_PATH || c.req.path.startsWith('/v1/shared/')) return next();
    return auth(c, next);
  });

  // Reports and excursions read every reading of a shipment: unchanged days come from memory.
  const readingsCache = createChunkCache<Reading>({ maxChunks: deps.readingsCacheChunks ?? 500 });
  const ctx: ApiContext = {
    ...deps,
    readings: (deviceId, fromMs, toMs) =>
      readDeviceHistoryCached(deps.influx, deviceId, fromMs, toMs, readingsCache),
    reports: new Map(),
  };
  shipmentRoutes(app, deps);
  custodyRoutes(app, deps);
  historyRoutes(app, ctx);
  alertRoutes(app, deps);
  deviceRoutes(app, deps);
  userRoutes(app, deps, auth.forget);
  const reportKey = deps.secrets?.reportSigningKey ?? generateReportSigningKey();
  const shareSecret = deps.secrets?.shareLinkSecret ?? randomBytes(32);
  const shareScope = createShareScope({ store: deps.store, secret: shareSecret, now });
  reportRoutes(app, ctx, reportKey, shareScope);
  integrityRoutes(app, ctx, reportKey);
  sharingRoutes(app, ctx, { secret: shareSecret, shareScope, key: reportKey });
  epcisRoutes(app, ctx);
  profileRoutes(app, deps);

  return { app, registry, reportKey, shareScope };
}
