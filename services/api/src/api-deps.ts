import type { ComplianceReport, Profile } from '@coldchain/coldchain';
import type { InfluxConnection } from '@coldchain/influx';
import type { Reading } from '@coldchain/schema';
import type { Alert, MetadataStore } from '@coldchain/store';
import type { Logger } from 'pino';
import type { ReportSigningKey } from './integrity/signing-key.js';

/** The live side the API needs from MQTT: alert changes, device status, custody notices. */
export interface LiveFeed {
  /** Calls `listener` once per alert change; returns the function that stops it. */
  subscribe(
    listener: (event: { event: 'alert.created' | 'alert.updated'; alert: Alert }) => void,
  ): () => void;
  deviceStatus(deviceId: string): { status: 'online' | 'offline'; sinceMs: number } | undefined;
  /**
   * Announces a change an operator made (acknowledged, resolved, assigned) on the alert topics,
   * so that every api replica's stream carries it, like the changes the ingest makes.
   */
  publishAlertChange(alert: Alert): Promise<void>;
  /** Tells the ingest that a shipment's custody changed, so that it re-evaluates its legs. */
  publishCustodyChange(shipmentId: string): Promise<void>;
  connected(): boolean;
}

export interface ApiDeps {
  store: MetadataStore;
  influx: InfluxConnection;
  profiles: ReadonlyMap<string, Profile>;
  feed: LiveFeed;
  log: Logger;
  now?: () => number;
  /** Failed bearer-token attempts per client address per minute before 429. Default 10. */
  authFailuresPerMin?: number;
  /** How long a verified token is trusted without a store read. Default 5 s. */
  tokenCacheMs?: number;
  /** Day chunks of windowed-history cells kept in memory (0: none). Default 1,000. */
  historyCacheChunks?: number;
  /** Day chunks of raw readings kept in memory for reports and excursions (0: none). Default 500. */
  readingsCacheChunks?: number;
  /** Open alert streams one user may hold at once; more get 429. Default 20. */
  streamsPerUser?: number;
  /**
   * The data folder's report signing key and share-link secret (`start-api` loads them); unset:
   * made in memory for this app only, so that nothing it signs outlives it (tests).
   */
  secrets?: { reportSigningKey: ReportSigningKey; shareLinkSecret: Buffer };
  /** SSE heartbeat interval. */
  heartbeatMs?: number;
}

/**
 * A device's stored readings in `[fromMs, toMs)`, oldest first (cached per unchanged day), and the
 * version they were read at: equal versions, equal readings.
 */
export type ReadingsSource = (
  deviceId: string,
  fromMs: number,
  toMs: number,
) => Promise<{ readings: Reading[]; version: string }>;

/** What the routes get: the dependencies, and what `createApi` builds once from them. */
export interface ApiContext extends ApiDeps {
  readings: ReadingsSource;
  /**
   * The last report computed per shipment, by everything it was computed from (see `issueReport`):
   * asked again over the same record, it is not computed again.
   */
  reports: Map<string, { key: string; report: ComplianceReport; lines: readonly string[] }>;
}
