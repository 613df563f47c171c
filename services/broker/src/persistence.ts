import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { memoryPersistenceWithIndexedOutgoing } from './indexed-outgoing.js';

const require = createRequire(import.meta.url);

export type PersistenceKind = 'memory' | 'redis';

export interface BrokerPersistence {
  kind: PersistenceKind;
  /** What to give Aedes as `persistence`. */
  aedes: object;
  /** Whether packets come back from it as copies (the spool then matches by content). */
  copiesPackets: boolean;
  /** Releases connections. Safe to call twice. */
  close(): Promise<void>;
}

/** How long the broker waits for Redis at start before it gives up with a clear error. */
const REDIS_CONNECT_TIMEOUT_MS = 10_000;
/**
 * QoS 1 messages aedes-persistence-redis sends a persistent session when it reconnects; the rest
 * wait for its next connection. The library's default of 1,000 would strand most of an ingest
 * backlog, so it is raised to what an hour-long ingest outage of a large fleet queues.
 */
const REDIS_MAX_SESSION_DELIVERY = 1_000_000;

/**
 * Aedes' sessions, subscriptions, retained messages and wills. `memory` (the default) keeps them
 * in the broker process: a restart loses them, and clients subscribe again. `redis` keeps them in
 * Redis: the ingest's session, with its queued QoS 1 messages, and the devices' retained status
 * survive a broker restart, and several broker processes can share them. Device messages are safe
 * in the spool either way.
 */
export async function createPersistence(
  kind: PersistenceKind,
  opts: { redisUrl: string },
): Promise<BrokerPersistence> {
  if (kind === 'memory') {
    return {
      kind,
      aedes: memoryPersistenceWithIndexedOutgoing(),
      copiesPackets: false,
      close: async () => {},
    };
  }
  const conn = new Redis(opts.redisUrl, { lazyConnect: true, connectTimeout: REDIS_CONNECT_TIMEOUT_MS });
  try {
    await conn.connect();
  } catch (err) {
    conn.disconnect();
    throw new Error(
      `cannot reach Redis at ${redactUrl(opts.redisUrl)} (BROKER_REDIS_URL): ${(err as Error).message}`,
    );
  }
  const redisPersistence = require('aedes-persistence-redis') as (o: object) => {
    // Without a callback: with one it waits for a 'ready' event that Aedes' async setup never emits.
    destroy(): Promise<void>;
  };
  const aedes = redisPersistence({ conn, maxSessionDelivery: REDIS_MAX_SESSION_DELIVERY });
  let closing: Promise<void> | undefined;
  return {
    kind,
    aedes,
    copiesPackets: true,
    close() {
      closing ??= aedes.destroy();
      return closing;
    },
  };
}

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
