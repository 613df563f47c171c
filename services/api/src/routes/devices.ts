import { readLatestReadings } from '@coldchain/influx';
import {
  deadLetterListSchema,
  deadLetterQuerySchema,
  deviceIdParamSchema,
  deviceSchema,
  deviceSecretSchema,
  deviceStateSchema,
  newDeviceSchema,
} from '@coldchain/schema';
import type { Device } from '@coldchain/store';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.js';
import { requireRole } from '../auth/roles.js';
import { notFound } from '../http/api-error.js';
import type { AppEnv } from '../http/app-env.js';
import { commonErrors, conflictError, jsonBody, jsonResponse, notFoundError } from '../http/responses.js';

const tags = ['Devices'];
const security = [{ bearer: [] }];
/** How far back the device list looks for a last reading. */
const LAST_SEEN_LOOKBACK_MS = 30 * 86_400_000;

/**
 * The fleet: devices with their live state (online from the broker's retained status, last
 * reading and battery from InfluxDB), and the same provisioning operations as the CLI. Reading
 * the fleet is for admins and operators; changing it is for admins.
 */
export function deviceRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps) {
  const { store, log } = deps;
  const now = deps.now ?? Date.now;

  const withState = async (devices: Device[]) => {
    const latest = await readLatestReadings(
      deps.influx,
      devices.map((d) => d.id),
      now() - LAST_SEEN_LOOKBACK_MS,
    );
    return devices.map((d) => {
      const status = deps.feed.deviceStatus(d.id);
      const last = latest.get(d.id);
      return {
        ...d,
        online: status ? status.status === 'online' : null,
        statusSinceMs: status?.sinceMs ?? null,
        lastSeenMs: last?.tsMs ?? null,
        lastReading: last
          ? {
              tsMs: last.tsMs,
              temp: last.temp,
              ...(last.rh === undefined ? {} : { rh: last.rh }),
              ...(last.lat === undefined ? {} : { lat: last.lat }),
              ...(last.lon === undefined ? {} : { lon: last.lon }),
            }
          : null,
        battery: last?.battery ?? null,
      };
    });
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/devices',
      tags,
      security,
      summary: 'List devices with their state',
      responses: {
        200: jsonResponse(z.object({ items: z.array(deviceStateSchema) }), 'Every device'),
        ...commonErrors,
      },
    }),
    async (c) => {
      requireRole(c.get('caller'), 'admin', 'operator');
      return c.json({ items: await withState(await store.listDevices()) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/devices/{id}',
      tags,
      security,
      summary: 'Read a device with its state',
      request: { params: deviceIdParamSchema },
      responses: { 200: jsonResponse(deviceStateSchema, 'The device'), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      requireRole(c.get('caller'), 'admin', 'operator');
      const { id } = c.req.valid('param');
      const device = await store.getDevice(id);
      if (!device) throw notFound(`device ${id}`);
      return c.json((await withState([device]))[0] as z.infer<typeof deviceStateSchema>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/devices',
      tags,
      security,
      summary: 'Provision a device',
      description: 'Returns its MQTT secret once: only a hash is stored.',
      request: { body: jsonBody(newDeviceSchema) },
      responses: {
        201: jsonResponse(deviceSecretSchema, 'The device and its secret'),
        ...commonErrors,
        ...conflictError,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      requireRole(caller, 'admin');
      const body = c.req.valid('json');
      const result = await store.provisionDevice(body);
      log.info({ deviceId: body.id, by: caller.user.id }, 'device provisioned');
      return c.json(result, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/devices/{id}/rotate-secret',
      tags,
      security,
      summary: 'Issue a new secret',
      description: 'The old secret stops working; the broker disconnects sessions logged in with it.',
      request: { params: deviceIdParamSchema },
      responses: {
        200: jsonResponse(deviceSecretSchema, 'The device and its new secret'),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      requireRole(caller, 'admin');
      const { id } = c.req.valid('param');
      const device = await store.getDevice(id);
      if (!device) throw notFound(`device ${id}`);
      const secret = await store.rotateDeviceSecret(id);
      log.info({ deviceId: id, by: caller.user.id }, 'device secret rotated');
      return c.json({ device, secret }, 200);
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/devices/{id}/${action}`,
        tags,
        security,
        summary: disabled ? 'Disable a device (the broker disconnects it)' : 'Enable a device',
        request: { params: deviceIdParamSchema },
        responses: { 200: jsonResponse(deviceSchema, 'The device'), ...commonErrors, ...notFoundError },
      }),
      async (c) => {
        const caller = c.get('caller');
        requireRole(caller, 'admin');
        const { id } = c.req.valid('param');
        if (!(await store.getDevice(id))) throw notFound(`device ${id}`);
        const device = await store.setDeviceDisabled(id, disabled);
        log.info({ deviceId: id, disabled, by: caller.user.id }, `device ${action}d`);
        return c.json(device, 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/dead-letters',
      tags: ['Dead letters'],
      security,
      summary: 'Messages the ingest refused, with the reasons',
      description: 'Newest first; `countsByReason` counts every one ever refused, kept as a sample or not.',
      request: { query: deadLetterQuerySchema },
      responses: { 200: jsonResponse(deadLetterListSchema, 'Dead letters'), ...commonErrors },
    }),
    async (c) => {
      requireRole(c.get('caller'), 'admin', 'operator');
      const q = c.req.valid('query');
      const [items, countsByReason] = await Promise.all([
        store.listDeadLetters({ ...(q.deviceId ? { deviceId: q.deviceId } : {}), limit: q.limit }),
        q.deviceId ? store.countDeadLettersOfDevice(q.deviceId) : store.countDeadLettersByReason(),
      ]);
      return c.json({ items, countsByReason }, 200);
    },
  );
}
