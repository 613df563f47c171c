export type HistoryQueryErrorCode =
  | 'invalid_every'
  | 'invalid_time_zone'
  | 'invalid_range'
  | 'invalid_sensor'
  | 'too_many_windows';

/**
 * A history request that cannot be answered as asked (a window size, zone, range or sensor that is
 * not valid). `code` is stable, for the API to answer 400 with; retrying the same request cannot help.
 */
export class HistoryQueryError extends Error {
  readonly retryable = false;

  constructor(
    readonly code: HistoryQueryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HistoryQueryError';
  }
}
