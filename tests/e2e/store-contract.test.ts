import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type AlertInput,
  type DeadLetterLimits,
  openMetadataStore,
  POSTGRES_MIGRATIONS,
  type Shipment,
  SQLITE_MIGRATIONS,
  StoreError,
  type WebhookDelivery,
} from '@coldchain/store';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../support/postgres.js';

type Store = Awaited<ReturnType<typeof openMetadataStore>>;
interface OpenOptions {
  now: () => number;
  limits?: Partial<DeadLetterLimits>;
}

/** Where a store lives: each test gets a fresh database, and may open several stores on it. */
interface Backend {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  freshDatabase(): Promise<string>;
  open(database: string, opts: OpenOptions): Promise<Store>;
  /**
   * Runs one SQL statement on a connection of its own, outside any store, and returns its rows as
   * psql prints them unaligned (`|` between values, a line per row); rejects with the database's
   * message when the statement fails.
   */
  raw(database: string, sql: string): Promise<string>;
  /** Creates the database as an earlier release left it: only its first `versions` schema versions. */
  createAtVersion(database: string, versions: number): Promise<void>;
  /** How many schema versions the release before the HTTP API had. */
  versionsBeforeApi: number;
}

/** Opens the SQLite file the way another program would (better-sqlite3 without the store). */
const withRawSqlite = <T>(file: string, work: (db: Database.Database) => T): T => {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    return work(db);
  } finally {
    db.close();
  }
};

const sqlite = (): Backend => {
  let dir = '';
  let n = 0;
  return {
    name: 'SQLite',
    async start() {
      dir = mkdtempSync(join(tmpdir(), 'coldchain-store-contract-'));
    },
    async stop() {
      rmSync(dir, { recursive: true, force: true });
    },
    async freshDatabase() {
      n += 1;
      return join(dir, String(n), 'metadata.db');
    },
    open: (file, { now, limits }) => openMetadataStore({ file, now, deadLetters: { limits } }),
    async raw(file, sql) {
      return withRawSqlite(file, (db) => {
        const statement = db.prepare(sql);
        if (!statement.reader) {
          statement.run();
          return '';
        }
        return (statement.raw().all() as unknown[][]).map((row) => row.join('|')).join('\n');
      });
    },
    async createAtVersion(file, versions) {
      withRawSqlite(file, (db) => {
        for (const migration of SQLITE_MIGRATIONS.slice(0, versions)) db.exec(migration);
        db.pragma(`user_version = ${versions}`);
      });
    },
    versionsBeforeApi: 6,
  };
};

let postgresServer: PostgresServer | undefined;
const postgres = (): Backend => {
  let n = 0;
  return {
    name: 'PostgreSQL',
    async start() {
      postgresServer = await startPostgres();
    },
    async stop() {
      await postgresServer?.stop();
    },
    freshDatabase() {
      n += 1;
      return (postgresServer as PostgresServer).createDatabase(`contract_${n}`);
    },
    open: (databaseUrl, { now, limits }) =>
      openMetadataStore({ databaseUrl, file: '/nonexistent/unused.db', now, deadLetters: { limits } }),
    raw: (url, sql) => (postgresServer as PostgresServer).psql(url, sql),
    async createAtVersion(url, versions) {
      await (postgresServer as PostgresServer).psql(
        url,
        `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL);
         ${POSTGRES_MIGRATIONS.slice(0, versions).join(';\n')};
         INSERT INTO schema_migrations SELECT v, 0 FROM generate_series(1, ${versions}) AS v;`,
      );
    },
    versionsBeforeApi: 2,
  };
};

const alertInput = (key: string, over: Partial<AlertInput> = {}): AlertInput => ({
  key,
  rule: 'range',
  severity: 'warning',
  shipmentId: 'S1',
  deviceId: 'truck-1',
  holder: 'carrier',
  startMs: 1_000,
  endMs: null,
  limit: 8,
  peakValue: 9.5,
  peakTsMs: 1_500,
  detail: null,
  ...over,
});

const expectStoreError = async (promise: Promise<unknown>, code: StoreError['code']) => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
};

describe.each([sqlite(), postgres()])('MetadataStore contract on $name', (backend) => {
  let clock = 0;
  const now = () => clock;
  let database = '';
  const opened: Store[] = [];
  const open = async (limits?: Partial<DeadLetterLimits>) => {
    const store = await backend.open(database, { now, limits });
    opened.push(store);
    return store;
  };
  let store: Store;

  beforeAll(() => backend.start());
  afterAll(() => backend.stop());
  beforeEach(async () => {
    clock = 1_000_000;
    database = await backend.freshDatabase();
    store = await open();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  describe('devices', () => {
    it('provisions a device with defaults and refuses the same id twice', async () => {
      const { device, secret } = await store.provisionDevice({ id: 'truck-1' });
      expect(device).toEqual({
        id: 'truck-1',
        name: 'truck-1',
        kind: 'logger',
        createdAtMs: 1_000_000,
        disabled: false,
      });
      expect(secret.length).toBeGreaterThanOrEqual(40);
      await store.provisionDevice({ id: 'room-1', name: 'Cold room 1', kind: 'cold-room' });
      await expect(store.provisionDevice({ id: 'truck-1' })).rejects.toThrow(/already exists/);
      expect(await store.getDevice('truck-1')).toEqual(device);
      expect(await store.getDevice('nobody')).toBeNull();
      expect((await store.listDevices()).map((d) => [d.id, d.name, d.kind])).toEqual([
        ['room-1', 'Cold room 1', 'cold-room'],
        ['truck-1', 'truck-1', 'logger'],
      ]);
    });

    it('verifies the right secret (string or bytes) and rejects a wrong, unknown or disabled one', async () => {
      const { secret } = await store.provisionDevice({ id: 'truck-1' });
      expect(await store.verifyCredentials('truck-1', secret)).toEqual({
        kind: 'device',
        deviceId: 'truck-1',
      });
      // Twice: the second answer comes from the verifier's memory of accepted secrets.
      expect(await store.verifyCredentials('truck-1', Buffer.from(secret))).toEqual({
        kind: 'device',
        deviceId: 'truck-1',
      });
      expect(await store.verifyCredentials('truck-1', `${secret}x`)).toBeNull();
      expect(await store.verifyCredentials('nobody', secret)).toBeNull();
      expect((await store.setDeviceDisabled('truck-1', true)).disabled).toBe(true);
      expect(await store.verifyCredentials('truck-1', secret)).toBeNull();
      expect((await store.setDeviceDisabled('truck-1', false)).disabled).toBe(false);
      expect(await store.verifyCredentials('truck-1', secret)).toEqual({
        kind: 'device',
        deviceId: 'truck-1',
      });
      await expect(store.setDeviceDisabled('nobody', true)).rejects.toThrow(/does not exist/);
    });

    it('rotates a secret: the old one stops working, the new one works', async () => {
      const { secret: old } = await store.provisionDevice({ id: 'truck-1' });
      expect(await store.verifyCredentials('truck-1', old)).not.toBeNull();
      const fresh = await store.rotateDeviceSecret('truck-1');
      expect(fresh).not.toBe(old);
      expect(await store.verifyCredentials('truck-1', old)).toBeNull();
      expect(await store.verifyCredentials('truck-1', fresh)).toEqual({
        kind: 'device',
        deviceId: 'truck-1',
      });
      await expect(store.rotateDeviceSecret('nobody')).rejects.toThrow(/does not exist/);
    });

    it('lists devices disabled, enabled or re-keyed since a time, oldest change first', async () => {
      await store.provisionDevice({ id: 'a' });
      await store.provisionDevice({ id: 'b' });
      await store.provisionDevice({ id: 'c' });
      expect(await store.devicesChangedSince(1)).toEqual([]);
      clock = 2_000_000;
      await store.setDeviceDisabled('b', true);
      clock = 3_000_000;
      await store.rotateDeviceSecret('a');
      clock = 4_000_000;
      await store.setDeviceDisabled('b', false);
      expect(await store.devicesChangedSince(2_000_000)).toEqual([
        { id: 'a', disabled: false, changedAtMs: 3_000_000 },
        { id: 'b', disabled: false, changedAtMs: 4_000_000 },
      ]);
      expect(await store.devicesChangedSince(4_000_001)).toEqual([]);
    });
  });

  it('keeps service accounts apart from devices and re-keys them', async () => {
    const first = await store.provisionServiceAccount('ingest-1', 'ingest');
    expect(await store.verifyCredentials('ingest-1', first)).toEqual({
      kind: 'service',
      id: 'ingest-1',
      role: 'ingest',
    });
    expect(await store.verifyCredentials('ingest-1', 'wrong')).toBeNull();
    const second = await store.provisionServiceAccount('ingest-1', 'api');
    expect(await store.verifyCredentials('ingest-1', first)).toBeNull();
    expect(await store.verifyCredentials('ingest-1', second)).toEqual({
      kind: 'service',
      id: 'ingest-1',
      role: 'api',
    });
    expect(await store.getDevice('ingest-1')).toBeNull();
  });

  describe('shipments', () => {
    const ship = (id: string, over: Partial<Parameters<Store['createShipment']>[0]> = {}) =>
      store.createShipment({ id, profileId: 'pharma-2-8', shipper: 'acme', consignee: 'clinic', ...over });

    it('creates a shipment with its defaults, gets and lists it, and refuses a duplicate id as a conflict', async () => {
      const s1 = await ship('S1');
      expect(s1).toEqual({
        id: 'S1',
        reference: 'S1',
        profileId: 'pharma-2-8',
        shipper: 'acme',
        consignee: 'clinic',
        goods: '',
        description: '',
        origin: null,
        destination: null,
        status: 'planned',
        plannedDepartureMs: null,
        plannedArrivalMs: null,
        actualDepartureMs: null,
        actualArrivalMs: null,
        createdAtMs: 1_000_000,
        updatedAtMs: 1_000_000,
      });
      clock += 1;
      const s0 = await ship('S0', {
        reference: 'WB-2026-0601',
        profileId: 'frozen',
        consignee: 'shop',
        goods: 'ice cream, 40 cartons',
        description: 'keep away from the door',
        origin: 'Dalian',
        destination: 'Shenyang',
        plannedDepartureMs: 5_000,
        plannedArrivalMs: 9_000,
      });
      expect(s0).toMatchObject({
        reference: 'WB-2026-0601',
        goods: 'ice cream, 40 cartons',
        description: 'keep away from the door',
        origin: 'Dalian',
        destination: 'Shenyang',
        plannedDepartureMs: 5_000,
        plannedArrivalMs: 9_000,
        status: 'planned',
        createdAtMs: 1_000_001,
      });
      expect(await store.getShipment('S1')).toEqual(s1);
      expect(await store.getShipment('S0')).toEqual(s0);
      expect(await store.getShipment('nope')).toBeNull();
      expect(await store.listShipments()).toEqual([s1, s0]);
      await expectStoreError(ship('S1', { shipper: 'someone else' }), 'conflict');
      expect(await store.getShipment('S1')).toEqual(s1);
    });

    it('lists shipments by status, shipper, consignee, profile and journey overlapping a time range', async () => {
      // Journeys: planned 1000..2000; departed at 1500, arrival planned 3000; planned from 4000
      // with no arrival (open-ended); neither planned nor departed (from its creation, 1000000).
      await ship('A', { plannedDepartureMs: 1_000, plannedArrivalMs: 2_000 });
      await ship('B', { shipper: 'seafood', profileId: 'frozen', plannedArrivalMs: 3_000 });
      await store.updateShipmentStatus('B', 'in_transit', 1_500);
      await ship('C', { consignee: 'market', plannedDepartureMs: 4_000 });
      await ship('D', { shipper: 'seafood' });
      const ids = async (filter: Parameters<Store['listShipments']>[0]) =>
        (await store.listShipments(filter)).map((x) => x.id);
      expect(await ids({ status: 'in_transit' })).toEqual(['B']);
      expect(await ids({ status: 'planned', shipper: 'seafood' })).toEqual(['D']);
      expect(await ids({ consignee: 'market' })).toEqual(['C']);
      expect(await ids({ profileId: 'frozen' })).toEqual(['B']);
      expect(await ids({ fromMs: 0, toMs: 1_000 })).toEqual([]);
      expect(await ids({ fromMs: 0, toMs: 1_001 })).toEqual(['A']);
      expect(await ids({ fromMs: 1_999, toMs: 2_500 })).toEqual(['A', 'B']);
      // [from, to): a journey that ends where the range begins is outside it.
      expect(await ids({ fromMs: 2_000, toMs: 2_500 })).toEqual(['B']);
      expect(await ids({ fromMs: 3_500 })).toEqual(['C', 'D']);
      expect(await ids({ toMs: 4_000 })).toEqual(['A', 'B']);
      expect(await ids({ fromMs: 10_000, toMs: 20_000 })).toEqual(['C']);
      expect(await ids({ fromMs: 10_000, shipper: 'seafood' })).toEqual(['D']);
      await expectStoreError(store.listShipments({ limit: 0 }), 'invalid');
    });

    it('pages through every shipment exactly once with the (createdAtMs, id) cursor, ties included', async () => {
      for (const [i, id] of ['s5', 's1', 's4', 's2', 's6', 's3', 's0'].entries()) {
        clock = 1_000_000 + Math.floor(i / 3); // three shipments share each millisecond
        await ship(id);
      }
      const all = await store.listShipments();
      expect(all.map((x) => x.id)).toEqual(['s1', 's4', 's5', 's2', 's3', 's6', 's0']);
      const seen: Shipment[] = [];
      let after: { createdAtMs: number; id: string } | undefined;
      for (let page = 0; page < 10; page++) {
        const batch = await store.listShipments({ after, limit: 2 });
        if (batch.length === 0) break;
        seen.push(...batch);
        const last = batch[batch.length - 1] as Shipment;
        after = { createdAtMs: last.createdAtMs, id: last.id };
      }
      expect(seen).toEqual(all);
    });

    it('moves a shipment along its statuses, setting departure and arrival, and refuses a move its status does not allow', async () => {
      await ship('S1');
      await expectStoreError(store.updateShipmentStatus('S1', 'delivered', 2_000), 'conflict');
      await expect(store.updateShipmentStatus('S1', 'closed', 2_000)).rejects.toThrow(/is planned/);
      clock += 10;
      const departed = await store.updateShipmentStatus('S1', 'in_transit', 2_000);
      expect(departed).toMatchObject({
        status: 'in_transit',
        actualDepartureMs: 2_000,
        actualArrivalMs: null,
        updatedAtMs: 1_000_010,
      });
      await expect(store.updateShipmentStatus('S1', 'in_transit', 2_500)).rejects.toThrow(/is in_transit/);
      clock += 10;
      const delivered = await store.updateShipmentStatus('S1', 'delivered', 9_000);
      expect(delivered).toMatchObject({
        status: 'delivered',
        actualDepartureMs: 2_000,
        actualArrivalMs: 9_000,
        updatedAtMs: 1_000_020,
      });
      await expectStoreError(store.updateShipmentStatus('S1', 'cancelled', 9_500), 'conflict');
      const closed = await store.updateShipmentStatus('S1', 'closed', 10_000);
      expect(closed).toMatchObject({ status: 'closed', actualDepartureMs: 2_000, actualArrivalMs: 9_000 });
      // Nothing leads back to planned, nor out of closed.
      await expectStoreError(store.updateShipmentStatus('S1', 'planned', 11_000), 'conflict');
      await expectStoreError(store.updateShipmentStatus('S1', 'cancelled', 11_000), 'conflict');
      expect(await store.getShipment('S1')).toEqual(closed);

      await ship('S2');
      expect(await store.updateShipmentStatus('S2', 'cancelled', 3_000)).toMatchObject({
        status: 'cancelled',
        actualDepartureMs: null,
        actualArrivalMs: null,
      });
      await ship('S3');
      await store.updateShipmentStatus('S3', 'in_transit', 3_000);
      expect((await store.updateShipmentStatus('S3', 'cancelled', 4_000)).status).toBe('cancelled');

      await expectStoreError(store.updateShipmentStatus('nope', 'in_transit', 1), 'not_found');
      await expectStoreError(store.updateShipmentStatus('nope', 'planned', 1), 'not_found');
      await expectStoreError(store.updateShipmentStatus('S2', 'lost' as Shipment['status'], 1), 'invalid');
    });

    it('lets exactly one of several callers on two stores move a shipment when they race', async () => {
      const other = await open();
      await ship('S1');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? other : store).updateShipmentStatus('S1', 'in_transit', 2_000 + i),
        ),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const o of outcomes) {
        if (o.status === 'rejected') {
          expect(o.reason).toBeInstanceOf(StoreError);
          expect((o.reason as StoreError).code).toBe('conflict');
          expect((o.reason as Error).message).toMatch(/is in_transit/);
        }
      }
      const winner = (won[0] as PromiseFulfilledResult<Shipment>).value;
      expect(await other.getShipment('S1')).toEqual(winner);
    });
  });

  describe('custody legs', () => {
    const leg = (over: {
      shipmentId?: string;
      deviceId?: string;
      holder?: string;
      fromMs: number;
      toMs?: number | null;
    }) => ({
      shipmentId: 'S1',
      deviceId: 'truck-1',
      holder: 'carrier',
      toMs: null,
      handedOverBy: null,
      handoverTempC: null,
      ...over,
    });
    beforeEach(async () => {
      await store.createShipment({ id: 'S1', profileId: 'pharma-2-8', shipper: 'acme', consignee: 'clinic' });
      await store.createShipment({ id: 'S2', profileId: 'frozen', shipper: 'acme', consignee: 'shop' });
    });

    it('closes the previous open leg where the next one starts and lists legs by shipment, device and openness', async () => {
      const first = await store.addCustodyLeg(
        leg({ fromMs: 1_000, holder: 'warehouse', deviceId: 'room-1' }),
      );
      expect(first).toMatchObject({ shipmentId: 'S1', deviceId: 'room-1', fromMs: 1_000, toMs: null });
      const second = await store.addCustodyLeg({
        ...leg({ fromMs: 2_000 }),
        handedOverBy: 'warehouse',
        handoverTempC: 4.5,
      });
      expect(second).toMatchObject({
        fromMs: 2_000,
        toMs: null,
        handedOverBy: 'warehouse',
        handoverTempC: 4.5,
      });
      const other = await store.addCustodyLeg(leg({ shipmentId: 'S2', fromMs: 1_500 }));
      expect(await store.legsOfShipment('S1')).toEqual([{ ...first, toMs: 2_000 }, second]);
      expect((await store.legsOfDevice('truck-1')).map((l) => l.id)).toEqual([other.id, second.id]);
      expect((await store.legsOfDevice('room-1')).map((l) => [l.fromMs, l.toMs])).toEqual([[1_000, 2_000]]);
      expect((await store.openLegs()).map((l) => l.id)).toEqual([other.id, second.id]);
      // A leg recorded late that ends where the first began fits: legs are [from, to).
      await store.addCustodyLeg(leg({ fromMs: 500, toMs: 1_000, holder: 'farm' }));
      expect((await store.legsOfShipment('S1')).map((l) => l.holder)).toEqual([
        'farm',
        'warehouse',
        'carrier',
      ]);
    });

    it('never overlaps or loses a leg when two stores record handovers of one shipment at once', async () => {
      const other = await open();
      await store.addCustodyLeg(leg({ fromMs: 1_000 }));
      const outcomes = await Promise.allSettled([
        store.addCustodyLeg(leg({ fromMs: 2_000, holder: 'b' })),
        other.addCustodyLeg(leg({ fromMs: 3_000, holder: 'c' })),
      ]);
      // Applied in time order both chain; the earlier one applied second starts inside the later
      // one's open leg and is refused as an overlap. Either way nothing overlaps and nothing is lost.
      for (const o of outcomes) {
        if (o.status === 'rejected') {
          expect(o.reason).toBeInstanceOf(StoreError);
          expect((o.reason as StoreError).code).toBe('custody_overlap');
        }
      }
      const accepted = outcomes.filter((o) => o.status === 'fulfilled').length;
      expect(accepted).toBeGreaterThanOrEqual(1);
      const legs = await store.legsOfShipment('S1');
      expect(legs).toHaveLength(1 + accepted);
      for (let k = 1; k < legs.length; k++) expect(legs[k - 1]?.toMs).toBe(legs[k]?.fromMs);
      expect(legs.filter((l) => l.toMs === null)).toEqual([legs[legs.length - 1]]);
      expect(legs[legs.length - 1]?.fromMs).toBe(3_000);
    });

    it('refuses a leg that overlaps another leg of the same shipment, and only of the same shipment', async () => {
      await store.addCustodyLeg(leg({ fromMs: 1_000 }));
      await store.addCustodyLeg(leg({ fromMs: 2_000 }));
      // Starts inside the closed first leg and would run on into the open second one.
      await expectStoreError(store.addCustodyLeg(leg({ fromMs: 1_500 })), 'custody_overlap');
      // Closed, but inside the first leg.
      await expectStoreError(store.addCustodyLeg(leg({ fromMs: 1_200, toMs: 1_300 })), 'custody_overlap');
      expect((await store.legsOfShipment('S1')).map((l) => [l.fromMs, l.toMs])).toEqual([
        [1_000, 2_000],
        [2_000, null],
      ]);
      await store.addCustodyLeg(leg({ shipmentId: 'S2', fromMs: 1_500 }));
      await expect(store.addCustodyLeg(leg({ shipmentId: 'nope', fromMs: 1 }))).rejects.toThrow(
        /does not exist/,
      );
    });
    it('keeps where and why a handover happened and when it was recorded', async () => {
      clock = 1_000_500;
      const late = await store.addCustodyLeg({
        ...leg({ fromMs: 1_000 }),
        handedOverBy: 'warehouse',
        handoverTempC: 3.5,
        place: 'Dalian port, dock 4',
        note: 'seal 88213 intact',
      });
      expect(late).toEqual({
        id: late.id,
        shipmentId: 'S1',
        deviceId: 'truck-1',
        holder: 'carrier',
        fromMs: 1_000,
        toMs: null,
        handedOverBy: 'warehouse',
        handoverTempC: 3.5,
        place: 'Dalian port, dock 4',
        note: 'seal 88213 intact',
        recordedAtMs: 1_000_500,
        endedBy: null,
        endTempC: null,
        endPlace: null,
        endNote: null,
      });
      const next = await store.addCustodyLeg(leg({ fromMs: 2_000, holder: 'clinic' }));
      expect(next).toMatchObject({ place: null, note: null, recordedAtMs: 1_000_500 });
      // Closed by the next handover: its end is told by the next leg, not by end fields.
      expect(await store.legsOfShipment('S1')).toEqual([{ ...late, toMs: 2_000 }, next]);
    });

    it('ends the open leg at unloading, and refuses when there is no open leg or the end is not after its start', async () => {
      const first = await store.addCustodyLeg(leg({ fromMs: 1_000, holder: 'warehouse' }));
      const last = await store.addCustodyLeg(leg({ fromMs: 2_000 }));
      const unload = {
        shipmentId: 'S1',
        atMs: 2_000,
        handedOverBy: 'carrier',
        handoverTempC: 4.75,
        place: 'clinic loading bay',
        note: 'received by the pharmacist',
      };
      await expectStoreError(store.endCustodyLeg(unload), 'conflict');
      await expect(store.endCustodyLeg({ ...unload, atMs: 1_500 })).rejects.toThrow(/starts at 2000/);
      const ended = await store.endCustodyLeg({ ...unload, atMs: 7_000 });
      expect(ended).toEqual({
        ...last,
        toMs: 7_000,
        endedBy: 'carrier',
        endTempC: 4.75,
        endPlace: 'clinic loading bay',
        endNote: 'received by the pharmacist',
      });
      expect(await store.legsOfShipment('S1')).toEqual([{ ...first, toMs: 2_000 }, ended]);
      expect(await store.openLegs()).toEqual([]);
      await expectStoreError(store.endCustodyLeg({ ...unload, atMs: 8_000 }), 'not_found');
      await expectStoreError(store.endCustodyLeg({ ...unload, shipmentId: 'nope' }), 'not_found');
      await expectStoreError(store.endCustodyLeg({ ...unload, shipmentId: 'S2' }), 'not_found');
      // The ended leg still covers its time: a leg inside it overlaps, one after it fits.
      await expectStoreError(store.addCustodyLeg(leg({ fromMs: 6_000, toMs: 6_500 })), 'custody_overlap');
      await store.addCustodyLeg(leg({ fromMs: 7_000, holder: 'clinic' }));
    });

    it('lets only one of two stores end the same open leg', async () => {
      const other = await open();
      await store.addCustodyLeg(leg({ fromMs: 1_000 }));
      const end = (by: string) => ({
        shipmentId: 'S1',
        atMs: 5_000,
        handedOverBy: by,
        handoverTempC: null,
        place: null,
        note: null,
      });
      const outcomes = await Promise.allSettled([
        store.endCustodyLeg(end('a')),
        other.endCustodyLeg(end('b')),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect((refused.reason as StoreError).code).toBe('not_found');
      const [ended] = await store.legsOfShipment('S1');
      expect(ended?.endedBy).toBe(
        (outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ endedBy: string }>).value
          .endedBy,
      );
    });
  });

  describe('alerts', () => {
    it('creates an alert for a new key, updates its excursion and tells unchanged apart', async () => {
      const created = await store.upsertAlert(alertInput('S1:range:1000'));
      expect(created.change).toBe('created');
      expect(created.alert).toMatchObject({
        key: 'S1:range:1000',
        status: 'open',
        detectedAtMs: 1_000_000,
        endMs: null,
        resolvedBy: null,
        resolutionNote: null,
        assignedTo: null,
        updatedAtMs: 1_000_000,
      });
      clock += 10;
      const same = await store.upsertAlert(alertInput('S1:range:1000'));
      expect(same).toEqual({ alert: created.alert, change: 'unchanged' });
      await store.acknowledgeAlert(created.alert.id, 'ops', 'looking');
      clock += 10;
      const updated = await store.upsertAlert(
        alertInput('S1:range:1000', { endMs: 5_000, peakValue: 11.25 }),
      );
      expect(updated.change).toBe('updated');
      expect(updated.alert).toMatchObject({
        id: created.alert.id,
        endMs: 5_000,
        peakValue: 11.25,
        // An update never reopens or changes the status.
        status: 'acknowledged',
        detectedAtMs: 1_000_000,
        updatedAtMs: 1_000_020,
      });
      expect(await store.getAlertByKey('S1:range:1000')).toEqual(updated.alert);
      expect(await store.getAlert(created.alert.id)).toEqual(updated.alert);
      expect(await store.getAlert(created.alert.id + 1000)).toBeNull();
      expect(await store.getAlertByKey('nope')).toBeNull();
    });

    it('reopens an alert the rules withdrew when its excursion is raised again, never one an operator resolved', async () => {
      const withdrawn = (await store.upsertAlert(alertInput('S1:range:7'))).alert;
      await store.acknowledgeAlert(withdrawn.id, 'ops', 'seen');
      await store.resolveAlert(withdrawn.id, 'system', 'superseded: late readings moved its start');
      // Raised again with exactly the fields it had: still a change, it is open again.
      const back = await store.upsertAlert(alertInput('S1:range:7'));
      expect(back.change).toBe('updated');
      expect(back.alert).toMatchObject({
        status: 'acknowledged',
        acknowledgedBy: 'ops',
        resolvedAtMs: null,
        resolvedBy: null,
        resolutionNote: null,
      });
      const never = (await store.upsertAlert(alertInput('S1:range:8'))).alert;
      await store.resolveAlert(never.id, 'system', 'recovered: a backlog filled the data gap');
      expect((await store.upsertAlert(alertInput('S1:range:8', { endMs: 9_000 }))).alert.status).toBe('open');

      const closed = (await store.upsertAlert(alertInput('S1:range:9'))).alert;
      await store.resolveAlert(closed.id, 'ops', 'product checked');
      const again = await store.upsertAlert(alertInput('S1:range:9', { endMs: 9_000 }));
      expect(again.alert).toMatchObject({ status: 'resolved', resolvedBy: 'ops', endMs: 9_000 });
      expect((await store.upsertAlert(alertInput('S1:range:9', { endMs: 9_000 }))).change).toBe('unchanged');
    });

    it('makes one alert per key when two stores raise the same keys at once', async () => {
      const other = await open();
      const keys = Array.from({ length: 20 }, (_, i) => `S1:range:${i}`);
      const results = await Promise.all(
        keys.flatMap((key) => [store.upsertAlert(alertInput(key)), other.upsertAlert(alertInput(key))]),
      );
      expect(results.filter((r) => r.change === 'created')).toHaveLength(keys.length);
      expect(results.filter((r) => r.change === 'unchanged')).toHaveLength(keys.length);
      const listed = await other.listAlerts({ limit: 1000 });
      expect(listed.map((a) => a.key).sort()).toEqual([...keys].sort());
    });

    it('acknowledges then resolves, and refuses a status change that another operator overtook', async () => {
      const other = await open();
      const { alert } = await store.upsertAlert(alertInput('S1:range:1000'));
      clock += 5;
      const acked = await store.acknowledgeAlert(alert.id, 'alice', 'on it');
      expect(acked).toMatchObject({
        status: 'acknowledged',
        acknowledgedBy: 'alice',
        acknowledgedAtMs: 1_000_005,
        note: 'on it',
      });
      await expectStoreError(other.acknowledgeAlert(alert.id, 'bob', 'me too'), 'alert_conflict');
      clock += 5;
      const resolved = await other.resolveAlert(alert.id, 'bob', 'door closed');
      expect(resolved).toMatchObject({
        status: 'resolved',
        resolvedAtMs: 1_000_010,
        resolvedBy: 'bob',
        resolutionNote: 'door closed',
        // The acknowledgement stays as it was.
        acknowledgedBy: 'alice',
        acknowledgedAtMs: 1_000_005,
        note: 'on it',
      });
      await expectStoreError(store.acknowledgeAlert(alert.id, 'alice', 'late'), 'alert_conflict');
      await expectStoreError(store.resolveAlert(alert.id, 'alice', 'again'), 'alert_conflict');
      expect(await store.getAlert(alert.id)).toEqual(resolved);
      // Resolving an open alert records who resolved it; nobody acknowledged it.
      const { alert: fresh } = await store.upsertAlert(alertInput('S1:range:9000'));
      expect(await store.resolveAlert(fresh.id, 'carol', 'false alarm')).toMatchObject({
        status: 'resolved',
        resolvedBy: 'carol',
        resolutionNote: 'false alarm',
        acknowledgedBy: null,
        acknowledgedAtMs: null,
        note: null,
      });
      await expect(store.acknowledgeAlert(999_999, 'x', 'y')).rejects.toThrow(/does not exist/);
    });

    it('lists alerts newest first, filtered by status, shipment and device, up to a limit', async () => {
      const a = (await store.upsertAlert(alertInput('k1'))).alert;
      const b = (await store.upsertAlert(alertInput('k2', { shipmentId: 'S2' }))).alert;
      const c = (await store.upsertAlert(alertInput('k3', { shipmentId: null, deviceId: 'room-1' }))).alert;
      await store.acknowledgeAlert(b.id, 'ops', '');
      const ids = async (filter?: Parameters<Store['listAlerts']>[0]) =>
        (await store.listAlerts(filter)).map((x) => x.id);
      expect(await ids()).toEqual([c.id, b.id, a.id]);
      expect(await ids({ status: 'open' })).toEqual([c.id, a.id]);
      expect(await ids({ status: 'acknowledged' })).toEqual([b.id]);
      expect(await ids({ shipmentId: 'S1' })).toEqual([a.id]);
      expect(await ids({ deviceId: 'truck-1' })).toEqual([b.id, a.id]);
      expect(await ids({ deviceId: 'truck-1', status: 'open' })).toEqual([a.id]);
      expect(await ids({ limit: 2 })).toEqual([c.id, b.id]);
    });
    it('assigns an alert to an operator and back to nobody, and refuses an unknown alert', async () => {
      const { alert } = await store.upsertAlert(alertInput('S1:range:1000'));
      clock += 5;
      const assigned = await store.assignAlert(alert.id, 'operator-li');
      expect(assigned).toEqual({ ...alert, assignedTo: 'operator-li', updatedAtMs: 1_000_005 });
      clock += 5;
      expect(await store.assignAlert(alert.id, null)).toEqual({
        ...alert,
        assignedTo: null,
        updatedAtMs: 1_000_010,
      });
      await expectStoreError(store.assignAlert(alert.id + 1000, 'x'), 'not_found');
    });

    it('moves updatedAtMs forward on every change of an alert, so that a resuming stream sees each one, even several in one millisecond', async () => {
      // The clock stands still: each change still gets its own, later updatedAtMs.
      let cursor = { updatedAtMs: 0, id: 0 };
      const seen: number[] = [];
      const resume = async () => {
        const batch = await store.listAlerts({ changedAfter: cursor });
        expect(batch).toHaveLength(1);
        const [alert] = batch as [(typeof batch)[number]];
        seen.push(alert.updatedAtMs);
        cursor = { updatedAtMs: alert.updatedAtMs, id: alert.id };
        return alert;
      };
      const { alert } = await store.upsertAlert(alertInput('S1:range:1000'));
      await resume();
      await store.acknowledgeAlert(alert.id, 'ops', 'seen');
      await resume();
      await store.assignAlert(alert.id, 'ops');
      await resume();
      await store.upsertAlert(alertInput('S1:range:1000', { endMs: 5_000 }));
      await resume();
      await store.resolveAlert(alert.id, 'ops', 'back in range');
      expect(await resume()).toMatchObject({ status: 'resolved', assignedTo: 'ops', endMs: 5_000 });
      expect(seen).toEqual([1_000_000, 1_000_001, 1_000_002, 1_000_003, 1_000_004]);
      // Nothing changed, nothing to see.
      expect((await store.upsertAlert(alertInput('S1:range:1000', { endMs: 5_000 }))).change).toBe(
        'unchanged',
      );
      expect(await store.listAlerts({ changedAfter: cursor })).toEqual([]);
      // Once the clock is ahead again, it is the clock.
      clock = 2_000_000;
      expect((await store.assignAlert(alert.id, null)).updatedAtMs).toBe(2_000_000);
    });

    it('lists alerts by severity, rule, several statuses, shipper and excursion overlapping a time range', async () => {
      await store.createShipment({ id: 'S1', profileId: 'pharma-2-8', shipper: 'acme', consignee: 'clinic' });
      await store.createShipment({ id: 'S2', profileId: 'frozen', shipper: 'seafood', consignee: 'market' });
      const a = (await store.upsertAlert(alertInput('k1', { startMs: 1_000, endMs: 2_000 }))).alert;
      const b = (
        await store.upsertAlert(
          alertInput('k2', { shipmentId: 'S2', rule: 'critical', severity: 'critical', startMs: 1_500 }),
        )
      ).alert;
      const c = (
        await store.upsertAlert(
          alertInput('k3', {
            shipmentId: null,
            deviceId: 'room-1',
            rule: 'gap',
            startMs: 3_000,
            endMs: 4_000,
          }),
        )
      ).alert;
      const d = (await store.upsertAlert(alertInput('k4', { startMs: 5_000 }))).alert;
      await store.acknowledgeAlert(b.id, 'ops', '');
      await store.resolveAlert(d.id, 'ops', '');
      const ids = async (filter: Parameters<Store['listAlerts']>[0]) =>
        (await store.listAlerts(filter)).map((x) => x.id);
      expect(await ids({ severity: 'critical' })).toEqual([b.id]);
      expect(await ids({ severity: 'warning' })).toEqual([d.id, c.id, a.id]);
      expect(await ids({ rule: 'gap' })).toEqual([c.id]);
      expect(await ids({ status: ['open', 'acknowledged'] })).toEqual([c.id, b.id, a.id]);
      expect(await ids({ status: ['resolved'] })).toEqual([d.id]);
      expect(await ids({ status: [] })).toEqual([]);
      // A shipper sees the alerts of its shipments only, never a device's own.
      expect(await ids({ shipper: 'acme' })).toEqual([d.id, a.id]);
      expect(await ids({ shipper: 'seafood' })).toEqual([b.id]);
      expect(await ids({ shipper: 'nobody' })).toEqual([]);
      expect(await ids({ shipper: 'acme', status: 'open' })).toEqual([a.id]);
      // [from, to): an excursion that ended when the range begins is outside it; open ones run on.
      expect(await ids({ fromMs: 2_000, toMs: 3_000 })).toEqual([b.id]);
      expect(await ids({ fromMs: 1_999, toMs: 3_001 })).toEqual([c.id, b.id, a.id]);
      expect(await ids({ fromMs: 4_000 })).toEqual([d.id, b.id]);
      expect(await ids({ toMs: 1_000 })).toEqual([]);
      await expectStoreError(store.listAlerts({ limit: -1 }), 'invalid');
      await expectStoreError(store.listAlerts({ limit: 1.5 }), 'invalid');
    });

    it('pages newest first with beforeId, and through every change oldest first with changedAfter, each exactly once', async () => {
      const created = [];
      for (let i = 0; i < 7; i++) {
        clock = 1_000_000 + Math.floor(i / 3); // several alerts change in each millisecond
        created.push((await store.upsertAlert(alertInput(`k${i}`))).alert);
      }
      // Later changes to some of them, and two to one alert within the same millisecond.
      clock = 1_000_010;
      const first = created[0]?.id as number;
      await store.acknowledgeAlert(first, 'ops', '');
      await store.assignAlert(first, 'ops');
      await store.assignAlert(created[4]?.id as number, 'ops');

      const newestFirst = [];
      let beforeId: number | undefined;
      for (let page = 0; page < 10; page++) {
        const batch = await store.listAlerts({ beforeId, limit: 3 });
        if (batch.length === 0) break;
        newestFirst.push(...batch.map((x) => x.id));
        beforeId = batch[batch.length - 1]?.id;
      }
      expect(newestFirst).toEqual(created.map((x) => x.id).reverse());

      const changes: Array<[number, number]> = [];
      let changedAfter = { updatedAtMs: 0, id: 0 };
      for (let page = 0; page < 10; page++) {
        const batch = await store.listAlerts({ changedAfter, limit: 2 });
        if (batch.length === 0) break;
        changes.push(...batch.map((x): [number, number] => [x.updatedAtMs, x.id]));
        const last = batch[batch.length - 1] as (typeof batch)[number];
        changedAfter = { updatedAtMs: last.updatedAtMs, id: last.id };
      }
      const [, a1, a2, a3, a4, a5, a6] = created.map((x) => x.id) as number[];
      expect(changes).toEqual([
        [1_000_000, a1],
        [1_000_000, a2],
        [1_000_001, a3],
        [1_000_001, a5],
        [1_000_002, a6],
        [1_000_010, a4],
        // Acknowledged at 1000010, assigned in the same millisecond: its last change is one later.
        [1_000_011, first],
      ]);
    });

    it('appends comments to an alert, lists them oldest first, and refuses one on an unknown alert', async () => {
      const { alert } = await store.upsertAlert(alertInput('S1:range:1000'));
      const other = (await store.upsertAlert(alertInput('S1:range:2000'))).alert;
      const c1 = await store.addAlertComment(alert.id, 'operator-li', 'driver says the door was open');
      clock += 60_000;
      const c2 = await (await open()).addAlertComment(alert.id, 'operator-wang', 'probe replaced');
      await store.addAlertComment(other.id, 'operator-li', 'another alert');
      expect(c1).toEqual({
        id: c1.id,
        alertId: alert.id,
        author: 'operator-li',
        text: 'driver says the door was open',
        createdAtMs: 1_000_000,
      });
      expect(await store.listAlertComments(alert.id)).toEqual([c1, c2]);
      expect(c2.createdAtMs).toBe(1_060_000);
      expect(await store.listAlertComments(alert.id + 1000)).toEqual([]);
      await expectStoreError(store.addAlertComment(alert.id + 1000, 'x', 'y'), 'not_found');
    });

    it('keeps comments append-only in the database itself: another connection can neither change nor delete one', async () => {
      const { alert } = await store.upsertAlert(alertInput('S1:range:1000'));
      const comment = await store.addAlertComment(alert.id, 'operator-li', 'as written');
      await expect(
        backend.raw(database, `UPDATE alert_comments SET text = 'rewritten' WHERE id = ${comment.id}`),
      ).rejects.toThrow(/append-only/);
      await expect(
        backend.raw(database, `DELETE FROM alert_comments WHERE id = ${comment.id}`),
      ).rejects.toThrow(/append-only/);
      // The same connection may add one: the refusals were about changing what is written.
      await backend.raw(
        database,
        `INSERT INTO alert_comments (alert_id, author, text, created_at_ms) VALUES (${alert.id}, 'auditor', 'added', 1)`,
      );
      expect((await store.listAlertComments(alert.id)).map((c) => c.text)).toEqual(['as written', 'added']);
    });
  });

  describe('API users and tokens', () => {
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

    it('creates users, refusing a taken id as a conflict and a role without its proper shipper as invalid', async () => {
      const admin = await store.createApiUser({ id: 'root', name: 'Admin', role: 'admin', shipper: null });
      expect(admin).toEqual({
        id: 'root',
        name: 'Admin',
        role: 'admin',
        shipper: null,
        disabled: false,
        createdAtMs: 1_000_000,
      });
      const shipper = await store.createApiUser({
        id: 'acme-portal',
        name: 'Acme',
        role: 'shipper',
        shipper: 'acme',
      });
      await store.createApiUser({ id: 'li', name: 'Operator Li', role: 'operator', shipper: null });
      await expectStoreError(
        store.createApiUser({ id: 'root', name: 'Again', role: 'operator', shipper: null }),
        'conflict',
      );
      await expectStoreError(
        store.createApiUser({ id: 'x1', name: 'x', role: 'shipper', shipper: null }),
        'invalid',
      );
      await expectStoreError(
        store.createApiUser({ id: 'x2', name: 'x', role: 'shipper', shipper: ' ' }),
        'invalid',
      );
      await expectStoreError(
        store.createApiUser({ id: 'x3', name: 'x', role: 'operator', shipper: 'acme' }),
        'invalid',
      );
      await expectStoreError(
        store.createApiUser({ id: 'x4', name: 'x', role: 'root' as 'admin', shipper: null }),
        'invalid',
      );
      expect(await store.getApiUser('acme-portal')).toEqual(shipper);
      expect(await store.getApiUser('x1')).toBeNull();
      expect((await store.listApiUsers()).map((u) => u.id)).toEqual(['acme-portal', 'li', 'root']);
      clock += 1;
      expect(await store.setApiUserDisabled('li', true)).toMatchObject({ id: 'li', disabled: true });
      expect((await store.getApiUser('li'))?.disabled).toBe(true);
      expect((await store.setApiUserDisabled('li', false)).disabled).toBe(false);
      await expectStoreError(store.setApiUserDisabled('nobody', true), 'not_found');
    });

    it('issues a token shown once, stores only its SHA-256, and verifies it to its user', async () => {
      const user = await store.createApiUser({
        id: 'acme-portal',
        name: 'Acme',
        role: 'shipper',
        shipper: 'acme',
      });
      const { token, record } = await store.createApiToken('acme-portal', { label: 'ERP sync' });
      expect(token).toMatch(/^cct_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
      expect(record).toEqual({
        id: record.id,
        userId: 'acme-portal',
        label: 'ERP sync',
        createdAtMs: 1_000_000,
        expiresAtMs: null,
        revokedAtMs: null,
      });
      expect(await backend.raw(database, 'SELECT token_hash FROM api_tokens')).toBe(sha256(token));
      expect(
        await backend.raw(database, `SELECT count(*) FROM api_tokens WHERE token_hash = '${token}'`),
      ).toBe('0');
      expect(await (await open()).verifyApiToken(token, 2_000_000)).toEqual({ user, token: record });
      clock += 1;
      const second = await store.createApiToken('acme-portal');
      expect(second.token).not.toBe(token);
      expect(second.record.label).toBe('');
      expect((await store.listApiTokens('acme-portal')).map((t) => t.id)).toEqual([
        record.id,
        second.record.id,
      ]);
      expect(await store.listApiTokens('nobody')).toEqual([]);
      await expectStoreError(store.createApiToken('nobody'), 'not_found');
    });

    it('refuses a token that is unknown, malformed, revoked, expired, or whose user is disabled', async () => {
      await store.createApiUser({ id: 'ops', name: 'Ops', role: 'operator', shipper: null });
      const { token, record } = await store.createApiToken('ops', { expiresAtMs: 1_500_000 });
      const verify = (t: string, at = 1_000_000) => store.verifyApiToken(t, at);
      expect((await verify(token))?.token.id).toBe(record.id);
      expect(await verify(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
      expect(await verify('cct_short')).toBeNull();
      expect(await verify('')).toBeNull();
      // Expired from its expiry on.
      expect((await verify(token, 1_499_999))?.user.id).toBe('ops');
      expect(await verify(token, 1_500_000)).toBeNull();
      // A disabled user's tokens stop working, and work again once enabled.
      await store.setApiUserDisabled('ops', true);
      expect(await verify(token)).toBeNull();
      await store.setApiUserDisabled('ops', false);
      expect((await verify(token))?.user.disabled).toBe(false);
      clock += 10;
      const revoked = await store.revokeApiToken(record.id);
      expect(revoked).toEqual({ ...record, revokedAtMs: 1_000_010 });
      expect(await verify(token)).toBeNull();
      clock += 10;
      // Revoking again changes nothing.
      expect(await store.revokeApiToken(record.id)).toEqual(revoked);
      await expectStoreError(store.revokeApiToken('nope'), 'not_found');
      // Other tokens of the user are untouched.
      const fresh = await store.createApiToken('ops');
      expect((await verify(fresh.token))?.token.id).toBe(fresh.record.id);
    });
  });

  it('saves and loads opaque state by key', async () => {
    expect(await store.loadState('breach-engine')).toBeNull();
    await store.saveState('breach-engine', '{"v":1}');
    await store.saveState('breach-engine', '{"v":2}');
    expect(await store.loadState('breach-engine')).toBe('{"v":2}');
    expect(await (await open()).loadState('breach-engine')).toBe('{"v":2}');
  });

  it('records webhook deliveries by id and lists them, latest change first', async () => {
    const d = (id: string, over: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
      id,
      url: 'https://example.test/hook',
      alertId: 1,
      status: 'pending',
      attempts: 0,
      lastError: null,
      ...over,
    });
    await store.recordWebhookDelivery(d('a'));
    clock += 1;
    await store.recordWebhookDelivery(d('b'));
    clock += 1;
    await store.recordWebhookDelivery(d('a', { status: 'dead', attempts: 5, lastError: '503' }));
    expect(await store.listWebhookDeliveries()).toEqual([
      d('a', { status: 'dead', attempts: 5, lastError: '503' }),
      d('b'),
    ]);
    expect((await store.listWebhookDeliveries({ status: 'pending' })).map((x) => x.id)).toEqual(['b']);
    expect((await store.listWebhookDeliveries({ limit: 1 })).map((x) => x.id)).toEqual(['a']);
  });

  describe('dead letters', () => {
    const letter = (deviceId: string | null, reason: string, payload = Buffer.from('{"v":9}')) => ({
      deviceId,
      topic: `coldchain/v1/devices/${deviceId ?? '+'}/telemetry`,
      arrivedAtMs: clock,
      reason,
      problems: [`${reason}: at /v`],
      payload,
      payloadBytes: payload.length,
    });

    it('counts every dead letter exactly while samples stop at the caps', async () => {
      const dl = await open({ perDevice: 3, total: 5, retentionMs: 3_600_000 });
      const stored: boolean[] = [];
      for (let i = 0; i < 5; i++)
        stored.push((await dl.addDeadLetter(letter('a', i % 2 ? 'bad_value' : 'malformed_json'))).stored);
      for (let i = 0; i < 4; i++) stored.push((await dl.addDeadLetter(letter('b', 'bad_value'))).stored);
      for (let i = 0; i < 2; i++) stored.push((await dl.addDeadLetter(letter(null, 'bad_topic'))).stored);
      // a: 3 of 5 (its cap), b: 2 of 4 (the total cap), no device: none.
      expect(stored).toEqual([true, true, true, false, false, true, true, false, false, false, false]);
      expect(await dl.countDeadLettersByReason()).toEqual({ malformed_json: 3, bad_value: 6, bad_topic: 2 });
      expect(await dl.countDeadLettersOfDevice('a')).toEqual({ malformed_json: 3, bad_value: 2 });
      expect(await dl.countDeadLettersOfDevice(null)).toEqual({ bad_topic: 2 });
      expect(await dl.deadLetterStats()).toEqual({
        byReason: { malformed_json: 3, bad_value: 6, bad_topic: 2 },
        stored: 5,
        dropped: 6,
      });
      const samples = await dl.listDeadLetters();
      expect(samples.map((s) => s.deviceId)).toEqual(['b', 'b', 'a', 'a', 'a']);
      expect(samples[4]).toMatchObject({
        deviceId: 'a',
        reason: 'malformed_json',
        problems: ['malformed_json: at /v'],
        payload: '{"v":9}',
        payloadBytes: 7,
      });
      expect((await dl.listDeadLetters({ deviceId: 'a', limit: 2 })).map((s) => s.id)).toEqual(
        samples.slice(2, 4).map((s) => s.id),
      );
    });

    it('holds the caps exactly when two stores record dead letters of one device at once', async () => {
      const limits = { perDevice: 5, total: 100, retentionMs: 3_600_000 };
      const [one, two] = await Promise.all([open(limits), open(limits)]);
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).addDeadLetter(letter('a', 'bad_value'))),
      );
      expect(results.filter((r) => r.stored)).toHaveLength(5);
      expect(await one.deadLetterStats()).toEqual({ byReason: { bad_value: 40 }, stored: 5, dropped: 35 });
    });

    it('keeps a binary payload as a lossy sample, truncated, with its real size', async () => {
      const dl = await open();
      const binary = Buffer.alloc(10_000, 0);
      binary.write('\u00ff\u0001junk', 0, 'latin1');
      expect(await dl.addDeadLetter(letter('a', 'malformed_json', binary))).toEqual({ stored: true });
      const [sample] = await dl.listDeadLetters();
      expect(sample?.payloadBytes).toBe(10_000);
      expect(sample?.payload.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(sample?.payload ?? '')).toBeLessThanOrEqual(3 * 4096);
    });

    it('deletes samples past their retention, keeping the counts, and stores new ones again', async () => {
      const dl = await open({ perDevice: 2, total: 10, retentionMs: 60_000 });
      for (let i = 0; i < 3; i++) await dl.addDeadLetter(letter('a', 'bad_value'));
      clock += 61_000;
      expect(await dl.pruneDeadLetters()).toBe(2);
      expect(await dl.deadLetterStats()).toEqual({ byReason: { bad_value: 3 }, stored: 0, dropped: 1 });
      expect(await dl.addDeadLetter(letter('a', 'bad_value'))).toEqual({ stored: true });
      expect((await dl.listDeadLetters()).map((s) => s.arrivedAtMs)).toEqual([clock]);
      expect(await dl.countDeadLettersOfDevice('a')).toEqual({ bad_value: 4 });
    });
  });

  it('migrates one fresh database from two stores opened at once, and both see the same data', async () => {
    database = await backend.freshDatabase();
    const [first, second] = await Promise.all([open(), open()]);
    await first.provisionDevice({ id: 'shared-1' });
    expect((await second.getDevice('shared-1'))?.id).toBe('shared-1');
    await second.close();
    // Reopening a migrated database applies nothing twice.
    const again = await open();
    expect((await again.listDevices()).map((d) => d.id)).toEqual(['shared-1']);
  });

  it('opens a database an earlier release wrote, giving its rows the values that say what they were', async () => {
    database = await backend.freshDatabase();
    await backend.createAtVersion(database, backend.versionsBeforeApi);
    const alertColumns =
      'key, rule, severity, shipment_id, device_id, start_ms, detected_at_ms, status, acknowledged_by, acknowledged_at_ms, note, resolved_at_ms, updated_at_ms';
    for (const sql of [
      `INSERT INTO shipments (id, profile_id, shipper, consignee, description, created_at_ms)
       VALUES ('OLD-1', 'frozen', 'seafood', 'market', 'Dalian scallops, 2 t', 5000)`,
      `INSERT INTO custody_legs (shipment_id, device_id, holder, from_ms, to_ms, handed_over_by, handover_temp_c)
       VALUES ('OLD-1', 'truck-1', 'carrier', 6000, NULL, 'seafood', -19.5)`,
      // Resolved while open: that release wrote the resolver into acknowledged_by, the resolution into note.
      `INSERT INTO alerts (${alertColumns}) VALUES
       ('k-resolved', 'range', 'warning', 'OLD-1', 'truck-1', 6500, 7000, 'resolved', 'operator-wang', NULL, 'false alarm', 8000, 8000)`,
      // Acknowledged, then resolved: the resolution's note replaced the acknowledgement's.
      `INSERT INTO alerts (${alertColumns}) VALUES
       ('k-acked-resolved', 'range', 'warning', 'OLD-1', 'truck-1', 6600, 7000, 'resolved', 'operator-li', 7500, 'probe replaced', 9000, 9000)`,
      `INSERT INTO alerts (${alertColumns}) VALUES
       ('k-acked', 'range', 'warning', 'OLD-1', 'truck-1', 6700, 7000, 'acknowledged', 'operator-li', 7600, 'calling the driver', NULL, 7600)`,
    ])
      await backend.raw(database, sql);

    const migrated = await open();
    expect(await migrated.getShipment('OLD-1')).toEqual({
      id: 'OLD-1',
      reference: 'OLD-1',
      profileId: 'frozen',
      shipper: 'seafood',
      consignee: 'market',
      goods: 'Dalian scallops, 2 t',
      description: 'Dalian scallops, 2 t',
      origin: null,
      destination: null,
      status: 'planned',
      plannedDepartureMs: null,
      plannedArrivalMs: null,
      actualDepartureMs: null,
      actualArrivalMs: null,
      createdAtMs: 5_000,
      updatedAtMs: 5_000,
    });
    const [leg] = await migrated.legsOfShipment('OLD-1');
    expect(leg).toMatchObject({
      fromMs: 6_000,
      handoverTempC: -19.5,
      place: null,
      note: null,
      recordedAtMs: 6_000,
      endedBy: null,
    });
    expect(await migrated.getAlertByKey('k-resolved')).toMatchObject({
      acknowledgedBy: null,
      note: null,
      resolvedBy: 'operator-wang',
      resolutionNote: 'false alarm',
      assignedTo: null,
    });
    expect(await migrated.getAlertByKey('k-acked-resolved')).toMatchObject({
      acknowledgedBy: 'operator-li',
      acknowledgedAtMs: 7_500,
      note: null,
      resolvedBy: null,
      resolutionNote: 'probe replaced',
    });
    expect(await migrated.getAlertByKey('k-acked')).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'operator-li',
      note: 'calling the driver',
      resolvedBy: null,
      resolutionNote: null,
    });

    // What the new version adds works on the old rows.
    expect((await migrated.updateShipmentStatus('OLD-1', 'in_transit', 6_000)).actualDepartureMs).toBe(6_000);
    expect(
      (
        await migrated.endCustodyLeg({
          shipmentId: 'OLD-1',
          atMs: 9_000,
          handedOverBy: 'carrier',
          handoverTempC: -18,
          place: null,
          note: null,
        })
      ).toMs,
    ).toBe(9_000);
    const acked = (await migrated.getAlertByKey('k-acked')) as { id: number };
    await migrated.addAlertComment(acked.id, 'operator-li', 'driver reached');
    expect((await migrated.resolveAlert(acked.id, 'operator-li', 'delivered cold')).note).toBe(
      'calling the driver',
    );
    await migrated.createApiUser({ id: 'seafood', name: 'Seafood', role: 'shipper', shipper: 'seafood' });
    const { token } = await migrated.createApiToken('seafood');
    expect((await migrated.verifyApiToken(token, clock))?.user.shipper).toBe('seafood');
    expect((await migrated.listShipments({ shipper: 'seafood' })).map((x) => x.id)).toEqual(['OLD-1']);
    // Opened again, nothing is applied twice.
    const again = await open();
    expect(await again.listAlertComments(acked.id)).toHaveLength(1);
  });
});

describe('PostgreSQL enforces the store rules by itself', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server.stop());

  it('refuses an overlapping custody leg written by another connection, and an update that would overlap', async () => {
    const url = await server.createDatabase('raw_overlap');
    const store = await openMetadataStore({ databaseUrl: url, file: '/nonexistent/unused.db' });
    try {
      await store.createShipment({ id: 'S1', profileId: 'pharma-2-8', shipper: 'acme', consignee: 'clinic' });
      const base = {
        shipmentId: 'S1',
        deviceId: 'truck-1',
        holder: 'a',
        handedOverBy: null,
        handoverTempC: null,
      };
      const first = await store.addCustodyLeg({ ...base, fromMs: 1_000, toMs: null });
      await store.addCustodyLeg({ ...base, fromMs: 2_000, toMs: null });
      await expect(
        server.psql(
          url,
          `INSERT INTO custody_legs (shipment_id, device_id, holder, from_ms, to_ms) VALUES ('S1', 'x', 'b', 1500, 1600)`,
        ),
      ).rejects.toThrow(/23P01/);
      await expect(
        server.psql(url, `UPDATE custody_legs SET to_ms = 2500 WHERE id = ${first.id}`),
      ).rejects.toThrow(/23P01/);
      // The same connection writes a leg that does not overlap: the refusals above were about overlap.
      await server.psql(
        url,
        `INSERT INTO custody_legs (shipment_id, device_id, holder, from_ms, to_ms) VALUES ('S1', 'x', 'b', 500, 1000)`,
      );
      expect((await store.legsOfShipment('S1')).map((l) => [l.fromMs, l.toMs])).toEqual([
        [500, 1_000],
        [1_000, 2_000],
        [2_000, null],
      ]);
    } finally {
      await store.close();
    }
  });

  it('applies each migration once when several stores migrate a fresh database at once', async () => {
    const url = await server.createDatabase('raw_migrate');
    const stores = await Promise.all(
      Array.from({ length: 4 }, () =>
        openMetadataStore({ databaseUrl: url, file: '/nonexistent/unused.db' }),
      ),
    );
    try {
      const applied = await server.psql(
        url,
        "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations",
      );
      expect(applied).toBe(POSTGRES_MIGRATIONS.map((_, i) => i + 1).join(','));
    } finally {
      for (const s of stores) await s.close();
    }
  });
});

describe.each([sqlite(), postgres()])('report records contract on $name', (backend) => {
  let clock = 0;
  const now = () => clock;
  let database = '';
  const opened: Store[] = [];
  const open = async () => {
    const s = await backend.open(database, { now });
    opened.push(s);
    return s;
  };
  let store: Store;

  beforeAll(() => backend.start());
  afterAll(() => backend.stop());
  beforeEach(async () => {
    clock = 2_000_000;
    database = await backend.freshDatabase();
    store = await open();
    await store.createShipment({ id: 'S1', profileId: 'pharma-2-8', shipper: 'acme', consignee: 'clinic' });
    await store.createShipment({ id: 'S2', profileId: 'frozen', shipper: 'acme', consignee: 'shop' });
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  const excursion = {
    key: 'range:high:1000',
    rule: 'range',
    severity: 'critical' as const,
    deviceId: 'truck-1',
    legId: 1,
    startMs: 1_000,
    endMs: 5_000,
    peakValue: 9.25,
  };
  const revision = (n: number, lines: string[], over: Record<string, unknown> = {}) => ({
    shipmentId: 'S1',
    revision: n,
    issuedAtMs: clock,
    digest: `digest-${n}`,
    verdict: 'pending',
    signature: `sig-${n}`,
    keyId: 'key-1',
    readingLines: lines,
    excursions: [excursion],
    changes: null,
    ...over,
  });

  describe('report revisions', () => {
    it('stores revisions 1, 2 … in order with their reading lines, and refuses a number that is not the next', async () => {
      const lines = Array.from({ length: 500 }, (_, i) => `1|truck-1|${1_000 + i * 60_000}|temp.air=3.500`);
      const first = await store.addReportRevision(revision(1, lines));
      expect(first).toEqual({
        shipmentId: 'S1',
        revision: 1,
        issuedAtMs: 2_000_000,
        digest: 'digest-1',
        verdict: 'pending',
        signature: 'sig-1',
        keyId: 'key-1',
        readingCount: 500,
        excursions: [excursion],
        changes: null,
      });
      await expectStoreError(store.addReportRevision(revision(1, lines)), 'conflict');
      await expectStoreError(store.addReportRevision(revision(3, lines)), 'conflict');
      await expectStoreError(
        store.addReportRevision({ ...revision(1, []), shipmentId: 'nope' }),
        'not_found',
      );
      const changes = {
        sinceRevision: 1,
        readings: {
          added: [{ legId: 1, deviceId: 'truck-1', tsMs: 99, values: { 'temp.air': '4.000' } }],
          removed: [],
          changed: [],
        },
        excursions: { added: [], changed: [], removed: [excursion] },
        verdict: { before: 'pending', after: 'pass' },
      };
      clock += 10;
      await store.addReportRevision(revision(2, [], { verdict: 'pass', excursions: [], changes }));
      expect((await store.latestReportRevision('S1'))?.revision).toBe(2);
      expect((await store.latestReportRevision('S1'))?.readingLines).toEqual([]);
      expect((await store.latestReportRevision('S1'))?.changes).toEqual(changes);
      expect((await store.getReportRevision('S1', 1))?.readingLines).toEqual(lines);
      expect(await store.getReportRevision('S1', 3)).toBeNull();
      expect(await store.latestReportRevision('S2')).toBeNull();
      const listed = await store.listReportRevisions('S1');
      expect(listed.map((r) => [r.revision, r.verdict, r.readingCount])).toEqual([
        [1, 'pending', 500],
        [2, 'pass', 0],
      ]);
      expect(listed[0]).not.toHaveProperty('readingLines');
    });

    it('lets only one of two stores issue the same next revision', async () => {
      const other = await open();
      const outcomes = await Promise.allSettled([
        store.addReportRevision(revision(1, ['a'])),
        other.addReportRevision(revision(1, ['b'])),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect((refused.reason as StoreError).code).toBe('conflict');
      expect(await store.listReportRevisions('S1')).toHaveLength(1);
    });

    it('keeps issued revisions in the database itself: another connection can neither change nor delete one', async () => {
      await store.addReportRevision(revision(1, ['a']));
      await expect(
        backend.raw(database, "UPDATE report_revisions SET verdict = 'pass' WHERE shipment_id = 'S1'"),
      ).rejects.toThrow(/append-only/);
      await expect(backend.raw(database, 'DELETE FROM report_revisions')).rejects.toThrow(/append-only/);
      expect((await store.latestReportRevision('S1'))?.verdict).toBe('pending');
    });
  });

  describe('share links', () => {
    it('creates, lists and revokes links of one shipment, keeping the first revocation', async () => {
      const link = { id: 'L1', shipmentId: 'S1', createdBy: 'olga', label: 'clinic', expiresAtMs: 9_000_000 };
      expect(await store.createShareLink(link)).toEqual({
        ...link,
        createdAtMs: 2_000_000,
        revokedAtMs: null,
        revokedBy: null,
      });
      await expectStoreError(store.createShareLink(link), 'conflict');
      await expectStoreError(store.createShareLink({ ...link, id: 'L9', shipmentId: 'nope' }), 'not_found');
      clock += 5;
      await store.createShareLink({ ...link, id: 'L2', label: 'second' });
      await store.createShareLink({ ...link, id: 'L3', shipmentId: 'S2' });
      expect((await store.listShareLinks('S1')).map((l) => l.id)).toEqual(['L1', 'L2']);
      clock += 5;
      expect(await store.revokeShareLink('L1', 'olga')).toMatchObject({
        revokedAtMs: 2_000_010,
        revokedBy: 'olga',
      });
      clock += 5;
      expect(await store.revokeShareLink('L1', 'admin')).toMatchObject({
        revokedAtMs: 2_000_010,
        revokedBy: 'olga',
      });
      expect((await store.getShareLink('L1'))?.revokedBy).toBe('olga');
      expect(await store.getShareLink('nope')).toBeNull();
      await expectStoreError(store.revokeShareLink('nope', 'olga'), 'not_found');
    });
  });

  describe('receipts', () => {
    const leg = (fromMs: number, holder: string) => ({
      shipmentId: 'S1',
      deviceId: 'truck-1',
      holder,
      fromMs,
      toMs: null,
      handedOverBy: null,
      handoverTempC: null,
    });
    const receipt = {
      shipmentId: 'S1',
      linkId: null,
      arrivedAtMs: 9_000,
      arrivalTempC: 4.5,
      decision: 'rejected' as const,
      reason: 'seal broken',
      receivedBy: 'pharmacist Liu',
      place: 'clinic dock',
    };

    it('ends the open leg at the arrival as the final handover and keeps one receipt per shipment', async () => {
      await store.addCustodyLeg(leg(1_000, 'warehouse'));
      const last = await store.addCustodyLeg(leg(2_000, 'carrier'));
      await expectStoreError(store.recordReceipt({ ...receipt, arrivedAtMs: 2_000 }), 'conflict');
      const { receipt: stored, leg: ended } = await store.recordReceipt(receipt);
      expect(stored).toEqual({ ...receipt, legId: last.id, recordedAtMs: 2_000_000 });
      expect(ended).toEqual({
        ...last,
        toMs: 9_000,
        endedBy: 'carrier',
        endTempC: 4.5,
        endPlace: 'clinic dock',
        endNote: 'received by pharmacist Liu: rejected (seal broken)',
      });
      expect(await store.getReceipt('S1')).toEqual(stored);
      expect(await store.openLegs()).toEqual([]);
      await expectStoreError(store.recordReceipt(receipt), 'conflict');
      await expectStoreError(store.recordReceipt({ ...receipt, shipmentId: 'nope' }), 'not_found');
      // S2 has no leg at all.
      await expectStoreError(store.recordReceipt({ ...receipt, shipmentId: 'S2' }), 'conflict');
      expect(await store.getReceipt('S2')).toBeNull();
    });

    it('refers to the last leg when it was already ended at unloading', async () => {
      const only = await store.addCustodyLeg(leg(1_000, 'carrier'));
      await store.endCustodyLeg({
        shipmentId: 'S1',
        atMs: 8_000,
        handedOverBy: 'carrier',
        handoverTempC: 5,
        place: null,
        note: null,
      });
      const { receipt: stored, leg: kept } = await store.recordReceipt({
        ...receipt,
        decision: 'accepted',
        reason: null,
      });
      expect(stored.legId).toBe(only.id);
      expect(kept).toMatchObject({ toMs: 8_000, endTempC: 5, endNote: null });
    });

    it('records one receipt when two stores record it at once', async () => {
      const other = await open();
      await store.addCustodyLeg(leg(1_000, 'carrier'));
      const outcomes = await Promise.allSettled([
        store.recordReceipt(receipt),
        other.recordReceipt({ ...receipt, receivedBy: 'someone else' }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect((refused.reason as StoreError).code).toBe('conflict');
    });
  });
});
