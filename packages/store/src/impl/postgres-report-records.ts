import type pg from 'pg';
import { StoreError } from '../store-error.js';
import { inTransaction } from './postgres-transaction.js';
import { legFromRow } from './record-rows.js';
import {
  REVISION_COLUMNS,
  REVISION_INSERT_COLUMNS,
  type ReportRecordMethods,
  receiptFromRow,
  receiptNote,
  revisionFromRow,
  revisionInsertValues,
  revisionWithLinesFromRow,
  SHARE_LINK_COLUMNS,
  shareLinkFromRow,
} from './report-rows.js';

/** SQLSTATE of a unique violation, and of a foreign key violation. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const sqlState = (err: unknown) => (err as { code?: unknown }).code;

/** Report revisions, share links and receipts in the PostgreSQL metadata database (migration 4). */
export function postgresReportRecords(pool: pg.Pool, now: () => number): ReportRecordMethods {
  const rows = async (sql: string, params: unknown[]) =>
    (await pool.query<Record<string, unknown>>(sql, params)).rows;
  const placeholders = (n: number, from = 1) =>
    Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');
  const revisionValues = REVISION_INSERT_COLUMNS.split(',').length;

  return {
    async addReportRevision(rev) {
      let row: Record<string, unknown> | undefined;
      try {
        // Written only when it is the next number; of two callers issuing the same number at once
        // the primary key lets one through.
        [row] = await rows(
          `INSERT INTO report_revisions (${REVISION_INSERT_COLUMNS})
           SELECT ${placeholders(revisionValues)}
           WHERE (SELECT COALESCE(MAX(revision), 0) FROM report_revisions WHERE shipment_id = $1) = $2 - 1
           RETURNING ${REVISION_COLUMNS}`,
          revisionInsertValues(rev),
        );
      } catch (err) {
        if (sqlState(err) === FOREIGN_KEY_VIOLATION)
          throw new StoreError('not_found', `shipment ${rev.shipmentId} does not exist`);
        if (sqlState(err) !== UNIQUE_VIOLATION) throw err;
      }
      if (!row) {
        const [known] = await rows('SELECT 1 FROM shipments WHERE id = $1', [rev.shipmentId]);
        if (!known) throw new StoreError('not_found', `shipment ${rev.shipmentId} does not exist`);
        throw new StoreError(
          'conflict',
          `revision ${rev.revision} of shipment ${rev.shipmentId} is not the next one`,
        );
      }
      return revisionFromRow(row);
    },
    async latestReportRevision(shipmentId) {
      const [row] = await rows(
        'SELECT * FROM report_revisions WHERE shipment_id = $1 ORDER BY revision DESC LIMIT 1',
        [shipmentId],
      );
      return row ? revisionWithLinesFromRow(row) : null;
    },
    async getReportRevision(shipmentId, revision) {
      const [row] = await rows('SELECT * FROM report_revisions WHERE shipment_id = $1 AND revision = $2', [
        shipmentId,
        revision,
      ]);
      return row ? revisionWithLinesFromRow(row) : null;
    },
    async listReportRevisions(shipmentId) {
      return (
        await rows(
          `SELECT ${REVISION_COLUMNS} FROM report_revisions WHERE shipment_id = $1 ORDER BY revision`,
          [shipmentId],
        )
      ).map(revisionFromRow);
    },

    async createShareLink(link) {
      try {
        const [row] = await rows(
          `INSERT INTO share_links (id, shipment_id, created_by, label, created_at_ms, expires_at_ms)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${SHARE_LINK_COLUMNS}`,
          [link.id, link.shipmentId, link.createdBy, link.label, now(), link.expiresAtMs],
        );
        return shareLinkFromRow(row as Record<string, unknown>);
      } catch (err) {
        if (sqlState(err) === FOREIGN_KEY_VIOLATION)
          throw new StoreError('not_found', `shipment ${link.shipmentId} does not exist`);
        if (sqlState(err) === UNIQUE_VIOLATION)
          throw new StoreError('conflict', `share link ${link.id} already exists`);
        throw err;
      }
    },
    async getShareLink(id) {
      const [row] = await rows(`SELECT ${SHARE_LINK_COLUMNS} FROM share_links WHERE id = $1`, [id]);
      return row ? shareLinkFromRow(row) : null;
    },
    async listShareLinks(shipmentId) {
      return (
        await rows(
          `SELECT ${SHARE_LINK_COLUMNS} FROM share_links WHERE shipment_id = $1 ORDER BY created_at_ms, id`,
          [shipmentId],
        )
      ).map(shareLinkFromRow);
    },
    async revokeShareLink(id, by) {
      const [row] = await rows(
        `UPDATE share_links SET revoked_at_ms = COALESCE(revoked_at_ms, $1), revoked_by = COALESCE(revoked_by, $2)
         WHERE id = $3 RETURNING ${SHARE_LINK_COLUMNS}`,
        [now(), by, id],
      );
      if (!row) throw new StoreError('not_found', `share link ${id} does not exist`);
      return shareLinkFromRow(row);
    },

    recordReceipt(input) {
      const id = input.shipmentId;
      return inTransaction(pool, async (c) => {
        // Receipts and handovers of one shipment queue here, on the shipment's row.
        const shipment = await c.query('SELECT 1 FROM shipments WHERE id = $1 FOR UPDATE', [id]);
        if (shipment.rowCount === 0) throw new StoreError('not_found', `shipment ${id} does not exist`);
        const existing = await c.query('SELECT 1 FROM shipment_receipts WHERE shipment_id = $1', [id]);
        if ((existing.rowCount ?? 0) > 0)
          throw new StoreError('conflict', `shipment ${id} was already received`);
        const open = await c.query('SELECT * FROM custody_legs WHERE shipment_id = $1 AND to_ms IS NULL', [
          id,
        ]);
        let leg: ReturnType<typeof legFromRow>;
        if (open.rows[0]) {
          const from = legFromRow(open.rows[0]);
          if (input.arrivedAtMs <= from.fromMs)
            throw new StoreError(
              'conflict',
              `the open custody leg of shipment ${id} starts at ${from.fromMs}: it cannot end at ${input.arrivedAtMs}`,
            );
          const ended = await c.query(
            `UPDATE custody_legs SET to_ms = $1, ended_by = holder, end_temp_c = $2, end_place = $3, end_note = $4
             WHERE id = $5 RETURNING *`,
            [input.arrivedAtMs, input.arrivalTempC, input.place, receiptNote(input), from.id],
          );
          leg = legFromRow(ended.rows[0] as Record<string, unknown>);
        } else {
          const last = await c.query(
            'SELECT * FROM custody_legs WHERE shipment_id = $1 ORDER BY from_ms DESC, id DESC LIMIT 1',
            [id],
          );
          if (!last.rows[0]) throw new StoreError('conflict', `shipment ${id} has no custody leg to receive`);
          leg = legFromRow(last.rows[0]);
        }
        const inserted = await c.query(
          `INSERT INTO shipment_receipts (shipment_id, link_id, arrived_at_ms, arrival_temp_c, decision, reason,
             received_by, place, leg_id, recorded_at_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
          [
            id,
            input.linkId,
            input.arrivedAtMs,
            input.arrivalTempC,
            input.decision,
            input.reason,
            input.receivedBy,
            input.place,
            leg.id,
            now(),
          ],
        );
        return { receipt: receiptFromRow(inserted.rows[0] as Record<string, unknown>), leg };
      });
    },
    async getReceipt(shipmentId) {
      const [row] = await rows('SELECT * FROM shipment_receipts WHERE shipment_id = $1', [shipmentId]);
      return row ? receiptFromRow(row) : null;
    },
  };
}
