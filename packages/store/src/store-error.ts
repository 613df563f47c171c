/**
 * A store rule the database refused. `code` is stable: callers map it (an API answers 409 for
 * `custody_overlap`, `alert_conflict` and `conflict`, 404 for `not_found`, 400 for `invalid`).
 * Retrying the same call cannot succeed, since the data that refused it is still there.
 *
 * - `custody_overlap`: a custody leg would overlap another leg of its shipment.
 * - `alert_conflict`: an alert is not in a status it may leave that way (another operator moved it).
 * - `conflict`: the id is taken, or the record is not in a state that allows the change.
 * - `not_found`: the record the call names does not exist.
 * - `invalid`: the input breaks a rule of the store whatever the data holds (a shipper user
 *   without a shipper, an unknown status, a page limit that is not a positive integer).
 */
export class StoreError extends Error {
  readonly retryable = false;

  constructor(
    readonly code: 'custody_overlap' | 'alert_conflict' | 'not_found' | 'conflict' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
