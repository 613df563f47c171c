import { join, resolve } from 'node:path';
import { logLevelEnv, parseServiceEnv, storeEnv } from '@coldchain/runtime';
import { MAX_PAYLOAD_BYTES } from '@coldchain/schema';
import { z } from 'zod';
import { CONNECTION_LIMIT_DEFAULTS as LIMITS } from './connection-limits.js';

const port = z.coerce.number().int().min(0).max(65_535);
const count = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

const EnvSchema = z
  .object({
    ...storeEnv,
    MQTT_HOST: z.string().default('127.0.0.1'),
    MQTT_PORT: port.default(1883),
    MQTT_WS_PORT: port.default(8083),
    MQTT_TLS_CERT: z.string().optional(),
    MQTT_TLS_KEY: z.string().optional(),
    /** Largest MQTT packet: the telemetry payload limit plus room for the topic and headers. */
    MQTT_MAX_PACKET_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(MAX_PAYLOAD_BYTES + 1024),
    MQTT_RATE_PER_SEC: z.coerce.number().positive().default(50),
    MQTT_RATE_BURST: z.coerce.number().int().positive().default(500),
    /** Largest CONNECT: ours are under 300 bytes; a will or a long client id fits many times over. */
    MQTT_MAX_CONNECT_BYTES: count(256, LIMITS.maxConnectBytes),
    BROKER_CONNECT_TIMEOUT_MS: count(100, LIMITS.connectTimeoutMs),
    BROKER_MAX_CONNECTIONS: count(1, LIMITS.maxConnections),
    BROKER_MAX_CONNECTIONS_PER_ADDRESS: count(1, LIMITS.maxConnectionsPerAddress),
    BROKER_CONNECT_RATE_PER_MIN: z.coerce.number().positive().default(LIMITS.connectRatePerMin),
    BROKER_CONNECT_BURST: count(1, LIMITS.connectBurst),
    BROKER_LOGIN_FAILURES_PER_ID: count(1, LIMITS.loginFailuresPerId),
    BROKER_LOGIN_FAILURES_PER_ADDRESS: count(1, LIMITS.loginFailuresPerAddress),
    BROKER_LOGIN_BACKOFF_MS: count(1, LIMITS.loginBackoffMs),
    BROKER_LOGIN_BACKOFF_MAX_MS: count(1, LIMITS.loginBackoffMaxMs),
    BROKER_REFUSAL_LOG_LINES: count(0, 5),
    BROKER_REFUSAL_LOG_MAX_LINES: count(0, 200),
    BROKER_REFUSAL_LOG_INTERVAL_MS: count(100, 10_000),
    BROKER_SPOOL_SYNC: z.enum(['normal', 'full']).default('normal'),
    BROKER_PERSISTENCE: z.enum(['memory', 'redis']).default('memory'),
    BROKER_REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    BROKER_OFFLINE_QUEUE_MAX: z.coerce.number().int().min(0).default(10_000),
    BROKER_REVOCATION_POLL_MS: z.coerce.number().int().min(100).default(2_000),
    BROKER_ROUTING_HIGH_WATER: z.coerce.number().int().min(1).default(20_000),
    BROKER_STATS_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
    /** `false`: every device message goes to the ingest as its own MQTT message (see `ingestBatches`). */
    BROKER_INGEST_BATCHES: z.enum(['true', 'false']).default('true'),
    /** Aedes' heartbeat: a broker silent for 3 of them is taken as gone, and its wills are swept every 4. */
    BROKER_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
    ...logLevelEnv,
  })
  .refine((e) => Boolean(e.MQTT_TLS_CERT) === Boolean(e.MQTT_TLS_KEY), {
    message: 'MQTT_TLS_CERT and MQTT_TLS_KEY go together: set both or neither',
    path: ['MQTT_TLS_CERT'],
  });

export type BrokerEnv = ReturnType<typeof readBrokerEnv>;

/** Reads the broker's configuration; a bad value throws an error naming the variable. */
export function readBrokerEnv(env: NodeJS.ProcessEnv = process.env) {
  const e = parseServiceEnv('broker', EnvSchema, env);
  const dataDir = resolve(e.COLDCHAIN_DATA_DIR);
  return {
    dataDir,
    metadataFile: join(dataDir, 'metadata.db'),
    databaseUrl: e.COLDCHAIN_DATABASE_URL,
    spoolDir: join(dataDir, 'broker-spool'),
    /** Where releases before the log-structured spool kept it (SQLite); imported once at start. */
    legacySpoolFile: join(dataDir, 'broker-spool.db'),
    host: e.MQTT_HOST,
    port: e.MQTT_PORT,
    wsPort: e.MQTT_WS_PORT,
    tls:
      e.MQTT_TLS_CERT && e.MQTT_TLS_KEY ? { certFile: e.MQTT_TLS_CERT, keyFile: e.MQTT_TLS_KEY } : undefined,
    maxPacketBytes: e.MQTT_MAX_PACKET_BYTES,
    rateLimit: { ratePerSec: e.MQTT_RATE_PER_SEC, burst: e.MQTT_RATE_BURST },
    connectionLimits: {
      maxConnectBytes: e.MQTT_MAX_CONNECT_BYTES,
      connectTimeoutMs: e.BROKER_CONNECT_TIMEOUT_MS,
      maxConnections: e.BROKER_MAX_CONNECTIONS,
      maxConnectionsPerAddress: e.BROKER_MAX_CONNECTIONS_PER_ADDRESS,
      connectRatePerMin: e.BROKER_CONNECT_RATE_PER_MIN,
      connectBurst: e.BROKER_CONNECT_BURST,
      loginFailuresPerId: e.BROKER_LOGIN_FAILURES_PER_ID,
      loginFailuresPerAddress: e.BROKER_LOGIN_FAILURES_PER_ADDRESS,
      loginBackoffMs: e.BROKER_LOGIN_BACKOFF_MS,
      loginBackoffMaxMs: e.BROKER_LOGIN_BACKOFF_MAX_MS,
    },
    refusalLog: {
      linesPerClient: e.BROKER_REFUSAL_LOG_LINES,
      maxLinesPerInterval: e.BROKER_REFUSAL_LOG_MAX_LINES,
      intervalMs: e.BROKER_REFUSAL_LOG_INTERVAL_MS,
    },
    spoolSync: e.BROKER_SPOOL_SYNC,
    statsIntervalMs: e.BROKER_STATS_INTERVAL_MS,
    ingestBatches: e.BROKER_INGEST_BATCHES === 'true',
    heartbeatIntervalMs: e.BROKER_HEARTBEAT_INTERVAL_MS,
    routingHighWater: e.BROKER_ROUTING_HIGH_WATER,
    offlineQueueMax: e.BROKER_OFFLINE_QUEUE_MAX,
    revocationPollMs: e.BROKER_REVOCATION_POLL_MS,
    persistence: e.BROKER_PERSISTENCE,
    redisUrl: e.BROKER_REDIS_URL,
    logLevel: e.LOG_LEVEL,
  };
}
