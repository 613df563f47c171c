import { gunzipSync, gzipSync } from 'node:zlib';
import type {
  NewReportRevision,
  ReportRevision,
  ReportRevisionWithLines,
  RevisionChanges,
  RevisionExcursion,
  ShareLink,
  ShipmentReceipt,
} from '../report-records.js';
import type { MetadataStore } from '../store.js';

type Row = Record<string, unknown>;

/** The part of the store that report revisions, share links and receipts make up, once per database. */
export type ReportRecordMethods = Pick<
  MetadataStore,
  | 'addReportRevision'
  | 'latestReportRevision'
  | 'getReportRevision'
  | 'listReportRevisions'
  | 'createShareLink'
  | 'getShareLink'
  | 'listShareLinks'
  | 'revokeShareLink'
  | 'recordReceipt'
  | 'getReceipt'
>;

const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** Columns of a revision without its (large) reading lines. */
export const REVISION_COLUMNS =
  'shipment_id, revision, issued_at_ms, digest, verdict, signature, key_id, reading_count, excursions, changes';

/**
 * Reading lines are one short line per reading, thousands a month per device, and repeat
 * themselves a lot (same leg, device, similar values): gzip keeps them at a tenth of their size.
 */
export const packLines = (lines: readonly string[]): Buffer =>
  gzipSync(Buffer.from(lines.join('\n'), 'utf8'));
export const unpackLines = (packed: Uint8Array): string[] => {
  const text = gunzipSync(packed).toString('utf8');
  return text === '' ? [] : text.split('\n');
};

/** A new revision's values in the order of REVISION_INSERT_COLUMNS. */
export const REVISION_INSERT_COLUMNS = `${REVISION_COLUMNS}, reading_lines`;
export const revisionInsertValues = (r: NewReportRevision): unknown[] => [
  r.shipmentId,
  r.revision,
  r.issuedAtMs,
  r.digest,
  r.verdict,
  r.signature,
  r.keyId,
  r.readingLines.length,
  JSON.stringify(r.excursions),
  r.changes === null ? null : JSON.stringify(r.changes),
  packLines(r.readingLines),
];

export const revisionFromRow = (r: Row): ReportRevision => ({
  shipmentId: String(r.shipment_id),
  revision: Number(r.revision),
  issuedAtMs: Number(r.issued_at_ms),
  digest: String(r.digest),
  verdict: String(r.verdict),
  signature: String(r.signature),
  keyId: String(r.key_id),
  readingCount: Number(r.reading_count),
  excursions: JSON.parse(String(r.excursions)) as RevisionExcursion[],
  changes:
    r.changes === null || r.changes === undefined ? null : (JSON.parse(String(r.changes)) as RevisionChanges),
});

export const revisionWithLinesFromRow = (r: Row): ReportRevisionWithLines => ({
  ...revisionFromRow(r),
  readingLines: unpackLines(r.reading_lines as Uint8Array),
});

export const SHARE_LINK_COLUMNS =
  'id, shipment_id, created_by, label, created_at_ms, expires_at_ms, revoked_at_ms, revoked_by';

export const shareLinkFromRow = (r: Row): ShareLink => ({
  id: String(r.id),
  shipmentId: String(r.shipment_id),
  createdBy: String(r.created_by),
  label: String(r.label),
  createdAtMs: Number(r.created_at_ms),
  expiresAtMs: Number(r.expires_at_ms),
  revokedAtMs: numOrNull(r.revoked_at_ms),
  revokedBy: strOrNull(r.revoked_by),
});

export const receiptFromRow = (r: Row): ShipmentReceipt => ({
  shipmentId: String(r.shipment_id),
  linkId: strOrNull(r.link_id),
  arrivedAtMs: Number(r.arrived_at_ms),
  arrivalTempC: numOrNull(r.arrival_temp_c),
  decision: r.decision === 'rejected' ? 'rejected' : 'accepted',
  reason: strOrNull(r.reason),
  receivedBy: String(r.received_by),
  place: strOrNull(r.place),
  legId: Number(r.leg_id),
  recordedAtMs: Number(r.recorded_at_ms),
});

/** The note the final leg keeps of a receipt, so that the custody chain tells it by itself. */
export const receiptNote = (r: Pick<ShipmentReceipt, 'decision' | 'reason' | 'receivedBy'>): string =>
  `received by ${r.receivedBy}: ${r.decision}${r.reason ? ` (${r.reason})` : ''}`;
