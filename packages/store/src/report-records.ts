/**
 * Records of what was issued about a shipment and to whom: signed report revisions, share links
 * for consignees, and the consignee's receipt. Kept apart from domain-records.ts because they are
 * written by the API alone and read back only to prove what was said.
 */

/** An excursion as a report revision recorded it: enough to tell what changed at the next one. */
export interface RevisionExcursion {
  /** The engine's excursion key (stable for one excursion across evaluations). */
  key: string;
  rule: string;
  severity: 'warning' | 'critical';
  deviceId: string;
  legId: number;
  startMs: number;
  /** Null while it was still open. */
  endMs: number | null;
  peakValue: number | null;
}

/** A reading named by where it sits: leg, device and event time (epoch ms). */
export interface ReadingRef {
  legId: number;
  deviceId: string;
  tsMs: number;
}

/** A reading with its values as the canonical lines format them (`temp.air` → `"3.400"`). */
export interface ReadingValues extends ReadingRef {
  values: Record<string, string>;
}

/** A reading whose values differ between two sets of canonical lines. */
export interface ReadingValueChange extends ReadingRef {
  before: Record<string, string>;
  after: Record<string, string>;
}

/** What differs between two sets of readings, by leg, device and timestamp. */
export interface ReadingChanges {
  added: ReadingValues[];
  removed: ReadingValues[];
  changed: ReadingValueChange[];
}

/** What a revision changed since the one before it. */
export interface RevisionChanges {
  sinceRevision: number;
  readings: ReadingChanges;
  excursions: {
    added: RevisionExcursion[];
    changed: Array<{ before: RevisionExcursion; after: RevisionExcursion }>;
    removed: RevisionExcursion[];
  };
  /** Null when the verdict stayed what it was. */
  verdict: { before: string; after: string } | null;
}

/**
 * One issued revision of a shipment's compliance report: the digest of the canonical readings it
 * rests on, signed with the server's key, and those lines themselves (kept compressed), so that a
 * later verification can say exactly which reading changed.
 */
export interface ReportRevision {
  shipmentId: string;
  /** 1, 2, … per shipment. */
  revision: number;
  issuedAtMs: number;
  /** Hex SHA-256 of the canonical reading lines. */
  digest: string;
  /** `pass`, `fail` or `pending`. */
  verdict: string;
  /** Ed25519 signature (base64url) over the digest and the identifying fields. */
  signature: string;
  /** Which signing key made it (its public key's fingerprint). */
  keyId: string;
  readingCount: number;
  excursions: RevisionExcursion[];
  /** Null for revision 1. */
  changes: RevisionChanges | null;
}

export interface ReportRevisionWithLines extends ReportRevision {
  /** The canonical reading lines, sorted, as they were when it was issued. */
  readingLines: string[];
}

export type NewReportRevision = Omit<ReportRevisionWithLines, 'readingCount'>;

/** A signed, expiring, revocable read-only link to one shipment; the token itself is never stored. */
export interface ShareLink {
  id: string;
  shipmentId: string;
  /** The API user who created it. */
  createdBy: string;
  label: string;
  createdAtMs: number;
  expiresAtMs: number;
  revokedAtMs: number | null;
  revokedBy: string | null;
}

export type NewShareLink = Pick<ShareLink, 'id' | 'shipmentId' | 'createdBy' | 'label' | 'expiresAtMs'>;

/** The consignee's receipt: the final handover of the custody chain, with accept or reject. */
export interface ShipmentReceipt {
  shipmentId: string;
  /** The share link it was recorded through; null when recorded otherwise. */
  linkId: string | null;
  /** Arrival (event time, epoch ms). */
  arrivedAtMs: number;
  /** Temperature measured at arrival, °C. */
  arrivalTempC: number | null;
  decision: 'accepted' | 'rejected';
  /** Why (required for a rejection). */
  reason: string | null;
  /** The person who received the goods. */
  receivedBy: string;
  place: string | null;
  /** The custody leg it ended (or, when already unloaded, the last leg). */
  legId: number;
  recordedAtMs: number;
}

export type NewShipmentReceipt = Omit<ShipmentReceipt, 'legId' | 'recordedAtMs'>;
