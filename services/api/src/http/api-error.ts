import { HistoryQueryError } from '@coldchain/influx';
import { API_ERROR_STATUS, type ApiErrorCode } from '@coldchain/schema';
import { StoreError } from '@coldchain/store';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * The one error the API answers with: a stable code (its HTTP status follows from it), a message
 * for people, and details for programs (`issues` with a path per bad field). Routes throw it; one
 * handler renders it (`errorResponse`).
 */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERROR_STATUS[code];
  }
}

/** The response every refusal of the API is: `{ error: { code, message, details } }` with its status. */
export const errorResponse = (c: Context, e: ApiError) =>
  c.json(
    { error: { code: e.code, message: e.message, details: e.details } },
    e.status as ContentfulStatusCode,
  );

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);

/** A 400 about one field: `path` as our issues name it (`body.deviceId`, `query.to`). */
export const badField = (path: string, message: string) =>
  new ApiError('validation_failed', `${path}: ${message}`, { issues: [{ path, message }] });

/** A store refusal as the API says it: the store's codes are a subset of ours. */
export function fromStoreError(err: StoreError): ApiError {
  switch (err.code) {
    case 'not_found':
      return new ApiError('not_found', err.message);
    case 'custody_overlap':
    case 'alert_conflict':
    case 'conflict':
      return new ApiError(err.code, err.message);
    default:
      return new ApiError('validation_failed', err.message);
  }
}

/** Which query parameter a history query refusal is about. */
const HISTORY_PARAM: Record<HistoryQueryError['code'], string> = {
  invalid_every: 'query.every',
  too_many_windows: 'query.every',
  invalid_time_zone: 'query.tz',
  invalid_range: 'query.to',
  invalid_sensor: 'query.sensor',
};

/** Any thrown value as an `ApiError`, or null when it is not one we expected (a 500). */
export function asApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof HistoryQueryError) {
    return badField(HISTORY_PARAM[err.code], err.message);
  }
  if (err instanceof StoreError) return fromStoreError(err);
  return null;
}
