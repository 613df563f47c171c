/** An error of the metadata store with a stable code; retrying the same call cannot change its outcome. */
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
