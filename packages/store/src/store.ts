import type {
  Alert,
  AlertInput,
  AlertStatus,
  AlertUpsert,
  CustodyLeg,
  Shipment,
  WebhookDelivery,
} from './domain-records.js';

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
 * The metadata store: devices, credentials, dead letters (shipments, custody legs and alerts
 * join as the domain grows). SQLite is the embedded default; the interface is what PostgreSQL
 * would implement where several machines share one store.
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
  setDeviceDisabled(id: string, disabled: boolean): Device;
  /** Devices disabled, enabled or re-keyed at or after `sinceMs`, oldest change first. */
  devicesChangedSince(sinceMs: number): Array<{ id: string; disabled: boolean; changedAtMs: number }>;
  getDevice(id: string): Device | null;
  listDevices(): Device[];
  /** Creates or re-keys a service account and returns its secret (shown once). */
  provisionServiceAccount(id: string, role: ServiceRole): Promise<string>;
  /** The principal these broker credentials belong to, or null (unknown, disabled, wrong secret). */
  verifyCredentials(username: string, secret: string | Buffer): Promise<Principal | null>;

  createShipment(input: Omit<Shipment, 'createdAtMs' | 'description'> & { description?: string }): Shipment;
  getShipment(id: string): Shipment | null;
  listShipments(): Shipment[];
  /** Opens a custody leg; the previous open leg of the shipment, if any, ends where this one starts. */
  addCustodyLeg(leg: Omit<CustodyLeg, 'id'>): CustodyLeg;
  legsOfShipment(shipmentId: string): CustodyLeg[];
  /** Every leg a device measured, whatever its time (backlogs arrive late). */
  legsOfDevice(deviceId: string): CustodyLeg[];
  /** Legs not yet handed over (`toMs` null), of every shipment. */
  openLegs(): CustodyLeg[];

  /** Creates the alert for this key, or updates its excursion fields; status is never reopened. */
  upsertAlert(input: AlertInput): AlertUpsert;
  getAlert(id: number): Alert | null;
  getAlertByKey(key: string): Alert | null;
  listAlerts(filter?: {
    status?: AlertStatus;
    shipmentId?: string;
    deviceId?: string;
    limit?: number;
  }): Alert[];
  acknowledgeAlert(id: number, by: string, note: string): Alert;
  resolveAlert(id: number, by: string, note: string): Alert;

  /** Opaque state a service keeps across restarts (the breach engine's), by key. */
  saveState(key: string, json: string): void;
  loadState(key: string): string | null;

  recordWebhookDelivery(delivery: WebhookDelivery): void;
  listWebhookDeliveries(filter?: { status?: WebhookDelivery['status']; limit?: number }): WebhookDelivery[];

  /**
   * Counts a dead letter (by reason, and by device and reason) and keeps it as a sample while its
   * device and the total are under the store's caps; `stored` says whether it was kept.
   */
  addDeadLetter(letter: NewDeadLetter): { stored: boolean };
  /** Stored samples, newest first. */
  listDeadLetters(opts?: { deviceId?: string; limit?: number }): DeadLetter[];
  /** Dead letters ever recorded, by reason (exact: counters, not a count of the samples). */
  countDeadLettersByReason(): Record<string, number>;
  /** Dead letters ever recorded for one device (null: topics that named no device), by reason. */
  countDeadLettersOfDevice(deviceId: string | null): Record<string, number>;
  deadLetterStats(): DeadLetterStats;
  /** Deletes samples past their retention or over a cap; returns how many. (Also runs on its own.) */
  pruneDeadLetters(): number;

  /** Closes the database. Safe to call twice. */
  close(): void;
}
