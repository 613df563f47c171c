import pg from 'pg';
import { createSecretVerifier, generateSecret, hashSecret } from '../credentials.js';
import type { AlertUpsert, ShipmentStatus } from '../domain-records.js';
import type {
  DeadLetterLimits,
  Device,
  DeviceKind,
  MetadataStore,
  Principal,
  ServiceRole,
} from '../store.js';
import { StoreError } from '../store-error.js';
import { postgresApiAccess } from './postgres-api-access.js';
import { openPostgresDeadLetters } from './postgres-dead-letters.js';
import { migratePostgres } from './postgres-migrations.js';
import { postgresReportRecords } from './postgres-report-records.js';
import { inTransaction } from './postgres-transaction.js';
import {
  listAlertsSql,
  listShipmentsSql,
  postgresParams,
  shipmentStatusRefusal,
  shipmentStatusUpdateSql,
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
import { DEFAULT_DEAD_LETTER_LIMITS } from './sqlite-dead-letters.js';

/** An alert the rules resolved (`system`), as `a` in the alert upsert. */
const WITHDRAWN = "(a.status = 'resolved' AND a.resolved_by = 'system')";
/** Its status when its excursion is raised again: acknowledged if it had been, else open. */
const REOPENED_STATUS = `CASE WHEN ${WITHDRAWN} THEN (CASE WHEN a.acknowledged_at_ms IS NULL THEN 'open' ELSE 'acknowledged' END) ELSE a.status END`;

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`). */
  url: string;
  /** Connections kept at most; default 10. */
  maxConnections?: number;
  /** Wall clock, injected so that tests control it. */
  now?: () => number;
  deadLetters?: { limits?: Partial<DeadLetterLimits> };
  /**
   * Told of an error on an idle pooled connection (the server restarted, the network dropped);
   * the pool discards that connection and the next query opens another. Default: ignored.
   */
  onConnectionError?: (err: Error) => void;
}

/** SQLSTATE of an exclusion constraint violation, and of a unique violation. */
const EXCLUSION_VIOLATION = '23P01';
const UNIQUE_VIOLATION = '23505';
const INT8_OID = 20;

/**
 * int8 as a JavaScript number, for this pool only: times are epoch milliseconds and ids are
 * counters, all far below 2^53, and the records say `number`.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

const sqlState = (err: unknown) => (err as { code?: unknown }).code;

/**
 * An alert's next `updated_at_ms`, given now as `$1`: now, or one past its last change if that is
 * not earlier. A live stream resumes after the last (updatedAtMs, id) it saw; were the same alert
 * changed twice in one millisecond, the second change would sort at that cursor and never be sent.
 */
const NEXT_ALERT_CHANGE = 'GREATEST($1, updated_at_ms + 1)';

const DEVICE_COLUMNS = 'id, name, kind, created_at_ms, disabled';
interface DeviceRow {
  id: string;
  name: string;
  kind: DeviceKind;
  created_at_ms: number;
  disabled: boolean;
}
const toDevice = (row: DeviceRow): Device => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  createdAtMs: row.created_at_ms,
  disabled: row.disabled,
});

/**
 * The metadata store on PostgreSQL, where several processes and machines share one store. Plain
 * parameterized SQL through `pg`: the SQLite store's statements are synchronous prepared
 * statements of better-sqlite3, so a query builder would not have shared them. The rules that
 * concurrency could break are the database's: one alert per key (`INSERT … ON CONFLICT`),
 * custody legs that never overlap (an exclusion constraint), status changes that say so when
 * another process changed the alert first (conditional UPDATE). Migrations run at open.
 */
export async function createPostgresStore(opts: PostgresStoreOptions): Promise<MetadataStore> {
  const now = opts.now ?? Date.now;
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.maxConnections ?? 10, types });
  pool.on('error', (err) => opts.onConnectionError?.(err));
  try {
    await migratePostgres(pool, now);
  } catch (err) {
    await pool.end();
    throw err;
  }
  // Opened lazily, like the SQLite store's: the broker shares this store and never touches dead letters.
  let deadLetters: ReturnType<typeof openPostgresDeadLetters> | undefined;
  const dl = () => {
    deadLetters ??= openPostgresDeadLetters({
      pool,
      limits: { ...DEFAULT_DEAD_LETTER_LIMITS, ...opts.deadLetters?.limits },
      now,
    }).catch((err: unknown) => {
      // A failed open (the server was down) is retried by the next call, not remembered.
      deadLetters = undefined;
      throw err;
    });
    return deadLetters;
  };
  // Reconnects with an already verified secret skip scrypt (see createSecretVerifier).
  const secrets = createSecretVerifier();

  const rows = async <R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ) => (await pool.query<R>(sql, params)).rows;
  const getDevice = async (id: string) => {
    const [row] = await rows<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1`, [id]);
    return row ? toDevice(row) : null;
  };
  const getAlert = async (id: number) => {
    const [row] = await rows('SELECT * FROM alerts WHERE id = $1', [id]);
    return row ? alertFromRow(row) : null;
  };
  /** Why a conditional UPDATE of an alert changed nothing: it does not exist, or its status moved. */
  const alertNotChanged = async (id: number, wanted: string): Promise<never> => {
    const current = await getAlert(id);
    if (!current) throw new StoreError('not_found', `alert ${id} does not exist`);
    throw new StoreError('alert_conflict', `alert ${id} is ${current.status}, ${wanted}`);
  };

  let closing: Promise<void> | undefined;
  return {
    async provisionDevice({ id, name, kind }) {
      const secret = generateSecret();
      const hash = await hashSecret(secret);
      try {
        const [row] = await rows<DeviceRow>(
          `INSERT INTO devices (id, name, kind, secret_hash, created_at_ms) VALUES ($1, $2, $3, $4, $5)
           RETURNING ${DEVICE_COLUMNS}`,
          [id, name ?? id, kind ?? 'logger', hash, now()],
        );
        return { device: toDevice(row as DeviceRow), secret };
      } catch (err) {
        if (sqlState(err) === UNIQUE_VIOLATION)
          throw new StoreError('conflict', `device ${id} already exists`);
        throw err;
      }
    },
    async rotateDeviceSecret(id) {
      const secret = generateSecret();
      const result = await pool.query(
        'UPDATE devices SET secret_hash = $1, changed_at_ms = $2 WHERE id = $3',
        [await hashSecret(secret), now(), id],
      );
      if (result.rowCount === 0) throw new StoreError('not_found', `device ${id} does not exist`);
      return secret;
    },
    async setDeviceDisabled(id, disabled) {
      const [row] = await rows<DeviceRow>(
        `UPDATE devices SET disabled = $1, changed_at_ms = $2 WHERE id = $3 RETURNING ${DEVICE_COLUMNS}`,
        [disabled, now(), id],
      );
      if (!row) throw new StoreError('not_found', `device ${id} does not exist`);
      return toDevice(row);
    },
    async devicesChangedSince(sinceMs) {
      const found = await rows<{ id: string; disabled: boolean; changed_at_ms: number }>(
        'SELECT id, disabled, changed_at_ms FROM devices WHERE changed_at_ms >= $1 ORDER BY changed_at_ms, id',
        [sinceMs],
      );
      return found.map((r) => ({ id: r.id, disabled: r.disabled, changedAtMs: r.changed_at_ms }));
    },
    getDevice,
    async listDevices() {
      return (await rows<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices ORDER BY id`)).map(toDevice);
    },
    async provisionServiceAccount(id, role) {
      const secret = generateSecret();
      await pool.query(
        `INSERT INTO service_accounts (id, role, secret_hash, created_at_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET role = excluded.role, secret_hash = excluded.secret_hash`,
        [id, role, await hashSecret(secret), now()],
      );
      return secret;
    },
    async verifyCredentials(username, secret): Promise<Principal | null> {
      // One round trip on the broker's connect path; a service account wins over a device of the same name.
      const [account] = await rows<{ role: ServiceRole | null; secret_hash: string }>(
        `SELECT role, secret_hash FROM service_accounts WHERE id = $1
         UNION ALL
         SELECT NULL, secret_hash FROM devices WHERE id = $1 AND NOT disabled
         ORDER BY role NULLS LAST LIMIT 1`,
        [username],
      );
      if (!account) return secrets.rejectUnknown(secret).then(() => null);
      if (!(await secrets.verify(secret, account.secret_hash))) return null;
      return account.role === null
        ? { kind: 'device', deviceId: username }
        : { kind: 'service', id: username, role: account.role };
    },

    async createShipment(input) {
      const values = shipmentInsertValues(input, now());
      try {
        const [row] = await rows(
          `INSERT INTO shipments (${SHIPMENT_INSERT_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})
           RETURNING ${SHIPMENT_COLUMNS}`,
          values,
        );
        return shipmentFromRow(row as Record<string, unknown>);
      } catch (err) {
        if (sqlState(err) === UNIQUE_VIOLATION)
          throw new StoreError('conflict', `shipment ${input.id} already exists`);
        throw err;
      }
    },
    async getShipment(id) {
      const [row] = await rows(`SELECT ${SHIPMENT_COLUMNS} FROM shipments WHERE id = $1`, [id]);
      return row ? shipmentFromRow(row) : null;
    },
    async listShipments(filter = {}) {
      const params = postgresParams();
      const sql = listShipmentsSql(filter, params);
      return (await rows(sql, params.values)).map(shipmentFromRow);
    },
    async updateShipmentStatus(id, status, atMs) {
      const params = postgresParams();
      const sql = shipmentStatusUpdateSql(id, status, atMs, now(), params);
      const [row] = sql === null ? [] : await rows(sql, params.values);
      if (row) return shipmentFromRow(row);
      const [current] = await rows<{ status: ShipmentStatus }>('SELECT status FROM shipments WHERE id = $1', [
        id,
      ]);
      throw shipmentStatusRefusal(id, current?.status, status);
    },
    async addCustodyLeg(leg) {
      try {
        return await inTransaction(pool, async (c) => {
          // Handovers of one shipment queue here, so that each one closes the leg the previous one opened.
          const shipment = await c.query('SELECT 1 FROM shipments WHERE id = $1 FOR UPDATE', [
            leg.shipmentId,
          ]);
          if (shipment.rowCount === 0)
            throw new StoreError('not_found', `shipment ${leg.shipmentId} does not exist`);
          await c.query(
            'UPDATE custody_legs SET to_ms = $1 WHERE shipment_id = $2 AND to_ms IS NULL AND from_ms <= $1',
            [leg.fromMs, leg.shipmentId],
          );
          const inserted = await c.query(
            `INSERT INTO custody_legs (shipment_id, device_id, holder, from_ms, to_ms, handed_over_by, handover_temp_c,
               place, note, recorded_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
            [
              leg.shipmentId,
              leg.deviceId,
              leg.holder,
              leg.fromMs,
              leg.toMs,
              leg.handedOverBy,
              leg.handoverTempC,
              leg.place ?? null,
              leg.note ?? null,
              now(),
            ],
          );
          return legFromRow(inserted.rows[0] as Record<string, unknown>);
        });
      } catch (err) {
        if (sqlState(err) === EXCLUSION_VIOLATION)
          throw new StoreError(
            'custody_overlap',
            `custody leg from ${leg.fromMs} overlaps another leg of shipment ${leg.shipmentId}`,
          );
        throw err;
      }
    },
    async endCustodyLeg(end) {
      // One statement: of two callers ending the same leg, the second finds no open leg.
      const [ended] = await rows(
        `UPDATE custody_legs SET to_ms = $1, ended_by = $2, end_temp_c = $3, end_place = $4, end_note = $5
         WHERE shipment_id = $6 AND to_ms IS NULL AND from_ms < $1
         RETURNING *`,
        [end.atMs, end.handedOverBy, end.handoverTempC, end.place, end.note, end.shipmentId],
      );
      if (ended) return legFromRow(ended);
      const [found] = await rows<{ known: boolean; open_from_ms: number | null }>(
        `SELECT EXISTS (SELECT 1 FROM shipments WHERE id = $1) AS known,
           (SELECT from_ms FROM custody_legs WHERE shipment_id = $1 AND to_ms IS NULL) AS open_from_ms`,
        [end.shipmentId],
      );
      if (!found?.known) throw new StoreError('not_found', `shipment ${end.shipmentId} does not exist`);
      if (found.open_from_ms === null)
        throw new StoreError('not_found', `shipment ${end.shipmentId} has no open custody leg`);
      throw new StoreError(
        'conflict',
        `the open custody leg of shipment ${end.shipmentId} starts at ${found.open_from_ms}: it cannot end at ${end.atMs}`,
      );
    },
    async legsOfShipment(shipmentId) {
      return (
        await rows('SELECT * FROM custody_legs WHERE shipment_id = $1 ORDER BY from_ms, id', [shipmentId])
      ).map(legFromRow);
    },
    async legsOfDevice(deviceId) {
      return (
        await rows('SELECT * FROM custody_legs WHERE device_id = $1 ORDER BY from_ms, id', [deviceId])
      ).map(legFromRow);
    },
    async openLegs() {
      return (await rows('SELECT * FROM custody_legs WHERE to_ms IS NULL ORDER BY from_ms, id')).map(
        legFromRow,
      );
    },

    async upsertAlert(input): Promise<AlertUpsert> {
      // A withdrawn alert (resolved by the rules, `system`) whose excursion is raised again is open
      // again: the excursion is real after all. One an operator resolved stays resolved.
      // One statement: two processes raising the same key at once make one alert. The update is
      // skipped when the excursion fields are what is stored (no row returned: unchanged), and a
      // row inserted by this statement has no deleting transaction yet (xmax = 0).
      const [row] = await rows<Record<string, unknown> & { inserted: boolean }>(
        `INSERT INTO alerts AS a (key, rule, severity, shipment_id, device_id, holder, start_ms, end_ms,
           detected_at_ms, limit_value, peak_value, peak_ts_ms, detail, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $9)
         ON CONFLICT (key) DO UPDATE SET severity = excluded.severity, end_ms = excluded.end_ms,
           limit_value = excluded.limit_value, peak_value = excluded.peak_value,
           peak_ts_ms = excluded.peak_ts_ms, detail = excluded.detail,
           status = ${REOPENED_STATUS},
           resolved_at_ms = CASE WHEN ${WITHDRAWN} THEN NULL ELSE a.resolved_at_ms END,
           resolved_by = CASE WHEN ${WITHDRAWN} THEN NULL ELSE a.resolved_by END,
           resolution_note = CASE WHEN ${WITHDRAWN} THEN NULL ELSE a.resolution_note END,
           updated_at_ms = GREATEST(excluded.updated_at_ms, a.updated_at_ms + 1)
         WHERE ${WITHDRAWN} OR (a.severity, a.end_ms, a.limit_value, a.peak_value, a.peak_ts_ms, a.detail)
           IS DISTINCT FROM (excluded.severity, excluded.end_ms, excluded.limit_value, excluded.peak_value,
             excluded.peak_ts_ms, excluded.detail)
         RETURNING *, (xmax = 0) AS inserted`,
        [
          input.key,
          input.rule,
          input.severity,
          input.shipmentId,
          input.deviceId,
          input.holder,
          input.startMs,
          input.endMs,
          now(),
          input.limit,
          input.peakValue,
          input.peakTsMs,
          input.detail,
        ],
      );
      if (row) return { alert: alertFromRow(row), change: row.inserted ? 'created' : 'updated' };
      const [stored] = await rows('SELECT * FROM alerts WHERE key = $1', [input.key]);
      return { alert: alertFromRow(stored as Record<string, unknown>), change: 'unchanged' };
    },
    getAlert,
    async getAlertByKey(key) {
      const [row] = await rows('SELECT * FROM alerts WHERE key = $1', [key]);
      return row ? alertFromRow(row) : null;
    },
    async listAlerts(filter = {}) {
      const params = postgresParams();
      const sql = listAlertsSql(filter, params);
      return (await rows(sql, params.values)).map(alertFromRow);
    },
    async acknowledgeAlert(id, by, note) {
      const [row] = await rows(
        `UPDATE alerts SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at_ms = $1, note = $3,
           updated_at_ms = ${NEXT_ALERT_CHANGE} WHERE id = $4 AND status = 'open' RETURNING *`,
        [now(), by, note, id],
      );
      return row ? alertFromRow(row) : alertNotChanged(id, 'not open');
    },
    async resolveAlert(id, by, note) {
      const [row] = await rows(
        `UPDATE alerts SET status = 'resolved', resolved_at_ms = $1, resolved_by = $2, resolution_note = $3,
           updated_at_ms = ${NEXT_ALERT_CHANGE} WHERE id = $4 AND status <> 'resolved' RETURNING *`,
        [now(), by, note, id],
      );
      return row ? alertFromRow(row) : alertNotChanged(id, 'already resolved');
    },
    async assignAlert(id, to) {
      const [row] = await rows(
        `UPDATE alerts SET assigned_to = $2, updated_at_ms = ${NEXT_ALERT_CHANGE} WHERE id = $3 RETURNING *`,
        [now(), to, id],
      );
      if (!row) throw new StoreError('not_found', `alert ${id} does not exist`);
      return alertFromRow(row);
    },
    async addAlertComment(alertId, author, text) {
      // One statement: the comment is written only if its alert exists at that moment. (The casts
      // type parameters that a SELECT list alone leaves unknown.)
      const [row] = await rows(
        `INSERT INTO alert_comments (alert_id, author, text, created_at_ms)
         SELECT id, $2::text, $3::text, $4::bigint FROM alerts WHERE id = $1 RETURNING *`,
        [alertId, author, text, now()],
      );
      if (!row) throw new StoreError('not_found', `alert ${alertId} does not exist`);
      return alertCommentFromRow(row);
    },
    async listAlertComments(alertId) {
      return (await rows('SELECT * FROM alert_comments WHERE alert_id = $1 ORDER BY id', [alertId])).map(
        alertCommentFromRow,
      );
    },

    ...postgresApiAccess(pool, now),
    ...postgresReportRecords(pool, now),

    async saveState(key, json) {
      await pool.query(
        `INSERT INTO service_state (key, json, updated_at_ms) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET json = excluded.json, updated_at_ms = excluded.updated_at_ms`,
        [key, json, now()],
      );
    },
    async loadState(key) {
      const [row] = await rows<{ json: string }>('SELECT json FROM service_state WHERE key = $1', [key]);
      return row?.json ?? null;
    },

    async recordWebhookDelivery(d) {
      await pool.query(
        `INSERT INTO webhook_deliveries (id, url, alert_id, status, attempts, last_error, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
           last_error = excluded.last_error, updated_at_ms = excluded.updated_at_ms`,
        [d.id, d.url, d.alertId, d.status, d.attempts, d.lastError, now()],
      );
    },
    async listWebhookDeliveries({ status, limit = 200 } = {}) {
      const found = status
        ? await rows(
            'SELECT * FROM webhook_deliveries WHERE status = $1 ORDER BY updated_at_ms DESC LIMIT $2',
            [status, limit],
          )
        : await rows('SELECT * FROM webhook_deliveries ORDER BY updated_at_ms DESC LIMIT $1', [limit]);
      return found.map(webhookDeliveryFromRow);
    },

    addDeadLetter: async (letter) => (await dl()).add(letter),
    listDeadLetters: async (filter) => (await dl()).list(filter),
    countDeadLettersByReason: async () => (await dl()).countByReason(),
    countDeadLettersOfDevice: async (deviceId) => (await dl()).countByDevice(deviceId),
    deadLetterStats: async () => (await dl()).stats(),
    pruneDeadLetters: async () => (await dl()).prune(),

    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
