/**
 * A store rule the database refused. `code` is stable: callers map it (an API answers 409 for
 * `custody_overlap`, `alert_conflict` and `conflict`, 404 for `not_found`). Retrying the same call
 * cannot succeed, since the data that refused it is still there.
 */
export class StoreError extends Error {
  readonly retryable = false;

  constructor(
    readonly code: 'custody_overlap' | 'alert_conflict' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
