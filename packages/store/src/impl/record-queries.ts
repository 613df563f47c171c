import {
  type AlertFilter,
  SHIPMENT_STATUSES,
  SHIPMENT_TRANSITIONS,
  type ShipmentFilter,
  type ShipmentStatus,
} from '../domain-records.js';
import { StoreError } from '../store-error.js';
import { SHIPMENT_COLUMNS } from './record-rows.js';

/**
 * The statements whose shape depends on the caller's input, written once for both dialects: both
 * speak row values (`(a, b) > (x, y)`) and `RETURNING`, and differ here only in how a parameter
 * is written, which `param` decides.
 */
export interface SqlParams {
  /** Adds a value and returns its placeholder. */
  param(value: unknown): string;
  values: unknown[];
}
export const sqliteParams = (): SqlParams => {
  const values: unknown[] = [];
  return {
    values,
    param(v) {
      values.push(v);
      return '?';
    },
  };
};
export const postgresParams = (): SqlParams => {
  const values: unknown[] = [];
  return { values, param: (v) => `$${values.push(v)}` };
};

const DEFAULT_PAGE_LIMIT = 100;

/** A page size: a positive integer, else `invalid` (SQLite and PostgreSQL disagree on the others). */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new StoreError('invalid', `limit must be a positive integer, not ${limit}`);
  return limit;
}

const where = (conditions: readonly string[]) =>
  conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';

/**
 * A shipment's journey for the time filter: from the actual (else planned) departure, else its
 * creation, to the actual (else planned) arrival, else open-ended.
 */
const JOURNEY_START = 'COALESCE(actual_departure_ms, planned_departure_ms, created_at_ms)';
const JOURNEY_END = 'COALESCE(actual_arrival_ms, planned_arrival_ms)';

export function listShipmentsSql(filter: ShipmentFilter, { param }: SqlParams): string {
  const c: string[] = [];
  if (filter.status !== undefined) c.push(`status = ${param(filter.status)}`);
  if (filter.shipper !== undefined) c.push(`shipper = ${param(filter.shipper)}`);
  if (filter.consignee !== undefined) c.push(`consignee = ${param(filter.consignee)}`);
  if (filter.profileId !== undefined) c.push(`profile_id = ${param(filter.profileId)}`);
  if (filter.toMs !== undefined) c.push(`${JOURNEY_START} < ${param(filter.toMs)}`);
  if (filter.fromMs !== undefined)
    c.push(`(${JOURNEY_END} IS NULL OR ${JOURNEY_END} > ${param(filter.fromMs)})`);
  if (filter.after !== undefined)
    c.push(`(created_at_ms, id) > (${param(filter.after.createdAtMs)}, ${param(filter.after.id)})`);
  const limit = pageLimit(filter.limit);
  return `SELECT ${SHIPMENT_COLUMNS} FROM shipments ${where(c)}
    ORDER BY created_at_ms, id LIMIT ${param(limit)}`;
}

export function listAlertsSql(filter: AlertFilter, { param }: SqlParams): string {
  const c: string[] = [];
  if (filter.status !== undefined) {
    const statuses = typeof filter.status === 'string' ? [filter.status] : filter.status;
    // No status at all matches no alert.
    c.push(statuses.length ? `a.status IN (${statuses.map((s) => param(s)).join(', ')})` : '0 = 1');
  }
  if (filter.severity !== undefined) c.push(`a.severity = ${param(filter.severity)}`);
  if (filter.rule !== undefined) c.push(`a.rule = ${param(filter.rule)}`);
  if (filter.shipmentId !== undefined) c.push(`a.shipment_id = ${param(filter.shipmentId)}`);
  if (filter.deviceId !== undefined) c.push(`a.device_id = ${param(filter.deviceId)}`);
  // A device's own alerts (no shipment) belong to no shipper: the join leaves them out.
  const join = filter.shipper === undefined ? '' : 'JOIN shipments AS s ON s.id = a.shipment_id';
  if (filter.shipper !== undefined) c.push(`s.shipper = ${param(filter.shipper)}`);
  if (filter.toMs !== undefined) c.push(`a.start_ms < ${param(filter.toMs)}`);
  if (filter.fromMs !== undefined) c.push(`(a.end_ms IS NULL OR a.end_ms > ${param(filter.fromMs)})`);
  if (filter.changedAfter !== undefined)
    c.push(
      `(a.updated_at_ms, a.id) > (${param(filter.changedAfter.updatedAtMs)}, ${param(filter.changedAfter.id)})`,
    );
  if (filter.beforeId !== undefined) c.push(`a.id < ${param(filter.beforeId)}`);
  const order = filter.changedAfter === undefined ? 'a.id DESC' : 'a.updated_at_ms, a.id';
  const limit = pageLimit(filter.limit);
  return `SELECT a.* FROM alerts AS a ${join} ${where(c)} ORDER BY ${order} LIMIT ${param(limit)}`;
}

/**
 * The one conditional UPDATE that moves a shipment to `status`, from any status that
 * `SHIPMENT_TRANSITIONS` allows it from, as the database holds it when the row is written: two
 * callers racing cannot both move it. Null when no status leads there (nothing to update).
 */
export function shipmentStatusUpdateSql(
  id: string,
  status: ShipmentStatus,
  atMs: number,
  nowMs: number,
  { param }: SqlParams,
): string | null {
  if (!SHIPMENT_STATUSES.includes(status))
    throw new StoreError('invalid', `${String(status)} is not a shipment status`);
  const sources = SHIPMENT_STATUSES.filter((from) => SHIPMENT_TRANSITIONS[from].includes(status));
  if (!sources.length) return null;
  // Parameters are added in the order they appear (SQLite's `?` are positional), and atMs only
  // where it is used (PostgreSQL cannot type a parameter that is not).
  const set = [`status = ${param(status)}`];
  if (status === 'in_transit')
    set.push(`actual_departure_ms = COALESCE(actual_departure_ms, ${param(atMs)})`);
  if (status === 'delivered') set.push(`actual_arrival_ms = COALESCE(actual_arrival_ms, ${param(atMs)})`);
  set.push(`updated_at_ms = ${param(nowMs)}`);
  return `UPDATE shipments SET ${set.join(', ')}
    WHERE id = ${param(id)} AND status IN (${sources.map((s) => param(s)).join(', ')})
    RETURNING ${SHIPMENT_COLUMNS}`;
}

/** Why a status move changed nothing: the shipment does not exist, or its status does not lead there. */
export function shipmentStatusRefusal(
  id: string,
  current: ShipmentStatus | undefined,
  wanted: ShipmentStatus,
): StoreError {
  if (current === undefined) return new StoreError('not_found', `shipment ${id} does not exist`);
  return new StoreError('conflict', `shipment ${id} is ${current}: it cannot move to ${wanted}`);
}
