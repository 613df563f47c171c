/**
 * Where a shipment stands: `planned → in_transit → delivered → closed`, or `cancelled` from
 * `planned` or `in_transit`. No other move is allowed (`SHIPMENT_TRANSITIONS`).
 */
export type ShipmentStatus = 'planned' | 'in_transit' | 'delivered' | 'closed' | 'cancelled';
export const SHIPMENT_STATUSES: readonly ShipmentStatus[] = [
  'planned',
  'in_transit',
  'delivered',
  'closed',
  'cancelled',
];
/** The statuses a shipment may move to from each status. */
export const SHIPMENT_TRANSITIONS: Readonly<Record<ShipmentStatus, readonly ShipmentStatus[]>> = {
  planned: ['in_transit', 'cancelled'],
  in_transit: ['delivered', 'cancelled'],
  delivered: ['closed'],
  closed: [],
  cancelled: [],
};

/** A shipment: goods under one cold-chain profile, from a shipper to a consignee. */
export interface Shipment {
  id: string;
  /** The shipper's own reference (waybill, order number); defaults to the id. */
  reference: string;
  profileId: string;
  shipper: string;
  consignee: string;
  /** What is shipped, e.g. "Dalian cherries, 2 t". */
  goods: string;
  /** Free text. */
  description: string;
  origin: string | null;
  destination: string | null;
  status: ShipmentStatus;
  plannedDepartureMs: number | null;
  plannedArrivalMs: number | null;
  /** Set when the shipment moves to `in_transit` (unless already set). */
  actualDepartureMs: number | null;
  /** Set when the shipment moves to `delivered` (unless already set). */
  actualArrivalMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

/** What a caller gives to create a shipment; the rest takes its default. */
export type NewShipment = Pick<Shipment, 'id' | 'profileId' | 'shipper' | 'consignee'> &
  Partial<
    Pick<
      Shipment,
      | 'reference'
      | 'goods'
      | 'description'
      | 'origin'
      | 'destination'
      | 'plannedDepartureMs'
      | 'plannedArrivalMs'
    >
  >;

export interface ShipmentFilter {
  status?: ShipmentStatus;
  shipper?: string;
  consignee?: string;
  profileId?: string;
  /**
   * Shipments whose journey overlaps `[fromMs, toMs)`: from the actual (else planned) departure,
   * else creation, to the actual (else planned) arrival, else open-ended.
   */
  fromMs?: number;
  toMs?: number;
  /** Keyset cursor: shipments strictly after this one in the order (createdAtMs, id). */
  after?: { createdAtMs: number; id: string };
  /** A positive integer; default 100. */
  limit?: number;
}

/**
 * One custodian's stretch of a shipment (GB/T 40956-2021 handover): which device measured it,
 * who held the goods, from when to when (event time), who handed over and the temperature then.
 * A shipment's history is the union of its legs' devices over each leg's window.
 */
export interface CustodyLeg {
  id: number;
  shipmentId: string;
  deviceId: string;
  holder: string;
  fromMs: number;
  /** Null while the leg is open. */
  toMs: number | null;
  handedOverBy: string | null;
  handoverTempC: number | null;
  /** Where the handover took place (a site, a dock, a city). */
  place: string | null;
  note: string | null;
  /** Wall-clock time the handover was recorded (a late record has `recordedAtMs` after `fromMs`). */
  recordedAtMs: number;
  /**
   * How the last leg ended when it was closed by unloading (`endCustodyLeg`), not by a next
   * handover (whose own fields then describe this leg's end); null otherwise.
   */
  endedBy: string | null;
  endTempC: number | null;
  endPlace: string | null;
  endNote: string | null;
}

/** The end of the last leg: the goods unloaded at the consignee (or wherever the chain ends). */
export interface CustodyEnd {
  shipmentId: string;
  atMs: number;
  handedOverBy: string | null;
  handoverTempC: number | null;
  place: string | null;
  note: string | null;
}

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface Alert {
  id: number;
  /** Stable identity: scope (shipment or device) + excursion key. One alert per excursion. */
  key: string;
  rule: string;
  severity: 'warning' | 'critical';
  shipmentId: string | null;
  deviceId: string;
  /** The custody holder when the excursion started. */
  holder: string | null;
  startMs: number;
  /** Null while the excursion is open. */
  endMs: number | null;
  /** Wall-clock time the ingest first raised it. */
  detectedAtMs: number;
  limit: number | null;
  peakValue: number | null;
  peakTsMs: number | null;
  status: AlertStatus;
  acknowledgedBy: string | null;
  acknowledgedAtMs: number | null;
  /** The acknowledgement's note. */
  note: string | null;
  resolvedAtMs: number | null;
  /** The operator who resolved it, or `system` when the rules withdrew it. */
  resolvedBy: string | null;
  resolutionNote: string | null;
  /** The operator it is assigned to, if any. */
  assignedTo: string | null;
  /** Free text the ingest adds, e.g. that a data gap was filled by a backlog. */
  detail: string | null;
  /** When it last changed; strictly later at each change of this alert (see `upsertAlert`). */
  updatedAtMs: number;
}

/** What the breach engine knows about an alert; the store adds identity, status and timestamps. */
export type AlertInput = Pick<
  Alert,
  | 'key'
  | 'rule'
  | 'severity'
  | 'shipmentId'
  | 'deviceId'
  | 'holder'
  | 'startMs'
  | 'endMs'
  | 'limit'
  | 'peakValue'
  | 'peakTsMs'
  | 'detail'
>;

export interface AlertUpsert {
  alert: Alert;
  /** `created`: a new alert; `updated`: its excursion changed; `unchanged`: nothing to tell anyone. */
  change: 'created' | 'updated' | 'unchanged';
}

export interface AlertFilter {
  /** One status, or any of several (none: no alert). */
  status?: AlertStatus | readonly AlertStatus[];
  severity?: Alert['severity'];
  rule?: string;
  shipmentId?: string;
  deviceId?: string;
  /** Only alerts of shipments of this shipper (what a shipper's token may see). */
  shipper?: string;
  /** Alerts whose excursion overlaps `[fromMs, toMs)` (start before `toMs`, end null or after `fromMs`). */
  fromMs?: number;
  toMs?: number;
  /**
   * Changed strictly after this point, in the order (updatedAtMs, id), oldest change first: how a
   * live stream resumes. Without it alerts come newest first by id.
   */
  changedAfter?: { updatedAtMs: number; id: number };
  /** Keyset cursor for the newest-first order: ids strictly below this one. */
  beforeId?: number;
  /** A positive integer; default 100. */
  limit?: number;
}

/** A comment on an alert: append-only (the database refuses updates and deletes), an audit trail. */
export interface AlertComment {
  id: number;
  alertId: number;
  author: string;
  text: string;
  createdAtMs: number;
}

/** Roles of API callers: admins manage users and devices; shippers see only their own shipments. */
export type ApiRole = 'admin' | 'operator' | 'shipper';
export const API_ROLES: readonly ApiRole[] = ['admin', 'operator', 'shipper'];

export interface ApiUser {
  id: string;
  name: string;
  role: ApiRole;
  /** For a shipper: the shipper name its shipments carry (`Shipment.shipper`); null otherwise. */
  shipper: string | null;
  disabled: boolean;
  createdAtMs: number;
}

/** An API bearer token; only a SHA-256 hash of the secret is stored. */
export interface ApiToken {
  id: string;
  userId: string;
  label: string;
  createdAtMs: number;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
}

/** One alert event on its way to one webhook URL; `dead` after the last retry failed. */
export interface WebhookDelivery {
  id: string;
  url: string;
  alertId: number;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  lastError: string | null;
}
