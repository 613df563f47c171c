/** A shipment: goods under one cold-chain profile, from a shipper to a consignee. */
export interface Shipment {
  id: string;
  profileId: string;
  shipper: string;
  consignee: string;
  description: string;
  createdAtMs: number;
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
  note: string | null;
  resolvedAtMs: number | null;
  /** Free text the ingest adds, e.g. that a data gap was filled by a backlog. */
  detail: string | null;
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

/** One alert event on its way to one webhook URL; `dead` after the last retry failed. */
export interface WebhookDelivery {
  id: string;
  url: string;
  alertId: number;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  lastError: string | null;
}
