import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@coldchain/influx';
import {
  type AlertInput,
  type CopyProgress,
  copySqliteToPostgres,
  type DeadLetterLimits,
  type MetadataStore,
  type NewDeadLetter,
  openMetadataStore,
  StoreCopyError,
} from '@coldchain/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { repoRoot } from '../support/service-process.js';

const run = promisify(execFile);

/**
 * One clock for both stores (dead-letter retention is judged against it when PostgreSQL opens
 * them), ticking so that lists ordered by time have no ties.
 */
const T0 = Date.UTC(2026, 5, 1, 8);
let clockMs = T0;
const now = () => ++clockMs;
/** Caps small enough that counts and stored samples differ. */
const limits: Partial<DeadLetterLimits> = { perDevice: 2, total: 5 };

const alertInput = (key: string, over: Partial<AlertInput> = {}): AlertInput => ({
  key,
  rule: 'range',
  severity: 'warning',
  shipmentId: 'S1',
  deviceId: 'truck-1',
  holder: 'carrier',
  startMs: T0 - 3_600_000,
  endMs: null,
  limit: 8,
  peakValue: 9.5,
  peakTsMs: T0 - 3_000_000,
  detail: null,
  ...over,
});

const deadLetter = (deviceId: string | null, reason: string, payload = '{"v":9}'): NewDeadLetter => ({
  deviceId,
  topic: deviceId ? `coldchain/v1/devices/${deviceId}/telemetry` : 'coldchain/v1/devices',
  arrivedAtMs: T0 - 60_000,
  reason,
  problems: [`${reason}: at /readings/0`],
  payload: Buffer.from(payload),
  payloadBytes: Buffer.byteLength(payload),
});

interface Credentials {
  devices: Record<string, string>;
  services: Record<string, string>;
  /** API bearer tokens by what they are: two that work, one revoked, one of a disabled user. */
  tokens: { admin: string; acme: string; revoked: string; disabledUser: string };
}

/** A metadata store with some of everything, written through its interface as the services write it. */
async function fill(store: MetadataStore): Promise<Credentials> {
  const devices: Record<string, string> = {};
  for (const [id, kind] of [
    ['truck-1', 'vehicle'],
    ['room-1', 'cold-room'],
    ['logger-7', 'logger'],
    ['old-logger', 'logger'],
  ] as const)
    devices[id] = (await store.provisionDevice({ id, kind, name: `${id} name` })).secret;
  devices['room-1'] = await store.rotateDeviceSecret('room-1');
  await store.setDeviceDisabled('old-logger', true);
  const services = {
    ingest: await store.provisionServiceAccount('ingest', 'ingest'),
    api: await store.provisionServiceAccount('api', 'api'),
  };

  await store.createShipment({
    id: 'S1',
    reference: 'PO-4471',
    profileId: 'pharma-2-8',
    shipper: 'acme',
    consignee: 'clinic',
    goods: 'insulin, 12 cases',
    origin: 'Shenyang DC',
    destination: 'Anshan clinic',
    plannedDepartureMs: T0 - 7_200_000,
    plannedArrivalMs: T0 + 3_600_000,
  });
  await store.createShipment({
    id: 'S2',
    profileId: 'frozen',
    shipper: 'seafood',
    consignee: 'market',
    description: 'Dalian to Shenyang',
  });
  await store.updateShipmentStatus('S1', 'in_transit', T0 - 3_600_000);
  await store.updateShipmentStatus('S2', 'in_transit', T0 - 86_400_000);
  await store.updateShipmentStatus('S2', 'delivered', T0 - 43_200_000);
  await store.addCustodyLeg({
    shipmentId: 'S1',
    deviceId: 'room-1',
    holder: 'warehouse',
    fromMs: T0 - 7_200_000,
    toMs: null,
    handedOverBy: null,
    handoverTempC: null,
    place: 'Shenyang DC, room 1',
    note: 'pre-cooled',
  });
  // Closes the warehouse leg at its start.
  await store.addCustodyLeg({
    shipmentId: 'S1',
    deviceId: 'truck-1',
    holder: 'carrier',
    fromMs: T0 - 3_600_000,
    toMs: null,
    handedOverBy: 'warehouse',
    handoverTempC: 4.25,
  });
  await store.addCustodyLeg({
    shipmentId: 'S2',
    deviceId: 'logger-7',
    holder: 'seafood',
    fromMs: T0 - 86_400_000,
    toMs: null,
    handedOverBy: null,
    handoverTempC: -19.5,
  });
  await store.endCustodyLeg({
    shipmentId: 'S2',
    atMs: T0 - 43_200_000,
    handedOverBy: 'seafood',
    handoverTempC: -18.5,
    place: 'Shenyang market, stall 12',
    note: 'unloaded',
  });

  const open = (await store.upsertAlert(alertInput('S1:range:1'))).alert;
  const acked = (
    await store.upsertAlert(
      alertInput('S1:critical:1', { rule: 'critical', severity: 'critical', limit: 12 }),
    )
  ).alert;
  await store.acknowledgeAlert(acked.id, 'operator-a', 'calling the driver');
  await store.assignAlert(acked.id, 'operator-a');
  await store.addAlertComment(acked.id, 'operator-a', 'driver says the unit restarted');
  await store.addAlertComment(acked.id, 'operator-b', 'probe reads 7.5 now');
  await store.addAlertComment(open.id, 'operator-b', 'watching');
  const resolved = (
    await store.upsertAlert(
      alertInput('dev:logger-7:gap:1', {
        rule: 'gap',
        shipmentId: null,
        deviceId: 'logger-7',
        holder: null,
        endMs: T0 - 1_000_000,
        limit: null,
        peakValue: null,
        peakTsMs: null,
        detail: 'filled by a backlog',
      }),
    )
  ).alert;
  await store.resolveAlert(resolved.id, 'operator-b', 'backlog arrived');

  await store.saveState('breach-engine', JSON.stringify({ v: 1, devices: { 'truck-1': { open: 1 } } }));
  await store.saveState('monitor', '{"lastTickMs":1}');
  await store.recordWebhookDelivery({
    id: `${open.id}:hook-1`,
    url: 'https://example.test/hook',
    alertId: open.id,
    status: 'delivered',
    attempts: 1,
    lastError: null,
  });
  await store.recordWebhookDelivery({
    id: `${acked.id}:hook-1`,
    url: 'https://example.test/hook',
    alertId: acked.id,
    status: 'dead',
    attempts: 5,
    lastError: 'HTTP 503',
  });

  // truck-1 past its cap of 2, then topics that named no device, until the total cap of 5 is reached.
  for (let i = 0; i < 4; i++)
    await store.addDeadLetter(deadLetter('truck-1', i % 2 ? 'bad_value' : 'malformed_json'));
  // A binary payload: PostgreSQL text cannot hold its NULs.
  await store.addDeadLetter(deadLetter('logger-7', 'malformed_json', '\u0000\u0001binary'));
  await store.addDeadLetter(deadLetter(null, 'bad_topic'));
  await store.addDeadLetter(deadLetter(null, 'bad_topic'));
  await store.addDeadLetter(deadLetter('room-1', 'bad_value'));

  await store.createApiUser({ id: 'admin', name: 'Admin', role: 'admin', shipper: null });
  await store.createApiUser({ id: 'acme-portal', name: 'Acme portal', role: 'shipper', shipper: 'acme' });
  await store.createApiUser({ id: 'temp', name: 'Temporary operator', role: 'operator', shipper: null });
  const tokens = {
    admin: (await store.createApiToken('admin', { label: 'first admin' })).token,
    acme: (await store.createApiToken('acme-portal', { label: 'ERP', expiresAtMs: T0 + 365 * 86_400_000 }))
      .token,
    revoked: '',
    disabledUser: (await store.createApiToken('temp')).token,
  };
  const revoked = await store.createApiToken('acme-portal', { label: 'old ERP' });
  tokens.revoked = revoked.token;
  await store.revokeApiToken(revoked.record.id);
  await store.setApiUserDisabled('temp', true);

  // A signed report revision with its reading lines, a share link (one revoked), a receipt.
  await store.addReportRevision({
    shipmentId: 'S2',
    revision: 1,
    issuedAtMs: T0 - 40_000_000,
    digest: 'a'.repeat(64),
    verdict: 'pass',
    signature: 'c2lnbmF0dXJl',
    keyId: 'key-1',
    readingLines: ['1\tlogger-7\t1000\ttemp.product=-19.5', '1\tlogger-7\t61000\ttemp.product=-19.25'],
    excursions: [],
    changes: null,
  });
  await store.createShareLink({
    id: 'link-1',
    shipmentId: 'S2',
    createdBy: 'admin',
    label: 'market',
    expiresAtMs: T0 + 86_400_000,
  });
  await store.createShareLink({
    id: 'link-2',
    shipmentId: 'S2',
    createdBy: 'admin',
    label: 'old',
    expiresAtMs: T0 + 86_400_000,
  });
  await store.revokeShareLink('link-2', 'admin');
  await store.recordReceipt({
    shipmentId: 'S2',
    linkId: 'link-1',
    arrivedAtMs: T0 - 43_200_000,
    arrivalTempC: -18.5,
    decision: 'accepted',
    reason: null,
    receivedBy: 'stall 12',
    place: 'Shenyang market',
  });
  return { devices, services, tokens };
}

/** Everything the interface can read back, for comparing two stores. */
async function readAll(store: MetadataStore) {
  const devices = await store.listDevices();
  const shipments = await store.listShipments();
  const alerts = await store.listAlerts({ limit: 1000 });
  const apiUsers = await store.listApiUsers();
  return {
    devices,
    changed: await store.devicesChangedSince(0),
    shipments,
    inTransit: await store.listShipments({ status: 'in_transit' }),
    shipmentsOfAcme: await store.listShipments({ shipper: 'acme' }),
    legsOfShipment: await Promise.all(shipments.map((s) => store.legsOfShipment(s.id))),
    legsOfDevice: await Promise.all(devices.map((d) => store.legsOfDevice(d.id))),
    openLegs: await store.openLegs(),
    alerts,
    acknowledged: await store.listAlerts({ status: 'acknowledged' }),
    alertsOfAcme: await store.listAlerts({ shipper: 'acme' }),
    alertChanges: await store.listAlerts({ changedAfter: { updatedAtMs: 0, id: 0 }, limit: 1000 }),
    alertComments: await Promise.all(alerts.map((a) => store.listAlertComments(a.id))),
    apiUsers,
    apiTokens: await Promise.all(apiUsers.map((u) => store.listApiTokens(u.id))),
    state: [await store.loadState('breach-engine'), await store.loadState('monitor')],
    deliveries: await store.listWebhookDeliveries(),
    deadDeliveries: await store.listWebhookDeliveries({ status: 'dead' }),
    deadLettersByReason: await store.countDeadLettersByReason(),
    deadLettersOfDevice: await Promise.all(
      [...devices.map((d) => d.id), null].map((id) => store.countDeadLettersOfDevice(id)),
    ),
    deadLetterStats: await store.deadLetterStats(),
    deadLetters: await store.listDeadLetters({ limit: 1000 }),
    deadLettersOfTruck: await store.listDeadLetters({ deviceId: 'truck-1' }),
    revisions: await Promise.all(shipments.map((s) => store.listReportRevisions(s.id))),
    revisionWithLines: await store.getReportRevision('S2', 1),
    shareLinks: await Promise.all(shipments.map((s) => store.listShareLinks(s.id))),
    receipts: await Promise.all(shipments.map((s) => store.getReceipt(s.id))),
  };
}

describe('copying the SQLite metadata store to PostgreSQL', () => {
  let postgres: PostgresServer;
  const dirs: string[] = [];
  let dataDir: string;
  let credentials: Credentials;
  let before: Awaited<ReturnType<typeof readAll>>;

  beforeAll(async () => {
    postgres = await startPostgres();
    dataDir = mkdtempSync(join(tmpdir(), 'coldchain-store-copy-'));
    dirs.push(dataDir);
    const sqlite = await openMetadataStore({
      file: join(dataDir, 'metadata.db'),
      now,
      deadLetters: { limits },
    });
    credentials = await fill(sqlite);
    before = await readAll(sqlite);
    await sqlite.close();
  });
  afterAll(async () => {
    await postgres?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const openPostgres = (databaseUrl: string) =>
    openMetadataStore({ databaseUrl, file: '/nonexistent/unused.db', now, deadLetters: { limits } });

  it('copies every table, and the PostgreSQL store reads back what the SQLite store held', async () => {
    // Not vacuous: the source has each kind of record, and dead letters past their caps.
    expect(before.devices.filter((d) => d.disabled).map((d) => d.id)).toEqual(['old-logger']);
    expect(before.alerts.map((a) => a.status).sort()).toEqual(['acknowledged', 'open', 'resolved']);
    expect(before.shipments.map((x) => x.status)).toEqual(['in_transit', 'delivered']);
    expect(before.legsOfShipment.flat().filter((l) => l.endedBy !== null)).toHaveLength(1);
    expect(before.alerts.filter((a) => a.assignedTo !== null && a.resolvedBy === null)).toHaveLength(1);
    expect(before.alerts.filter((a) => a.resolvedBy !== null)).toHaveLength(1);
    expect(before.alertComments.flat()).toHaveLength(3);
    expect(before.apiUsers.map((u) => [u.id, u.disabled])).toEqual([
      ['acme-portal', false],
      ['admin', false],
      ['temp', true],
    ]);
    expect(before.apiTokens.flat().filter((t) => t.revokedAtMs !== null)).toHaveLength(1);
    expect(before.deadLetterStats).toEqual({
      byReason: { malformed_json: 3, bad_value: 3, bad_topic: 2 },
      stored: 5,
      dropped: 3,
    });
    expect(before.deadLetters.some((d) => d.deviceId === null)).toBe(true);

    const files = ['metadata.db', 'dead-letters.db'].map((f) => join(dataDir, f));
    const bytesBefore = files.map((f) => readFileSync(f));
    const databaseUrl = await postgres.createDatabase('copy_api');
    const progress: CopyProgress[] = [];
    const counts = await copySqliteToPostgres({ dataDir, databaseUrl, onProgress: (p) => progress.push(p) });
    expect(counts).toEqual({
      devices: 4,
      service_accounts: 2,
      shipments: 2,
      custody_legs: 3,
      alerts: 3,
      alert_comments: 3,
      api_users: 3,
      api_tokens: 4,
      report_revisions: 1,
      share_links: 2,
      shipment_receipts: 1,
      service_state: 2,
      webhook_deliveries: 2,
      dead_letters: 5,
      dead_letter_counts: 5,
    });
    expect(progress.at(-1)).toEqual({ table: 'dead_letter_counts', copied: 5, total: 5 });
    expect(progress.find((p) => p.table === 'alerts' && p.copied === 3)).toEqual({
      table: 'alerts',
      copied: 3,
      total: 3,
    });
    // The SQLite databases are only read.
    expect(files.map((f, i) => readFileSync(f).equals(bytesBefore[i] as Buffer))).toEqual([true, true]);

    const pg = await openPostgres(databaseUrl);
    try {
      const after = await readAll(pg);
      // NUL cannot be stored in PostgreSQL text; the PostgreSQL store keeps it as U+FFFD too.
      const withoutNul = (payload: string) => payload.replaceAll('\u0000', '\uFFFD');
      expect(after).toEqual({
        ...before,
        deadLetters: before.deadLetters.map((d) => ({ ...d, payload: withoutNul(d.payload) })),
      });
      expect(after.deadLetters.find((d) => d.deviceId === 'logger-7')?.payload).toBe('\uFFFD\u0001binary');

      // Every secret still works, and nothing else does.
      for (const [id, secret] of Object.entries(credentials.devices))
        expect(await pg.verifyCredentials(id, secret)).toEqual(
          id === 'old-logger' ? null : { kind: 'device', deviceId: id },
        );
      expect(await pg.verifyCredentials('ingest', credentials.services.ingest as string)).toEqual({
        kind: 'service',
        id: 'ingest',
        role: 'ingest',
      });
      expect(await pg.verifyCredentials('api', credentials.services.api as string)).toEqual({
        kind: 'service',
        id: 'api',
        role: 'api',
      });
      expect(await pg.verifyCredentials('truck-1', credentials.services.api as string)).toBeNull();
      // Every API token stays as it was: valid, revoked, or of a disabled user.
      const { tokens } = credentials;
      expect((await pg.verifyApiToken(tokens.admin, now()))?.user.id).toBe('admin');
      expect(await pg.verifyApiToken(tokens.acme, now())).toMatchObject({
        user: { id: 'acme-portal', role: 'shipper', shipper: 'acme' },
        token: { label: 'ERP', expiresAtMs: T0 + 365 * 86_400_000 },
      });
      expect(await pg.verifyApiToken(tokens.acme, T0 + 365 * 86_400_000)).toBeNull();
      expect(await pg.verifyApiToken(tokens.revoked, now())).toBeNull();
      expect(await pg.verifyApiToken(tokens.disabledUser, now())).toBeNull();
      await pg.setApiUserDisabled('temp', false);
      expect((await pg.verifyApiToken(tokens.disabledUser, now()))?.user.id).toBe('temp');
      // The disabled device comes back with its secret once enabled.
      await pg.setDeviceDisabled('old-logger', false);
      expect(await pg.verifyCredentials('old-logger', credentials.devices['old-logger'] as string)).toEqual({
        kind: 'device',
        deviceId: 'old-logger',
      });

      // New rows get ids past the copied ones.
      const maxAlertId = Math.max(...before.alerts.map((a) => a.id));
      const created = await pg.upsertAlert(
        alertInput('S2:range:1', { shipmentId: 'S2', deviceId: 'logger-7' }),
      );
      expect(created.change).toBe('created');
      expect(created.alert.id).toBeGreaterThan(maxAlertId);
      expect((await pg.upsertAlert(alertInput('S1:range:1'))).change).toBe('unchanged');
      const maxLegId = Math.max(...before.legsOfShipment.flat().map((l) => l.id));
      const leg = await pg.addCustodyLeg({
        shipmentId: 'S1',
        deviceId: 'logger-7',
        holder: 'clinic',
        fromMs: T0,
        toMs: null,
        handedOverBy: 'carrier',
        handoverTempC: 5,
      });
      expect(leg.id).toBeGreaterThan(maxLegId);
      const maxCommentId = Math.max(...before.alertComments.flat().map((c) => c.id));
      const comment = await pg.addAlertComment(created.alert.id, 'operator-a', 'after the move');
      expect(comment.id).toBeGreaterThan(maxCommentId);
      // The copied shipments keep moving by their rules.
      expect((await pg.updateShipmentStatus('S2', 'closed', T0)).status).toBe('closed');
      await expect(pg.updateShipmentStatus('S1', 'closed', T0)).rejects.toThrow(/is in_transit/);
      // …and the custody rules hold on the copied legs.
      expect((await pg.legsOfShipment('S1')).map((l) => [l.holder, l.toMs])).toEqual([
        ['warehouse', T0 - 3_600_000],
        ['carrier', T0],
        ['clinic', null],
      ]);
      expect(await pg.addDeadLetter(deadLetter('new-device', 'bad_value'))).toEqual({ stored: false });
      expect((await pg.deadLetterStats()).stored).toBe(5);
      // The copied samples count against the caps as they did in SQLite: room again once one is pruned.
      const maxDeadLetterId = Math.max(...before.deadLetters.map((d) => d.id));
      const freed = await openMetadataStore({
        databaseUrl,
        file: '/nonexistent/unused.db',
        now,
        deadLetters: { limits: { perDevice: 2, total: 6 } },
      });
      try {
        expect(await freed.addDeadLetter(deadLetter('new-device', 'bad_value'))).toEqual({ stored: true });
        expect((await freed.listDeadLetters({ limit: 1 }))[0]?.id).toBeGreaterThan(maxDeadLetterId);
      } finally {
        await freed.close();
      }
    } finally {
      await pg.close();
    }

    // A second copy into the same database is refused and changes nothing.
    const error = await copySqliteToPostgres({ dataDir, databaseUrl }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StoreCopyError);
    expect((error as StoreCopyError).code).toBe('target_not_empty');
    expect((error as Error).message).toMatch(/already holds devices \(4\).*alerts \(4\)/);
    const again = await openPostgres(databaseUrl);
    try {
      expect((await again.listAlerts()).length).toBe(4);
      expect((await again.deadLetterStats()).byReason).toEqual({
        malformed_json: 3,
        bad_value: 5,
        bad_topic: 2,
      });
    } finally {
      await again.close();
    }
  });

  it('runs as a command: copies, prints a summary, and refuses a second copy or an unreachable server with a message', async () => {
    const databaseUrl = await postgres.createDatabase('copy_cli');
    const cli = (args: string[]) =>
      run(process.execPath, ['--conditions=source', '--import', 'tsx', 'scripts/store-copy.ts', ...args], {
        cwd: repoRoot,
        env: { ...process.env, COLDCHAIN_DATA_DIR: join(dataDir, 'not-this-one') },
      }).then(
        (r) => ({ code: 0, ...r }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );

    const copied = await cli(['--to', databaseUrl, '--data-dir', dataDir]);
    expect(copied.code).toBe(0);
    expect(copied.stdout).toMatch(/devices\s+4 rows/);
    expect(copied.stdout).toMatch(/dead_letter_counts\s+5 rows/);
    expect(copied.stderr).toMatch(/alerts\s+3\/3/);
    const pg = await openPostgres(databaseUrl);
    try {
      expect(await pg.listDevices()).toEqual(before.devices);
      expect(await pg.verifyCredentials('truck-1', credentials.devices['truck-1'] as string)).toEqual({
        kind: 'device',
        deviceId: 'truck-1',
      });
    } finally {
      await pg.close();
    }

    const refused = await cli(['--to', databaseUrl, '--data-dir', dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds devices \(4\)/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const port = await freePort();
    const unreachable = await cli([
      '--to',
      `postgres://coldchain:s3cret@127.0.0.1:${port}/x`,
      '--data-dir',
      dataDir,
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot use PostgreSQL at postgres:\/\/coldchain:\*\*\*@127\.0\.0\.1/);
    expect(unreachable.stderr).not.toMatch(/s3cret|\n\s+at /);

    // No data folder given: COLDCHAIN_DATA_DIR is used, and a folder without a store is named.
    const missing = await cli(['--to', databaseUrl]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(join(dataDir, 'not-this-one', 'metadata.db'));
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});
