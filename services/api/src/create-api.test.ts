import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore, type MetadataStore } from '@coldchain/store';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveFeed } from './api-deps.js';
import { ensureAdminToken } from './auth/admin-bootstrap.js';
import { createApi } from './create-api.js';

// The HTTP contract without a socket (`app.request()`): the error envelope, validation paths,
// authentication, roles and shipper isolation, the generated document. The store is a real SQLite
// store; InfluxDB is an address nothing answers on, and the broker side is absent, which is what
// `/healthz` must report.
const ADMIN = 'unit-admin-token-0123456789abcdefghijklmnop';
const offlineFeed: LiveFeed = {
  subscribe: () => () => {},
  deviceStatus: () => undefined,
  publishAlertChange: async () => {},
  publishCustodyChange: async () => {},
  connected: () => false,
};

describe('the API over app.request()', () => {
  let dir: string;
  let store: MetadataStore;
  let app: ReturnType<typeof createApi>['app'];
  const tokens: Record<string, string> = {};
  const call = (path: string, token: string | null, body?: unknown) =>
    app.request(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldchain-api-unit-'));
    store = createSqliteStore({ file: join(dir, 'metadata.db') });
    await ensureAdminToken(store, ADMIN);
    for (const [id, shipper] of [
      ['north', 'North Fisheries'],
      ['south', 'South Orchards'],
    ] as const) {
      await store.createApiUser({ id, name: shipper, role: 'shipper', shipper });
      tokens[id] = (await store.createApiToken(id)).token;
    }
    await store.createApiUser({ id: 'op', name: 'Operator', role: 'operator', shipper: null });
    tokens.op = (await store.createApiToken('op')).token;
    await store.createShipment({
      id: 'S-N',
      profileId: 'frozen',
      shipper: 'North Fisheries',
      consignee: 'x',
    });
    app = createApi({
      store,
      influx: { url: 'http://127.0.0.1:9', token: 't', org: 'o', bucket: 'b' },
      profiles: new Map([['frozen', {} as never]]),
      feed: offlineFeed,
      log: pino({ level: 'silent' }),
    }).app;
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every error in one envelope with a stable code', async () => {
    const cases: Array<[Response, number, string]> = [
      [await call('/v1/shipments', null), 401, 'unauthorized'],
      [await call('/v1/shipments', 'cct_not-a-token-of-ours-at-all-0000000000000'), 401, 'unauthorized'],
      [await call('/v1/nothing-here', ADMIN), 404, 'not_found'],
      [await call('/v1/shipments/S-N', tokens.south as string), 404, 'not_found'],
      [await call('/v1/users', tokens.op as string, { id: 'x', name: 'x', role: 'admin' }), 403, 'forbidden'],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
      expect(body.error.code).toBe(code);
      expect(typeof body.error.message).toBe('string');
      expect(body.error.details).toBeTypeOf('object');
    }
  });

  it('names the path of every bad field', async () => {
    const res = await call('/v1/shipments', ADMIN, {
      id: 'S 1',
      profileId: 'frozen',
      consignee: 7,
      goods: 'x',
      extra: 1,
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as {
      error: { code: string; details: { issues: Array<{ path: string }> } };
    };
    expect(error.code).toBe('validation_failed');
    expect(error.details.issues.map((i) => i.path).sort()).toEqual(['body', 'body.consignee', 'body.id']);
    const query = await call('/v1/alerts?status=open,lost&limit=5000', ADMIN);
    const q = (await query.json()) as { error: { details: { issues: Array<{ path: string }> } } };
    expect(q.error.details.issues.map((i) => i.path).sort()).toEqual(['query.limit', 'query.status.1']);
  });

  it('shows a shipper its own shipments only', async () => {
    expect((await call('/v1/shipments/S-N', tokens.north as string)).status).toBe(200);
    const mine = (await (await call('/v1/shipments', tokens.north as string)).json()) as {
      items: Array<{ id: string }>;
    };
    const theirs = (await (await call('/v1/shipments', tokens.south as string)).json()) as {
      items: unknown[];
    };
    expect(mine.items.map((s) => s.id)).toEqual(['S-N']);
    expect(theirs.items).toEqual([]);
  });

  it('documents every /v1 route it serves, each secured by the bearer scheme but the public key and share links', async () => {
    const doc = (await (await call('/v1/openapi.json', null)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.components.securitySchemes.bearer).toBeDefined();
    const isPublic = (path: string) => path === '/v1/keys/report-signing' || path.startsWith('/v1/shared/');
    const operations = Object.entries(doc.paths).flatMap(([path, p]) =>
      Object.values(p).map((op) => ({ path, op })),
    );
    expect(operations.length).toBeGreaterThan(30);
    for (const { path, op } of operations)
      expect(op.security, path).toEqual(isPublic(path) ? [] : [{ bearer: [] }]);
  });

  it('reports 503 on /healthz while InfluxDB and the broker are out of reach', async () => {
    const res = await call('/healthz', null);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: Record<string, { status: string }> };
    expect([body.checks.store?.status, body.checks.influxdb?.status, body.checks.mqtt?.status]).toEqual([
      'up',
      'down',
      'down',
    ]);
  });
});
