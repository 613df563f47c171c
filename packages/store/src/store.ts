import type {
  Alert,
  AlertComment,
  AlertFilter,
  AlertInput,
  AlertUpsert,
  ApiToken,
  ApiUser,
  CustodyEnd,
  CustodyLeg,
  NewShipment,
  Shipment,
  ShipmentFilter,
  ShipmentStatus,
  WebhookDelivery,
} from './domain-records.js';
import type {
  NewReportRevision,
  NewShareLink,
  NewShipmentReceipt,
  ReportRevision,
  ReportRevisionWithLines,
  ShareLink,
  ShipmentReceipt,
} from './report-records.js';

/** Kinds of device in the fleet. */
export type DeviceKind = 'vehicle' | 'cold-room' | 'cabinet' | 'logger';
export const DEVICE_KINDS: readonly DeviceKind[] = ['vehicle', 'cold-room', 'cabinet', 'logger'];

export interface Device {
  id: string;
  name: string;
  kind: DeviceKind;
  createdAtMs: number;
  disabled: boolean;
}

/** Service accounts connect to the broker as themselves, never as a device. */
export type ServiceRole = 'ingest' | 'api';

/** Who a set of broker credentials belongs to. */
export type Principal =
  | { kind: 'device'; deviceId: string }
  | { kind: 'service'; id: string; role: ServiceRole };

export interface DeadLetter {
  id: number;
  deviceId: string | null;
  topic: string;
  arrivedAtMs: number;
  /** Stable reason code of the first problem (for counting), e.g. `malformed_json`. */
  reason: string;
  /** Every problem found, human-readable. */
  problems: string[];
  /** The payload, truncated to the store's documented limit, as UTF-8 (lossy for binary). */
  payload: string;
  payloadBytes: number;
}

export type NewDeadLetter = Omit<DeadLetter, 'id' | 'payload'> & { payload: Buffer };

/** How many dead-letter samples are kept, and for how long; counts are kept whatever these say. */
export interface DeadLetterLimits {
  /** Samples kept per device (dead letters whose topic named no device share one allowance). */
  perDevice: number;
  /** Samples kept in all. */
  total: number;
  /** Samples older than this are deleted. */
  retentionMs: number;
}

export interface DeadLetterStats {
  /** Every dead letter ever recorded, by reason: exact, whatever was kept as a sample. */
  byReason: Record<string, number>;
  /** Samples stored now. */
  stored: number;
  /** Dead letters counted but not kept as a sample because a cap was reached. */
  dropped: number;
}

/**
 * The metadata store: devices, credentials, shipments, custody legs, alerts, API users and tokens,
 * dead letters. SQLite is the embedded default; PostgreSQL implements the same interface where
 * several processes or machines share one store, which is why every method returns a Promise.
 * Rules that must hold across processes (one alert per key, custody legs that never overlap, no
 * lost status update, comments never rewritten) are enforced by the database, and a refusal is a
 * `StoreError` with a stable code.
 */
export interface MetadataStore {
  /** Creates a device and returns its secret, which is not stored and cannot be shown again. */
  provisionDevice(input: {
    id: string;
    name?: string;
    kind?: DeviceKind;
  }): Promise<{ device: Device; secret: string }>;
  /** Issues a new secret for an existing device; the old one stops working. */
  rotateDeviceSecret(id: string): Promise<string>;
  /** A disabled device cannot log in (the broker also disconnects it); enabling lets it back. */
  setDeviceDisabled(id: string, disabled: boolean): Promise<Device>;
  /** Devices disabled, enabled or re-keyed at or after `sinceMs`, oldest change first. */
  devicesChangedSince(
    sinceMs: number,
  ): Promise<Array<{ id: string; disabled: boolean; changedAtMs: number }>>;
  getDevice(id: string): Promise<Device | null>;
  listDevices(): Promise<Device[]>;
  /** Creates or re-keys a service account and returns its secret (shown once). */
  provisionServiceAccount(id: string, role: ServiceRole): Promise<string>;
  /** The principal these broker credentials belong to, or null (unknown, disabled, wrong secret). */
  verifyCredentials(username: string, secret: string | Buffer): Promise<Principal | null>;

  /** A second shipment with the same id is `StoreError` `conflict`. */
  createShipment(input: NewShipment): Promise<Shipment>;
  getShipment(id: string): Promise<Shipment | null>;
  /** In the order (createdAtMs, id), oldest first; `filter.after` continues a page. A bad limit is `invalid`. */
  listShipments(filter?: ShipmentFilter): Promise<Shipment[]>;
  /**
   * Moves a shipment to `status` if `SHIPMENT_TRANSITIONS` allows it from the status it has in
   * the database (checked and written atomically): `in_transit` sets `actualDepartureMs` and
   * `delivered` sets `actualArrivalMs` to `atMs` unless already set. A move not allowed (another
   * caller moved it meanwhile, or a skipped step) is `StoreError` `conflict` naming the status it
   * has; unknown `not_found`; a status that is none of `SHIPMENT_STATUSES` `invalid`.
   */
  updateShipmentStatus(id: string, status: ShipmentStatus, atMs: number): Promise<Shipment>;
  /**
   * Opens a custody leg, recorded now (`recordedAtMs`); the previous open leg of the shipment, if
   * any, ends where this one starts (in the same transaction). A leg overlapping another leg of its shipment is refused by the
   * database: `StoreError` `custody_overlap`.
   */
  addCustodyLeg(
    leg: Pick<
      CustodyLeg,
      'shipmentId' | 'deviceId' | 'holder' | 'fromMs' | 'toMs' | 'handedOverBy' | 'handoverTempC'
    > &
      Partial<Pick<CustodyLeg, 'place' | 'note'>>,
  ): Promise<CustodyLeg>;
  /**
   * Ends the shipment's open leg at `end.atMs` (unloading), atomically: `not_found` when it has no
   * open leg (or does not exist; of two callers ending it at once, the second), `conflict` when
   * `atMs` is not after the leg's start. The end's fields are kept on the leg as
   * `endedBy`, `endTempC`, `endPlace`, `endNote` (`handedOverBy`/`handoverTempC` describe its start).
   */
  endCustodyLeg(end: CustodyEnd): Promise<CustodyLeg>;
  legsOfShipment(shipmentId: string): Promise<CustodyLeg[]>;
  /** Every leg a device measured, whatever its time (backlogs arrive late). */
  legsOfDevice(deviceId: string): Promise<CustodyLeg[]>;
  /** Legs not yet handed over (`toMs` null), of every shipment. */
  openLegs(): Promise<CustodyLeg[]>;

  /**
   * Creates the alert for this key, or updates its excursion fields. An alert the rules withdrew
   * (resolved by `system`) whose excursion is raised again is reopened (acknowledged if it had
   * been); one an operator resolved stays resolved.
   * Atomic by key: two processes raising the same key at once make one alert.
   *
   * Every write that changes an alert (an upsert that is not `unchanged`, acknowledge, resolve,
   * assign) moves its `updatedAtMs` to now, or one past its previous value if that is not earlier,
   * so that a stream resuming with `changedAfter` sees each change, however close together.
   */
  upsertAlert(input: AlertInput): Promise<AlertUpsert>;
  getAlert(id: number): Promise<Alert | null>;
  getAlertByKey(key: string): Promise<Alert | null>;
  /** As `AlertFilter` says; a bad limit is `invalid`. */
  listAlerts(filter?: AlertFilter): Promise<Alert[]>;
  /**
   * Open → acknowledged. An alert that is not open (another operator moved it meanwhile) is a
   * `StoreError` `alert_conflict`, never a lost update; an unknown id is `not_found`.
   */
  acknowledgeAlert(id: number, by: string, note: string): Promise<Alert>;
  /**
   * Open or acknowledged → resolved, recording `resolvedBy` (`system` when the rules withdrew it)
   * and `resolutionNote`; the acknowledgement, if any, stays as it was. One already resolved is
   * `alert_conflict`, unknown `not_found`.
   */
  resolveAlert(id: number, by: string, note: string): Promise<Alert>;
  /** Assigns an alert to an operator (null: unassigned); `not_found` for an unknown id. */
  assignAlert(id: number, to: string | null): Promise<Alert>;
  /** Appends a comment; `not_found` for an unknown alert. Comments are never changed or deleted. */
  addAlertComment(alertId: number, author: string, text: string): Promise<AlertComment>;
  /** Oldest first. */
  listAlertComments(alertId: number): Promise<AlertComment[]>;

  /**
   * `conflict` when the id is taken. A shipper needs a non-blank `shipper`, other roles must have
   * null: otherwise (or for an unknown role) `invalid`.
   */
  createApiUser(user: Omit<ApiUser, 'createdAtMs' | 'disabled'>): Promise<ApiUser>;
  getApiUser(id: string): Promise<ApiUser | null>;
  listApiUsers(): Promise<ApiUser[]>;
  /** A disabled user's tokens stop verifying (and work again once enabled); unknown `not_found`. */
  setApiUserDisabled(id: string, disabled: boolean): Promise<ApiUser>;
  /**
   * Issues a bearer token for a user and returns it once (`cct_` + 43 base64url characters of 32
   * random bytes); only its SHA-256 hash is stored. `not_found` for an unknown user.
   */
  createApiToken(
    userId: string,
    opts?: {
      label?: string;
      expiresAtMs?: number | null;
      /** A caller-chosen token (the configured first admin's) instead of a generated one; ≥ 32 chars. */
      token?: string;
    },
  ): Promise<{ token: string; record: ApiToken }>;
  /** Oldest first; revoked and expired ones included. */
  listApiTokens(userId: string): Promise<ApiToken[]>;
  /** Revokes for good (again: unchanged, the first revocation time kept); unknown `not_found`. */
  revokeApiToken(tokenId: string): Promise<ApiToken>;
  /**
   * The user and token a bearer token belongs to, or null when unknown, revoked, expired (at
   * `nowMs`) or its user is disabled. One indexed lookup by hash: cheap enough per request.
   */
  verifyApiToken(token: string, nowMs: number): Promise<{ user: ApiUser; token: ApiToken } | null>;

  /** Opaque state a service keeps across restarts (the breach engine's), by key. */
  saveState(key: string, json: string): Promise<void>;
  loadState(key: string): Promise<string | null>;

  recordWebhookDelivery(delivery: WebhookDelivery): Promise<void>;
  listWebhookDeliveries(filter?: {
    status?: WebhookDelivery['status'];
    limit?: number;
  }): Promise<WebhookDelivery[]>;

  /**
   * Counts a dead letter (by reason, and by device and reason) and keeps it as a sample while its
   * device and the total are under the store's caps; `stored` says whether it was kept.
   */
  addDeadLetter(letter: NewDeadLetter): Promise<{ stored: boolean }>;
  /** Stored samples, newest first. */
  listDeadLetters(opts?: { deviceId?: string; limit?: number }): Promise<DeadLetter[]>;
  /** Dead letters ever recorded, by reason (exact: counters, not a count of the samples). */
  countDeadLettersByReason(): Promise<Record<string, number>>;
  /** Dead letters ever recorded for one device (null: topics that named no device), by reason. */
  countDeadLettersOfDevice(deviceId: string | null): Promise<Record<string, number>>;
  deadLetterStats(): Promise<DeadLetterStats>;
  /** Deletes samples past their retention or over a cap; returns how many. (Also runs on its own.) */
  pruneDeadLetters(): Promise<number>;

  /**
   * Stores a shipment's next report revision. `revision` must be one past the latest stored (1 for
   * the first): otherwise, or when another caller stored that number first, `conflict`; the
   * caller then reads the latest again. An unknown shipment is `not_found`.
   */
  addReportRevision(revision: NewReportRevision): Promise<ReportRevision>;
  /** The newest revision with its reading lines, or null when none was issued. */
  latestReportRevision(shipmentId: string): Promise<ReportRevisionWithLines | null>;
  getReportRevision(shipmentId: string, revision: number): Promise<ReportRevisionWithLines | null>;
  /** Every revision, oldest first, without their reading lines. */
  listReportRevisions(shipmentId: string): Promise<ReportRevision[]>;

  /** `not_found` for an unknown shipment, `conflict` for a taken id. */
  createShareLink(link: NewShareLink): Promise<ShareLink>;
  getShareLink(id: string): Promise<ShareLink | null>;
  /** Oldest first, revoked and expired ones included. */
  listShareLinks(shipmentId: string): Promise<ShareLink[]>;
  /** Revokes for good (again: unchanged, the first revocation kept); unknown `not_found`. */
  revokeShareLink(id: string, by: string): Promise<ShareLink>;

  /**
   * Records the consignee's receipt and, in the same transaction, ends the open custody leg at the
   * arrival with its temperature and place (the final handover); when the last leg was already
   * ended at unloading, the receipt refers to it. One receipt per shipment: a second is
   * `conflict`, as is an arrival not after the open leg's start or a shipment without legs;
   * unknown `not_found`.
   */
  recordReceipt(receipt: NewShipmentReceipt): Promise<{ receipt: ShipmentReceipt; leg: CustodyLeg }>;
  getReceipt(shipmentId: string): Promise<ShipmentReceipt | null>;

  /** Closes the database. Safe to call twice. */
  close(): Promise<void>;
}
