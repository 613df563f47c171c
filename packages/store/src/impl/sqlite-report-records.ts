import type Database from 'better-sqlite3';
import type { CustodyLeg } from '../domain-records.js';
import type { NewShipmentReceipt, ShipmentReceipt } from '../report-records.js';
import { StoreError } from '../store-error.js';
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

type Row = Record<string, unknown>;

const constraint = (err: unknown) => String((err as { code?: string }).code ?? '');

/** Report revisions, share links and receipts in the SQLite metadata database (schema version 9). */
export function sqliteReportRecords(db: Database.Database, now: () => number): ReportRecordMethods {
  const stmt = {
    shipmentExists: db.prepare('SELECT 1 FROM shipments WHERE id = ?').pluck(),
    // Written only when it is the next number: two callers issuing at once cannot both make it.
    insertRevision: db.prepare(
      `INSERT INTO report_revisions (${REVISION_INSERT_COLUMNS})
       SELECT ${REVISION_INSERT_COLUMNS.replace(/\w+/g, '?')}
       WHERE (SELECT COALESCE(MAX(revision), 0) FROM report_revisions WHERE shipment_id = ?) = ? - 1
       RETURNING ${REVISION_COLUMNS}`,
    ),
    latestRevision: db.prepare(
      'SELECT * FROM report_revisions WHERE shipment_id = ? ORDER BY revision DESC LIMIT 1',
    ),
    getRevision: db.prepare('SELECT * FROM report_revisions WHERE shipment_id = ? AND revision = ?'),
    listRevisions: db.prepare(
      `SELECT ${REVISION_COLUMNS} FROM report_revisions WHERE shipment_id = ? ORDER BY revision`,
    ),
    insertLink: db.prepare(
      `INSERT INTO share_links (id, shipment_id, created_by, label, created_at_ms, expires_at_ms)
       VALUES (@id, @shipmentId, @createdBy, @label, @at, @expiresAtMs) RETURNING ${SHARE_LINK_COLUMNS}`,
    ),
    getLink: db.prepare(`SELECT ${SHARE_LINK_COLUMNS} FROM share_links WHERE id = ?`),
    listLinks: db.prepare(
      `SELECT ${SHARE_LINK_COLUMNS} FROM share_links WHERE shipment_id = ? ORDER BY created_at_ms, id`,
    ),
    revokeLink: db.prepare(
      `UPDATE share_links SET revoked_at_ms = COALESCE(revoked_at_ms, ?), revoked_by = COALESCE(revoked_by, ?)
       WHERE id = ? RETURNING ${SHARE_LINK_COLUMNS}`,
    ),
    getReceipt: db.prepare('SELECT * FROM shipment_receipts WHERE shipment_id = ?'),
    openLeg: db.prepare('SELECT * FROM custody_legs WHERE shipment_id = ? AND to_ms IS NULL'),
    lastLeg: db.prepare(
      'SELECT * FROM custody_legs WHERE shipment_id = ? ORDER BY from_ms DESC, id DESC LIMIT 1',
    ),
    endLeg: db.prepare(
      `UPDATE custody_legs SET to_ms = @atMs, ended_by = holder, end_temp_c = @tempC, end_place = @place,
         end_note = @note
       WHERE id = @id RETURNING *`,
    ),
    insertReceipt: db.prepare(
      `INSERT INTO shipment_receipts (shipment_id, link_id, arrived_at_ms, arrival_temp_c, decision, reason,
         received_by, place, leg_id, recorded_at_ms)
       VALUES (@shipmentId, @linkId, @arrivedAtMs, @arrivalTempC, @decision, @reason, @receivedBy, @place,
         @legId, @recordedAtMs)
       RETURNING *`,
    ),
  };

  const recordReceipt = db.transaction(
    (input: NewShipmentReceipt): { receipt: ShipmentReceipt; leg: CustodyLeg } => {
      const id = input.shipmentId;
      if (!stmt.shipmentExists.get(id)) throw new StoreError('not_found', `shipment ${id} does not exist`);
      if (stmt.getReceipt.get(id)) throw new StoreError('conflict', `shipment ${id} was already received`);
      const open = stmt.openLeg.get(id) as Row | undefined;
      let leg: CustodyLeg;
      if (open) {
        const from = legFromRow(open);
        if (input.arrivedAtMs <= from.fromMs)
          throw new StoreError(
            'conflict',
            `the open custody leg of shipment ${id} starts at ${from.fromMs}: it cannot end at ${input.arrivedAtMs}`,
          );
        leg = legFromRow(
          stmt.endLeg.get({
            id: from.id,
            atMs: input.arrivedAtMs,
            tempC: input.arrivalTempC,
            place: input.place,
            note: receiptNote(input),
          }) as Row,
        );
      } else {
        const last = stmt.lastLeg.get(id) as Row | undefined;
        if (!last) throw new StoreError('conflict', `shipment ${id} has no custody leg to receive`);
        leg = legFromRow(last);
      }
      const receipt = receiptFromRow(
        stmt.insertReceipt.get({ ...input, legId: leg.id, recordedAtMs: now() }) as Row,
      );
      return { receipt, leg };
    },
  ).immediate;

  return {
    async addReportRevision(rev) {
      if (!stmt.shipmentExists.get(rev.shipmentId))
        throw new StoreError('not_found', `shipment ${rev.shipmentId} does not exist`);
      let row: Row | undefined;
      try {
        row = stmt.insertRevision.get(...revisionInsertValues(rev), rev.shipmentId, rev.revision) as
          | Row
          | undefined;
      } catch (err) {
        if (!constraint(err).startsWith('SQLITE_CONSTRAINT')) throw err;
      }
      if (!row)
        throw new StoreError(
          'conflict',
          `revision ${rev.revision} of shipment ${rev.shipmentId} is not the next one`,
        );
      return revisionFromRow(row);
    },
    async latestReportRevision(shipmentId) {
      const row = stmt.latestRevision.get(shipmentId) as Row | undefined;
      return row ? revisionWithLinesFromRow(row) : null;
    },
    async getReportRevision(shipmentId, revision) {
      const row = stmt.getRevision.get(shipmentId, revision) as Row | undefined;
      return row ? revisionWithLinesFromRow(row) : null;
    },
    listReportRevisions: async (shipmentId) =>
      (stmt.listRevisions.all(shipmentId) as Row[]).map(revisionFromRow),

    async createShareLink(link) {
      if (!stmt.shipmentExists.get(link.shipmentId))
        throw new StoreError('not_found', `shipment ${link.shipmentId} does not exist`);
      try {
        return shareLinkFromRow(stmt.insertLink.get({ ...link, at: now() }) as Row);
      } catch (err) {
        if (constraint(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new StoreError('conflict', `share link ${link.id} already exists`);
        throw err;
      }
    },
    async getShareLink(id) {
      const row = stmt.getLink.get(id) as Row | undefined;
      return row ? shareLinkFromRow(row) : null;
    },
    listShareLinks: async (shipmentId) => (stmt.listLinks.all(shipmentId) as Row[]).map(shareLinkFromRow),
    async revokeShareLink(id, by) {
      const row = stmt.revokeLink.get(now(), by, id) as Row | undefined;
      if (!row) throw new StoreError('not_found', `share link ${id} does not exist`);
      return shareLinkFromRow(row);
    },

    recordReceipt: async (receipt) => recordReceipt(receipt),
    async getReceipt(shipmentId) {
      const row = stmt.getReceipt.get(shipmentId) as Row | undefined;
      return row ? receiptFromRow(row) : null;
    },
  };
}
