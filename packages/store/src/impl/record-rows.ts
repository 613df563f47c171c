import type { Alert, AlertStatus, CustodyLeg, Shipment, WebhookDelivery } from '../domain-records.js';

/**
 * Rows of the metadata tables, as both SQL dialects name their columns, mapped to the records of
 * domain-records.ts. Values arrive as numbers or strings whatever the driver, hence the coercions.
 */
type Row = Record<string, unknown>;

const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

export const SHIPMENT_COLUMNS = 'id, profile_id, shipper, consignee, description, created_at_ms';

export const shipmentFromRow = (r: Row): Shipment => ({
  id: String(r.id),
  profileId: String(r.profile_id),
  shipper: String(r.shipper),
  consignee: String(r.consignee),
  description: String(r.description),
  createdAtMs: Number(r.created_at_ms),
});

export const legFromRow = (r: Row): CustodyLeg => ({
  id: Number(r.id),
  shipmentId: String(r.shipment_id),
  deviceId: String(r.device_id),
  holder: String(r.holder),
  fromMs: Number(r.from_ms),
  toMs: numOrNull(r.to_ms),
  handedOverBy: strOrNull(r.handed_over_by),
  handoverTempC: numOrNull(r.handover_temp_c),
});

export const alertFromRow = (r: Row): Alert => ({
  id: Number(r.id),
  key: String(r.key),
  rule: String(r.rule),
  severity: r.severity === 'critical' ? 'critical' : 'warning',
  shipmentId: strOrNull(r.shipment_id),
  deviceId: String(r.device_id),
  holder: strOrNull(r.holder),
  startMs: Number(r.start_ms),
  endMs: numOrNull(r.end_ms),
  detectedAtMs: Number(r.detected_at_ms),
  limit: numOrNull(r.limit_value),
  peakValue: numOrNull(r.peak_value),
  peakTsMs: numOrNull(r.peak_ts_ms),
  status: r.status as AlertStatus,
  acknowledgedBy: strOrNull(r.acknowledged_by),
  acknowledgedAtMs: numOrNull(r.acknowledged_at_ms),
  note: strOrNull(r.note),
  resolvedAtMs: numOrNull(r.resolved_at_ms),
  detail: strOrNull(r.detail),
  updatedAtMs: Number(r.updated_at_ms),
});

export const webhookDeliveryFromRow = (r: Row): WebhookDelivery => ({
  id: String(r.id),
  url: String(r.url),
  alertId: Number(r.alert_id),
  status: r.status as WebhookDelivery['status'],
  attempts: Number(r.attempts),
  lastError: strOrNull(r.last_error),
});
