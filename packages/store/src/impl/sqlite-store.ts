import { dirname, join } from 'node:path';
import { createSecretVerifier, generateSecret, hashSecret } from '../credentials.js';
import type { AlertInput, AlertUpsert, CustodyEnd, CustodyLeg, ShipmentStatus } from '../domain-records.js';
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
  listAlertsSql,
  listShipmentsSql,
  shipmentStatusRefusal,
  shipmentStatusUpdateSql,
  sqliteParams,
} from './record-queries.js';
import {
  alertCommentFromRow,
  alertFromRow,
  legFromRow,
  SHIPMENT_COLUMNS,
  SHIPMENT_INSERT_COLUMNS,
  shipmentFromRow,
  shipmentInsertValues,
  webhookDeliveryFromRow,
} from './record-rows.js';
import { sqliteApiAccess } from './sqlite-api-access.js';
import {
  DEFAULT_DEAD_LETTER_LIMITS,
  openSqliteDeadLetters,
  type SqliteDeadLetters,
} from './sqlite-dead-letters.js';
import { CUSTODY_OVERLAP, SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import { sqliteReportRecords } from './sqlite-report-records.js';

/** An alert the rules resolved (`system`): raised again, it is reopened (see `updateAlert`). */
const WITHDRAWN = "(status = 'resolved' AND resolved_by = 'system')";

type Row = Record<string, unknown>;
/** A leg as it is inserted: how it ends is written when it ends. */
type NewLegRow = Omit<CustodyLeg, 'id' | 'endedBy' | 'endTempC' | 'endPlace' | 'endNote'>;

/**
 * An alert's next `updated_at_ms`: now, or one past its last change if that is not earlier. A
 * live stream resumes after the last (updatedAtMs, id) it saw; were the same alert changed twice
 * in one millisecond, the second change would sort at that cursor and never be sent.
 */
const NEXT_ALERT_CHANGE = 'MAX(@at, updated_at_ms + 1)';

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

  applyMigrations(db, SQLITE_MIGRATIONS);

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
      `INSERT INTO shipments (${SHIPMENT_INSERT_COLUMNS})
       VALUES (${SHIPMENT_INSERT_COLUMNS.replace(/\w+/g, '?')})
       RETURNING ${SHIPMENT_COLUMNS}`,
    ),
    getShipment: db.prepare(`SELECT ${SHIPMENT_COLUMNS} FROM shipments WHERE id = ?`),
    shipmentStatus: db.prepare('SELECT status FROM shipments WHERE id = ?').pluck(),
    closeOpenLeg: db.prepare(
      'UPDATE custody_legs SET to_ms = ? WHERE shipment_id = ? AND to_ms IS NULL AND from_ms <= ?',
    ),
    insertLeg: db.prepare(
      `INSERT INTO custody_legs (shipment_id, device_id, holder, from_ms, to_ms, handed_over_by, handover_temp_c,
         place, note, recorded_at_ms)
       VALUES (@shipmentId, @deviceId, @holder, @fromMs, @toMs, @handedOverBy, @handoverTempC,
         @place, @note, @recordedAtMs)`,
    ),
    endOpenLeg: db.prepare(
      `UPDATE custody_legs SET to_ms = @atMs, ended_by = @handedOverBy, end_temp_c = @handoverTempC,
         end_place = @place, end_note = @note
       WHERE shipment_id = @shipmentId AND to_ms IS NULL AND from_ms < @atMs
       RETURNING *`,
    ),
    openLegOf: db.prepare('SELECT * FROM custody_legs WHERE shipment_id = ? AND to_ms IS NULL'),
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
      // A withdrawn alert (resolved by the rules, `system`) whose excursion is raised again is open
      // again (acknowledged if it had been): the excursion is real after all. One an operator
      // resolved stays resolved.
      `UPDATE alerts SET severity = @severity, end_ms = @endMs, limit_value = @limit, peak_value = @peakValue,
         peak_ts_ms = @peakTsMs, detail = @detail,
         status = CASE WHEN ${WITHDRAWN} THEN (CASE WHEN acknowledged_at_ms IS NULL THEN 'open' ELSE 'acknowledged' END) ELSE status END,
         resolved_at_ms = CASE WHEN ${WITHDRAWN} THEN NULL ELSE resolved_at_ms END,
         resolved_by = CASE WHEN ${WITHDRAWN} THEN NULL ELSE resolved_by END,
         resolution_note = CASE WHEN ${WITHDRAWN} THEN NULL ELSE resolution_note END,
         updated_at_ms = ${NEXT_ALERT_CHANGE} WHERE key = @key`,
    ),
    acknowledge: db.prepare(
      `UPDATE alerts SET status = 'acknowledged', acknowledged_by = @by, acknowledged_at_ms = @at, note = @note,
         updated_at_ms = ${NEXT_ALERT_CHANGE}
       WHERE id = @id AND status = 'open' RETURNING *`,
    ),
    resolve: db.prepare(
      `UPDATE alerts SET status = 'resolved', resolved_at_ms = @at, resolved_by = @by, resolution_note = @note,
         updated_at_ms = ${NEXT_ALERT_CHANGE}
       WHERE id = @id AND status != 'resolved' RETURNING *`,
    ),
    assign: db.prepare(
      `UPDATE alerts SET assigned_to = @to, updated_at_ms = ${NEXT_ALERT_CHANGE} WHERE id = @id RETURNING *`,
    ),
    // One statement: the comment is written only if its alert exists at that moment.
    insertComment: db.prepare(
      `INSERT INTO alert_comments (alert_id, author, text, created_at_ms)
       SELECT id, @author, @text, @at FROM alerts WHERE id = @alertId RETURNING *`,
    ),
    listComments: db.prepare('SELECT * FROM alert_comments WHERE alert_id = ? ORDER BY id'),
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
    const row = stmt.alertById.get(id) as Row | undefined;
    if (!row) throw new StoreError('not_found', `alert ${id} does not exist`);
    return alertFromRow(row);
  };
  const alertByKey = (key: string) => alertFromRow(stmt.alertByKey.get(key) as Row);

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
    const withdrawn = before.status === 'resolved' && before.resolvedBy === 'system';
    if (same && !withdrawn) return { alert: before, change: 'unchanged' };
    stmt.updateAlert.run({ ...input, at });
    return { alert: alertByKey(input.key), change: 'updated' };
  }).immediate;
  const addCustodyLeg = db.transaction((leg: NewLegRow): number => {
    if (!stmt.getShipment.get(leg.shipmentId))
      throw new StoreError('not_found', `shipment ${leg.shipmentId} does not exist`);
    stmt.closeOpenLeg.run(leg.fromMs, leg.shipmentId, leg.fromMs);
    return Number(stmt.insertLeg.run(leg).lastInsertRowid);
  }).immediate;
  const endCustodyLeg = db.transaction((end: CustodyEnd): CustodyLeg => {
    const ended = stmt.endOpenLeg.get(end) as Row | undefined;
    if (ended) return legFromRow(ended);
    const open = stmt.openLegOf.get(end.shipmentId) as Row | undefined;
    if (!open) {
      const known = stmt.getShipment.get(end.shipmentId) !== undefined;
      throw new StoreError(
        'not_found',
        known
          ? `shipment ${end.shipmentId} has no open custody leg`
          : `shipment ${end.shipmentId} does not exist`,
      );
    }
    throw new StoreError(
      'conflict',
      `the open custody leg of shipment ${end.shipmentId} starts at ${legFromRow(open).fromMs}: it cannot end at ${end.atMs}`,
    );
  }).immediate;
  /** A status change is one conditional UPDATE: no row means the alert was not in a state it may leave. */
  const moveAlert = (id: number, row: unknown, refusal: (status: string) => string) => {
    if (row === undefined) throw new StoreError('alert_conflict', refusal(requireAlert(id).status));
    return alertFromRow(row as Row);
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
      try {
        return shipmentFromRow(stmt.insertShipment.get(...shipmentInsertValues(input, now())) as Row);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new StoreError('conflict', `shipment ${input.id} already exists`);
        throw err;
      }
    },
    async getShipment(id) {
      const row = stmt.getShipment.get(id) as Row | undefined;
      return row ? shipmentFromRow(row) : null;
    },
    async listShipments(filter = {}) {
      const params = sqliteParams();
      const sql = listShipmentsSql(filter, params);
      return (db.prepare(sql).all(...params.values) as Row[]).map(shipmentFromRow);
    },
    async updateShipmentStatus(id, status, atMs) {
      const params = sqliteParams();
      const sql = shipmentStatusUpdateSql(id, status, atMs, now(), params);
      const row = sql === null ? undefined : (db.prepare(sql).get(...params.values) as Row | undefined);
      if (row) return shipmentFromRow(row);
      throw shipmentStatusRefusal(id, stmt.shipmentStatus.get(id) as ShipmentStatus | undefined, status);
    },
    async addCustodyLeg(input) {
      const leg: NewLegRow = {
        shipmentId: input.shipmentId,
        deviceId: input.deviceId,
        holder: input.holder,
        fromMs: input.fromMs,
        toMs: input.toMs,
        handedOverBy: input.handedOverBy,
        handoverTempC: input.handoverTempC,
        place: input.place ?? null,
        note: input.note ?? null,
        recordedAtMs: now(),
      };
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
      return legFromRow(stmt.getLeg.get(id) as Row);
    },
    endCustodyLeg: async (end) => endCustodyLeg(end),
    legsOfShipment: async (shipmentId) => (stmt.legsOfShipment.all(shipmentId) as Row[]).map(legFromRow),
    legsOfDevice: async (deviceId) => (stmt.legsOfDevice.all(deviceId) as Row[]).map(legFromRow),
    openLegs: async () => (stmt.openLegs.all() as Row[]).map(legFromRow),

    upsertAlert: async (input) => upsertAlert(input),
    async getAlertByKey(key) {
      const row = stmt.alertByKey.get(key) as Row | undefined;
      return row ? alertFromRow(row) : null;
    },
    async getAlert(id) {
      const row = stmt.alertById.get(id) as Row | undefined;
      return row ? alertFromRow(row) : null;
    },
    async listAlerts(filter = {}) {
      const params = sqliteParams();
      const sql = listAlertsSql(filter, params);
      return (db.prepare(sql).all(...params.values) as Row[]).map(alertFromRow);
    },
    async acknowledgeAlert(id, by, note) {
      return moveAlert(
        id,
        stmt.acknowledge.get({ id, by, note, at: now() }),
        (status) => `alert ${id} is ${status}, not open`,
      );
    },
    async resolveAlert(id, by, note) {
      return moveAlert(
        id,
        stmt.resolve.get({ id, by, note, at: now() }),
        () => `alert ${id} is already resolved`,
      );
    },
    async assignAlert(id, to) {
      const row = stmt.assign.get({ id, to, at: now() }) as Row | undefined;
      if (!row) throw new StoreError('not_found', `alert ${id} does not exist`);
      return alertFromRow(row);
    },
    async addAlertComment(alertId, author, text) {
      const row = stmt.insertComment.get({ alertId, author, text, at: now() }) as Row | undefined;
      if (!row) throw new StoreError('not_found', `alert ${alertId} does not exist`);
      return alertCommentFromRow(row);
    },
    listAlertComments: async (alertId) => (stmt.listComments.all(alertId) as Row[]).map(alertCommentFromRow),

    ...sqliteApiAccess(db, now),
    ...sqliteReportRecords(db, now),

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
      ) as Row[];
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
