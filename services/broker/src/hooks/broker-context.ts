import type { Principal } from '@coldchain/store';
import type { Client } from 'aedes';
import type { Logger } from 'pino';
import { createRefusalLog, type RefusalLogOptions } from '../refusal-log.js';

export type RefusalReason =
  | 'no_credentials'
  | 'bad_credentials'
  | 'client_id_mismatch'
  | 'will_denied'
  | 'publish_denied'
  | 'subscribe_denied'
  | 'rate_limited'
  | 'packet_too_large'
  | 'spool_failed'
  | 'connect_too_large'
  | 'connect_rate_limited'
  | 'login_backoff'
  | 'too_many_connections'
  | 'too_many_connections_from_address';

/** Counters the hooks keep for `BrokerStats`. */
export interface BrokerCounters {
  messagesIn: number;
  messagesOut: number;
  messagesAcked: number;
  devicesOnline: number;
}

/**
 * What every hook of the broker shares: who each connected client is (set once it has
 * authenticated), how refusals are counted and logged, the counters, and the clock.
 */
export interface BrokerContext {
  readonly principals: WeakMap<Client, Principal>;
  readonly counters: BrokerCounters;
  readonly refusals: Partial<Record<RefusalReason, number>>;
  readonly log: Logger;
  now(): number;
  /**
   * Counts a refusal by reason (exactly) and logs it, aggregated per client (`fields.clientId`,
   * else `fields.remote`) and reason: see `createRefusalLog`.
   */
  refuse(reason: RefusalReason, fields: Record<string, unknown>, message: string): void;
  /** Writes what the refusal log holds back and stops its timer. Safe to call twice. */
  close(): void;
}

export function createBrokerContext(
  log: Logger,
  now: () => number,
  refusalLogOptions?: RefusalLogOptions,
): BrokerContext {
  const refusals: Partial<Record<RefusalReason, number>> = {};
  const refusalLog = createRefusalLog(log, refusalLogOptions);
  return {
    principals: new WeakMap(),
    counters: { messagesIn: 0, messagesOut: 0, messagesAcked: 0, devicesOnline: 0 },
    refusals,
    log,
    now,
    refuse(reason, fields, message) {
      refusals[reason] = (refusals[reason] ?? 0) + 1;
      refusalLog.write(reason, String(fields.clientId ?? fields.remote ?? ''), fields, message);
    },
    close: () => refusalLog.close(),
  };
}

/** The ingest service account, which alone acknowledges device messages out of the spool. */
export const isIngestPrincipal = (who: Principal | undefined): boolean =>
  who?.kind === 'service' && who.role === 'ingest';
