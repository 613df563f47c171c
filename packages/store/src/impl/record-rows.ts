import type {
  Alert,
  AlertComment,
  AlertStatus,
  ApiRole,
  ApiToken,
  ApiUser,
  CustodyLeg,
  NewShipment,
  Shipment,
  ShipmentStatus,
  WebhookDelivery,
} from '../domain-records.js';

/**
 * Rows of the metadata tables, as both SQL dialects name their columns, mapped to the records of
 * domain-records.ts. Values arrive as numbers or strings whatever the driver, hence the coercions.
 */
type Row = Record<string, unknown>;

const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));
/** SQLite keeps booleans as 0/1, PostgreSQL as booleans. */
const bool = (v: unknown) => v === true || Number(v) === 1;

export const SHIPMENT_COLUMNS =
  'id, reference, profile_id, shipper, consignee, goods, description, origin, destination, status, ' +
  'planned_departure_ms, planned_arrival_ms, actual_departure_ms, actual_arrival_ms, created_at_ms, updated_at_ms';

/** The columns a new shipment is inserted with, and its values in that order (the rest: defaults). */
export const SHIPMENT_INSERT_COLUMNS =
  'id, reference, profile_id, shipper, consignee, goods, description, origin, destination, ' +
  'planned_departure_ms, planned_arrival_ms, created_at_ms, updated_at_ms';
export const shipmentInsertValues = (input: NewShipment, atMs: number): unknown[] => [
  input.id,
  input.reference ?? input.id,
  input.profileId,
  input.shipper,
  input.consignee,
  input.goods ?? '',
  input.description ?? '',
  input.origin ?? null,
  input.destination ?? null,
  input.plannedDepartureMs ?? null,
  input.plannedArrivalMs ?? null,
  atMs,
  atMs,
];

export const shipmentFromRow = (r: Row): Shipment => ({
  id: String(r.id),
  reference: String(r.reference),
  profileId: String(r.profile_id),
  shipper: String(r.shipper),
  consignee: String(r.consignee),
  goods: String(r.goods),
  description: String(r.description),
  origin: strOrNull(r.origin),
  destination: strOrNull(r.destination),
  status: r.status as ShipmentStatus,
  plannedDepartureMs: numOrNull(r.planned_departure_ms),
  plannedArrivalMs: numOrNull(r.planned_arrival_ms),
  actualDepartureMs: numOrNull(r.actual_departure_ms),
  actualArrivalMs: numOrNull(r.actual_arrival_ms),
  createdAtMs: Number(r.created_at_ms),
  updatedAtMs: Number(r.updated_at_ms),
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
  place: strOrNull(r.place),
  note: strOrNull(r.note),
  recordedAtMs: Number(r.recorded_at_ms),
  endedBy: strOrNull(r.ended_by),
  endTempC: numOrNull(r.end_temp_c),
  endPlace: strOrNull(r.end_place),
  endNote: strOrNull(r.end_note),
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
  resolvedBy: strOrNull(r.resolved_by),
  resolutionNote: strOrNull(r.resolution_note),
  assignedTo: strOrNull(r.assigned_to),
  detail: strOrNull(r.detail),
  updatedAtMs: Number(r.updated_at_ms),
});

export const alertCommentFromRow = (r: Row): AlertComment => ({
  id: Number(r.id),
  alertId: Number(r.alert_id),
  author: String(r.author),
  text: String(r.text),
  createdAtMs: Number(r.created_at_ms),
});

export const API_USER_COLUMNS = 'id, name, role, shipper, disabled, created_at_ms';
export const apiUserFromRow = (r: Row): ApiUser => ({
  id: String(r.id),
  name: String(r.name),
  role: r.role as ApiRole,
  shipper: strOrNull(r.shipper),
  disabled: bool(r.disabled),
  createdAtMs: Number(r.created_at_ms),
});

/** Never the hash: it is read only by the lookup that verifies a token. */
export const API_TOKEN_COLUMNS = 'id, user_id, label, created_at_ms, expires_at_ms, revoked_at_ms';
export const apiTokenFromRow = (r: Row): ApiToken => ({
  id: String(r.id),
  userId: String(r.user_id),
  label: String(r.label),
  createdAtMs: Number(r.created_at_ms),
  expiresAtMs: numOrNull(r.expires_at_ms),
  revokedAtMs: numOrNull(r.revoked_at_ms),
});

/**
 * The token and its user in one row, for the lookup by hash (`tokenHash` is its only parameter):
 * the token's columns prefixed `token_`, the user's as they are.
 */
export const apiTokenLookupSql = (tokenHash: string) =>
  `SELECT t.id AS token_id, t.user_id AS token_user_id, t.label AS token_label,
     t.created_at_ms AS token_created_at_ms, t.expires_at_ms AS token_expires_at_ms,
     t.revoked_at_ms AS token_revoked_at_ms, u.id, u.name, u.role, u.shipper, u.disabled, u.created_at_ms
   FROM api_tokens AS t JOIN api_users AS u ON u.id = t.user_id
   WHERE t.token_hash = ${tokenHash}`;
export const apiTokenLookupFromRow = (r: Row): { user: ApiUser; token: ApiToken } => ({
  user: apiUserFromRow(r),
  token: apiTokenFromRow({
    id: r.token_id,
    user_id: r.token_user_id,
    label: r.token_label,
    created_at_ms: r.token_created_at_ms,
    expires_at_ms: r.token_expires_at_ms,
    revoked_at_ms: r.token_revoked_at_ms,
  }),
});

export const webhookDeliveryFromRow = (r: Row): WebhookDelivery => ({
  id: String(r.id),
  url: String(r.url),
  alertId: Number(r.alert_id),
  status: r.status as WebhookDelivery['status'],
  attempts: Number(r.attempts),
  lastError: strOrNull(r.last_error),
});
