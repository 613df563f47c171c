import { dirname, join } from 'node:path';
import { createSecretVerifier, generateSecret, hashSecret } from '../credentials.js';
import type { Alert, AlertInput, AlertUpsert, CustodyLeg, Shipment } from '../domain-records.js';
import type {
  DeadLetterLimits,
  Device,
  DeviceKind,
  MetadataStore,
  Principal,
  ServiceRole,
} from '../store.js';
import { StoreError } from '../store-error.js';
import { applyMigrations, openPrivateSqlite } from './private-sqlite.js';
import {
  alertFromRow,
  legFromRow,
  SHIPMENT_COLUMNS,
  shipmentFromRow,
  webhookDeliveryFromRow,
} from './record-rows.js';
import {
  DEFAULT_DEAD_LETTER_LIMITS,
  openSqliteDeadLetters,
  type SqliteDeadLetters,
} from './sqlite-dead-letters.js';

/** The message the custody-leg triggers abort with, turned into `StoreError` `custody_overlap`. */
const CUSTODY_OVERLAP = 'custody_overlap';

/**
 * Schema versions, applied in order (see applyMigrations); `PRAGMA user_version` records the last one applied. The
 * `dead_letters` table of the first version is where an earlier release kept dead letters; they
 * now have a database of their own (sqlite-dead-letters.ts), which imports and drops this table.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     kind TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL,
     disabled INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE service_accounts (
     id TEXT PRIMARY KEY,
     role TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL
   );
   CREATE TABLE dead_letters (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     device_id TEXT,
     topic TEXT NOT NULL,
     arrived_at_ms INTEGER NOT NULL,
     reason TEXT NOT NULL,
     problems TEXT NOT NULL,
     payload TEXT NOT NULL,
     payload_bytes INTEGER NOT NULL
   );
   CREATE INDEX dead_letters_device ON dead_letters (device_id, id);`,
  `CREATE TABLE shipments (
     id TEXT PRIMARY KEY,
     profile_id TEXT NOT NULL,
     shipper TEXT NOT NULL,
     consignee TEXT NOT NULL,
     description TEXT NOT NULL DEFAULT '',
     created_at_ms INTEGER NOT NULL
   );
   CREATE TABLE custody_legs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     shipment_id TEXT NOT NULL REFERENCES shipments (id),
     device_id TEXT NOT NULL,
     holder TEXT NOT NULL,
     from_ms INTEGER NOT NULL,
     to_ms INTEGER,
     handed_over_by TEXT,
     handover_temp_c REAL
   );
   CREATE INDEX custody_legs_device ON custody_legs (device_id, from_ms);
   CREATE INDEX custody_legs_shipment ON custody_legs (shipment_id, from_ms);
   CREATE TABLE alerts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     key TEXT NOT NULL UNIQUE,
     rule TEXT NOT NULL,
     severity TEXT NOT NULL,
     shipment_id TEXT,
     device_id TEXT NOT NULL,
     holder TEXT,
     start_ms INTEGER NOT NULL,
     end_ms INTEGER,
     detected_at_ms INTEGER NOT NULL,
     limit_value REAL,
     peak_value REAL,
     peak_ts_ms INTEGER,
     status TEXT NOT NULL DEFAULT 'open',
     acknowledged_by TEXT,
     acknowledged_at_ms INTEGER,
     note TEXT,
     resolved_at_ms INTEGER,
     detail TEXT,
     updated_at_ms INTEGER NOT NULL
   );
   CREATE INDEX alerts_status ON alerts (status, id);
   CREATE INDEX alerts_shipment ON alerts (shipment_id, id);
   CREATE TABLE service_state (
     key TEXT PRIMARY KEY,
     json TEXT NOT NULL,
     updated_at_ms INTEGER NOT NULL
   );`,
  `CREATE TABLE webhook_deliveries (
     id TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     alert_id INTEGER NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     last_error TEXT,
     updated_at_ms INTEGER NOT NULL
   );
   CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, updated_at_ms);`,
  // The breach monitor's timer looks at open legs only.
  'CREATE INDEX custody_legs_open ON custody_legs (from_ms) WHERE to_ms IS NULL;',
  // When a device was last disabled, enabled or given a new secret: the broker disconnects it then.
  `ALTER TABLE devices ADD COLUMN changed_at_ms INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX devices_changed ON devices (changed_at_ms);`,
  // Custody legs of one shipment never overlap, whoever writes them: the database refuses, as
  // PostgreSQL's exclusion constraint does. Legs are half-open [from_ms, to_ms), an open leg runs
  // to the end of time, and an empty leg (from_ms = to_ms, a handover at the instant the leg
  // began) overlaps nothing, as an empty int8range does.
  `CREATE TRIGGER custody_legs_no_overlap_insert BEFORE INSERT ON custody_legs
   WHEN NEW.from_ms < COALESCE(NEW.to_ms, ${Number.MAX_SAFE_INTEGER}) AND EXISTS (
     SELECT 1 FROM custody_legs AS o
     WHERE o.shipment_id = NEW.shipment_id
       AND o.from_ms < COALESCE(o.to_ms, ${Number.MAX_SAFE_INTEGER})
       AND o.from_ms < COALESCE(NEW.to_ms, ${Number.MAX_SAFE_INTEGER})
       AND NEW.from_ms < COALESCE(o.to_ms, ${Number.MAX_SAFE_INTEGER}))
   BEGIN SELECT RAISE(ABORT, '${CUSTODY_OVERLAP}'); END;
   CREATE TRIGGER custody_legs_no_overlap_update BEFORE UPDATE OF shipment_id, from_ms, to_ms ON custody_legs
   WHEN NEW.from_ms < COALESCE(NEW.to_ms, ${Number.MAX_SAFE_INTEGER}) AND EXISTS (
     SELECT 1 FROM custody_legs AS o
     WHERE o.shipment_id = NEW.shipment_id AND o.id != OLD.id
       AND o.from_ms < COALESCE(o.to_ms, ${Number.MAX_SAFE_INTEGER})
       AND o.from_ms < COALESCE(NEW.to_ms, ${Number.MAX_SAFE_INTEGER})
       AND NEW.from_ms < COALESCE(o.to_ms, ${Number.MAX_SAFE_INTEGER}))
   BEGIN SELECT RAISE(ABORT, '${CUSTODY_OVERLAP}'); END;`,
];

interface DeviceRow {
  id: string;
  name: string;
  kind: DeviceKind;
  created_at_ms: number;
  disabled: number;
}

const toDevice = (row: DeviceRow): Device => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  createdAtMs: row.created_at_ms,
  disabled: row.disabled !== 0,
});

export interface SqliteStoreOptions {
  /** Database file, or `:memory:`. Created with mode 0600, its folder with 0700. */
  file: string;
  /** Wall clock, injected so that tests control it. */
  now?: () => number;
  deadLetters?: {
    /** Their own database file; default `dead-letters.db` next to `file` (`:memory:` with it). */
    file?: string;
    /** Default DEFAULT_DEAD_LETTER_LIMITS. */
    limits?: Partial<DeadLetterLimits>;
  };
}

export function createSqliteStore(opts: SqliteStoreOptions): MetadataStore {
  const db = openPrivateSqlite(opts.file);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const now = opts.now ?? Date.now;

  applyMigrations(db, MIGRATIONS);

  // Reconnects with an already verified secret skip scrypt (see createSecretVerifier).
  const secrets = createSecretVerifier();
  const stmt = {
    insertDevice: db.prepare(
      'INSERT INTO devices (id, name, kind, secret_hash, created_at_ms) VALUES (@id, @name, @kind, @hash, @at)',
    ),
    setDeviceSecret: db.prepare('UPDATE devices SET secret_hash = ?, changed_at_ms = ? WHERE id = ?'),
    setDeviceDisabled: db.prepare('UPDATE devices SET disabled = ?, changed_at_ms = ? WHERE id = ?'),
    devicesChangedSince: db.prepare(
      'SELECT id, disabled, changed_at_ms FROM devices WHERE changed_at_ms >= ? ORDER BY changed_at_ms, id',
    ),
    getDevice: db.prepare('SELECT id, name, kind, created_at_ms, disabled FROM devices WHERE id = ?'),
    listDevices: db.prepare('SELECT id, name, kind, created_at_ms, disabled FROM devices ORDER BY id'),
    deviceHash: db.prepare('SELECT secret_hash FROM devices WHERE id = ? AND disabled = 0'),
    upsertService: db.prepare(
      `INSERT INTO service_accounts (id, role, secret_hash, created_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET role = excluded.role, secret_hash = excluded.secret_hash`,
    ),
    service: db.prepare('SELECT role, secret_hash FROM service_accounts WHERE id = ?'),
    insertShipment: db.prepare(
      `INSERT INTO shipments (${SHIPMENT_COLUMNS}) VALUES (@id, @profileId, @shipper, @consignee, @description, @createdAtMs)`,
    ),
    getShipment: db.prepare(`SELECT ${SHIPMENT_COLUMNS} FROM shipments WHERE id = ?`),
    listShipments: db.prepare(`SELECT ${SHIPMENT_COLUMNS} FROM shipments ORDER BY created_at_ms, id`),
    closeOpenLeg: db.prepare(
      'UPDATE custody_legs SET to_ms = ? WHERE shipment_id = ? AND to_ms IS NULL AND from_ms <= ?',
    ),
    insertLeg: db.prepare(
      `INSERT INTO custody_legs (shipment_id, device_id, holder, from_ms, to_ms, handed_over_by, handover_temp_c)
       VALUES (@shipmentId, @deviceId, @holder, @fromMs, @toMs, @handedOverBy, @handoverTempC)`,
    ),
    getLeg: db.prepare('SELECT * FROM custody_legs WHERE id = ?'),
    legsOfShipment: db.prepare('SELECT * FROM custody_legs WHERE shipment_id = ? ORDER BY from_ms, id'),
    legsOfDevice: db.prepare('SELECT * FROM custody_legs WHERE device_id = ? ORDER BY from_ms, id'),
    openLegs: db.prepare('SELECT * FROM custody_legs WHERE to_ms IS NULL ORDER BY from_ms, id'),
    alertByKey: db.prepare('SELECT * FROM alerts WHERE key = ?'),
    alertById: db.prepare('SELECT * FROM alerts WHERE id = ?'),
    insertAlert: db.prepare(
      `INSERT INTO alerts (key, rule, severity, shipment_id, device_id, holder, start_ms, end_ms, detected_at_ms,
         limit_value, peak_value, peak_ts_ms, detail, updated_at_ms)
       VALUES (@key, @rule, @severity, @shipmentId, @deviceId, @holder, @startMs, @endMs, @at,
         @limit, @peakValue, @peakTsMs, @detail, @at)
       ON CONFLICT (key) DO NOTHING`,
    ),
    updateAlert: db.prepare(
      `UPDATE alerts SET severity = @severity, end_ms = @endMs, limit_value = @limit, peak_value = @peakValue,
         peak_ts_ms = @peakTsMs, detail = @detail, updated_at_ms = @at WHERE key = @key`,
    ),
    acknowledge: db.prepare(
      `UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at_ms = ?, note = ?, updated_at_ms = ?
       WHERE id = ? AND status = 'open'`,
    ),
    resolve: db.prepare(
      `UPDATE alerts SET status = 'resolved', resolved_at_ms = ?, note = ?, updated_at_ms = ?,
         acknowledged_by = COALESCE(acknowledged_by, ?) WHERE id = ? AND status != 'resolved'`,
    ),
    saveState: db.prepare(
      `INSERT INTO service_state (key, json, updated_at_ms) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET json = excluded.json, updated_at_ms = excluded.updated_at_ms`,
    ),
    loadState: db.prepare('SELECT json FROM service_state WHERE key = ?').pluck(),
    upsertDelivery: db.prepare(
      `INSERT INTO webhook_deliveries (id, url, alert_id, status, attempts, last_error, updated_at_ms)
       VALUES (@id, @url, @alertId, @status, @attempts, @lastError, @at)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
         last_error = excluded.last_error, updated_at_ms = excluded.updated_at_ms`,
    ),
  };
  const requireAlert = (id: number) => {
    const row = stmt.alertById.get(id) as Record<string, unknown> | undefined;
    if (!row) throw new StoreError('not_found', `alert ${id} does not exist`);
    return alertFromRow(row);
  };
  const alertByKey = (key: string) => alertFromRow(stmt.alertByKey.get(key) as Record<string, unknown>);

  // IMMEDIATE takes the write lock before the first read: another process cannot slip a write
  // between what this transaction reads and what it writes (a DEFERRED one would fail with
  // SQLITE_BUSY on its stale snapshot instead of waiting for the busy timeout).
  const upsertAlert = db.transaction((input: AlertInput): AlertUpsert => {
    const at = now();
    if (stmt.insertAlert.run({ ...input, at }).changes === 1)
      return { alert: alertByKey(input.key), change: 'created' };
    const before = alertByKey(input.key);
    const same =
      before.severity === input.severity &&
      before.endMs === input.endMs &&
      before.limit === input.limit &&
      before.peakValue === input.peakValue &&
      before.peakTsMs === input.peakTsMs &&
      before.detail === input.detail;
    if (same) return { alert: before, change: 'unchanged' };
    stmt.updateAlert.run({ ...input, at });
    return { alert: alertByKey(input.key), change: 'updated' };
  }).immediate;
  const addCustodyLeg = db.transaction((leg: Omit<CustodyLeg, 'id'>): number => {
    if (!stmt.getShipment.get(leg.shipmentId))
      throw new StoreError('not_found', `shipment ${leg.shipmentId} does not exist`);
    stmt.closeOpenLeg.run(leg.fromMs, leg.shipmentId, leg.fromMs);
    return Number(stmt.insertLeg.run(leg).lastInsertRowid);
  }).immediate;
  /** A status change is one conditional UPDATE: no row changed means the alert was not in a state it may leave. */
  const moveAlert = (id: number, update: () => number, refusal: (a: Alert) => string) => {
    if (update() === 0) {
      const current = requireAlert(id);
      throw new StoreError('alert_conflict', refusal(current));
    }
    return requireAlert(id);
  };

  // Opened on first use: the broker shares this store and never touches dead letters.
  let deadLetters: SqliteDeadLetters | undefined;
  const dl = () => {
    deadLetters ??= openSqliteDeadLetters({
      file:
        opts.deadLetters?.file ??
        (opts.file === ':memory:' ? ':memory:' : join(dirname(opts.file), 'dead-letters.db')),
      limits: { ...DEFAULT_DEAD_LETTER_LIMITS, ...opts.deadLetters?.limits },
      now,
      legacy: db,
    });
    return deadLetters;
  };

  let closed = false;
  return {
    async provisionDevice({ id, name, kind }) {
      const secret = generateSecret();
      const hash = await hashSecret(secret);
      const at = now();
      try {
        stmt.insertDevice.run({ id, name: name ?? id, kind: kind ?? 'logger', hash, at });
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new StoreError('conflict', `device ${id} already exists`);
        }
        throw err;
      }
      return { device: toDevice(stmt.getDevice.get(id) as DeviceRow), secret };
    },

    async rotateDeviceSecret(id) {
      const secret = generateSecret();
      const changed = stmt.setDeviceSecret.run(await hashSecret(secret), now(), id).changes;
      if (changed === 0) throw new StoreError('not_found', `device ${id} does not exist`);
      return secret;
    },
    async setDeviceDisabled(id, disabled) {
      if (stmt.setDeviceDisabled.run(disabled ? 1 : 0, now(), id).changes === 0)
        throw new StoreError('not_found', `device ${id} does not exist`);
      return toDevice(stmt.getDevice.get(id) as DeviceRow);
    },
    devicesChangedSince: async (sinceMs) =>
      (
        stmt.devicesChangedSince.all(sinceMs) as Array<{
          id: string;
          disabled: number;
          changed_at_ms: number;
        }>
      ).map((r) => ({ id: r.id, disabled: r.disabled !== 0, changedAtMs: r.changed_at_ms })),

    async getDevice(id) {
      const row = stmt.getDevice.get(id) as DeviceRow | undefined;
      return row ? toDevice(row) : null;
    },

    async listDevices() {
      return (stmt.listDevices.all() as DeviceRow[]).map(toDevice);
    },

    async provisionServiceAccount(id, role: ServiceRole) {
      const secret = generateSecret();
      stmt.upsertService.run(id, role, await hashSecret(secret), now());
      return secret;
    },

    async verifyCredentials(username, secret): Promise<Principal | null> {
      const service = stmt.service.get(username) as { role: ServiceRole; secret_hash: string } | undefined;
      if (service) {
        return (await secrets.verify(secret, service.secret_hash))
          ? { kind: 'service', id: username, role: service.role }
          : null;
      }
      const device = stmt.deviceHash.get(username) as { secret_hash: string } | undefined;
      if (!device) return secrets.rejectUnknown(secret).then(() => null);
      return (await secrets.verify(secret, device.secret_hash))
        ? { kind: 'device', deviceId: username }
        : null;
    },

    async createShipment(input) {
      const shipment: Shipment = { description: '', ...input, createdAtMs: now() };
      try {
        stmt.insertShipment.run(shipment);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new StoreError('conflict', `shipment ${input.id} already exists`);
        throw err;
      }
      return shipment;
    },
    async getShipment(id) {
      const row = stmt.getShipment.get(id) as Record<string, unknown> | undefined;
      return row ? shipmentFromRow(row) : null;
    },
    listShipments: async () =>
      (stmt.listShipments.all() as Array<Record<string, unknown>>).map(shipmentFromRow),
    async addCustodyLeg(leg) {
      let id: number;
      try {
        id = addCustodyLeg(leg);
      } catch (err) {
        if (err instanceof Error && err.message === CUSTODY_OVERLAP)
          throw new StoreError(
            'custody_overlap',
            `a custody leg of shipment ${leg.shipmentId} already covers part of ${leg.fromMs}..${leg.toMs ?? 'open'}`,
          );
        throw err;
      }
      return legFromRow(stmt.getLeg.get(id) as Record<string, unknown>);
    },
    legsOfShipment: async (shipmentId) =>
      (stmt.legsOfShipment.all(shipmentId) as Array<Record<string, unknown>>).map(legFromRow),
    legsOfDevice: async (deviceId) =>
      (stmt.legsOfDevice.all(deviceId) as Array<Record<string, unknown>>).map(legFromRow),
    openLegs: async () => (stmt.openLegs.all() as Array<Record<string, unknown>>).map(legFromRow),

    upsertAlert: async (input) => upsertAlert(input),
    async getAlertByKey(key) {
      const row = stmt.alertByKey.get(key) as Record<string, unknown> | undefined;
      return row ? alertFromRow(row) : null;
    },
    async getAlert(id) {
      const row = stmt.alertById.get(id) as Record<string, unknown> | undefined;
      return row ? alertFromRow(row) : null;
    },
    async listAlerts({ status, shipmentId, deviceId, limit = 200 } = {}) {
      const conditions = { status, shipment_id: shipmentId, device_id: deviceId };
      const set = Object.entries(conditions).filter(([, v]) => v !== undefined);
      const where = set.map(([column]) => `${column} = ?`);
      const args = set.map(([, v]) => v);
      const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      return (db.prepare(sql).all(...args, limit) as Array<Record<string, unknown>>).map(alertFromRow);
    },
    async acknowledgeAlert(id, by, note) {
      return moveAlert(
        id,
        () => stmt.acknowledge.run(by, now(), note, now(), id).changes,
        (a) => `alert ${id} is ${a.status}, not open`,
      );
    },
    async resolveAlert(id, by, note) {
      return moveAlert(
        id,
        () => stmt.resolve.run(now(), note, now(), by, id).changes,
        () => `alert ${id} is already resolved`,
      );
    },
    async saveState(key, json) {
      stmt.saveState.run(key, json, now());
    },
    loadState: async (key) => (stmt.loadState.get(key) as string | undefined) ?? null,

    async recordWebhookDelivery(d) {
      stmt.upsertDelivery.run({ ...d, at: now() });
    },
    async listWebhookDeliveries({ status, limit = 200 } = {}) {
      const rows = (
        status
          ? db
              .prepare(
                'SELECT * FROM webhook_deliveries WHERE status = ? ORDER BY updated_at_ms DESC LIMIT ?',
              )
              .all(status, limit)
          : db.prepare('SELECT * FROM webhook_deliveries ORDER BY updated_at_ms DESC LIMIT ?').all(limit)
      ) as Array<Record<string, unknown>>;
      return rows.map(webhookDeliveryFromRow);
    },

    // The dead-letter database is synchronous underneath: each call is done when its promise is made.
    addDeadLetter: async (letter) => dl().add(letter),
    listDeadLetters: async (filter) => dl().list(filter),
    countDeadLettersByReason: async () => dl().countByReason(),
    countDeadLettersOfDevice: async (deviceId) => dl().countByDevice(deviceId),
    deadLetterStats: async () => dl().stats(),
    pruneDeadLetters: async () => dl().prune(),

    async close() {
      if (closed) return;
      closed = true;
      deadLetters?.close();
      db.close();
    },
  };
}
