import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AlertInput,
  type DeadLetterLimits,
  openMetadataStore,
  StoreError,
  type WebhookDelivery,
} from '@coldchain/store';
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
}

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

  it('creates, gets and lists shipments, refusing a duplicate id', async () => {
    const s1 = await store.createShipment({
      id: 'S1',
      profileId: 'pharma-2-8',
      shipper: 'acme',
      consignee: 'clinic',
    });
    expect(s1).toEqual({
      id: 'S1',
      profileId: 'pharma-2-8',
      shipper: 'acme',
      consignee: 'clinic',
      description: '',
      createdAtMs: 1_000_000,
    });
    clock += 1;
    await store.createShipment({
      id: 'S0',
      profileId: 'frozen',
      shipper: 'acme',
      consignee: 'shop',
      description: 'ice cream',
    });
    expect(await store.getShipment('S1')).toEqual(s1);
    expect(await store.getShipment('nope')).toBeNull();
    expect((await store.listShipments()).map((s) => [s.id, s.description])).toEqual([
      ['S1', ''],
      ['S0', 'ice cream'],
    ]);
    await expect(
      store.createShipment({ id: 'S1', profileId: 'frozen', shipper: 'x', consignee: 'y' }),
    ).rejects.toThrow(/already exists/);
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
        acknowledgedBy: 'alice',
        note: 'door closed',
      });
      await expectStoreError(store.acknowledgeAlert(alert.id, 'alice', 'late'), 'alert_conflict');
      await expectStoreError(store.resolveAlert(alert.id, 'alice', 'again'), 'alert_conflict');
      expect(await store.getAlert(alert.id)).toEqual(resolved);
      // Resolving an open alert names who resolved it as the one who acknowledged it.
      const { alert: fresh } = await store.upsertAlert(alertInput('S1:range:9000'));
      expect((await store.resolveAlert(fresh.id, 'carol', 'false alarm')).acknowledgedBy).toBe('carol');
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
      expect(applied).toBe('1,2');
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
