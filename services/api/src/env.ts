import { join, resolve } from 'node:path';
import { influxEnv, logLevelEnv, parseServiceEnv, profilesEnv, storeEnv } from '@coldchain/runtime';
import { z } from 'zod';

const EnvSchema = z.object({
  ...storeEnv,
  API_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** Loopback by default: expose it deliberately (behind TLS) with API_HOST=0.0.0.0. */
  API_HOST: z.string().min(1).default('127.0.0.1'),
  /** The first admin's bearer token; unset: one is generated and printed once. */
  COLDCHAIN_ADMIN_TOKEN: z
    .string()
    .min(32, 'at least 32 characters (it is the admin password of the API)')
    .max(256)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional(),
  MQTT_URL: z.string().url().default('mqtt://127.0.0.1:1883'),
  API_MQTT_USERNAME: z.string().min(1).default('api'),
  API_MQTT_PASSWORD: z
    .string({ error: 'required: the api service account secret (provision service api api)' })
    .min(1),
  API_CLIENT_ID: z.string().min(1).default('api'),
  ...influxEnv,
  ...profilesEnv,
  /** Failed bearer-token attempts allowed per client address per minute before 429. */
  API_AUTH_FAILURES_PER_MIN: z.coerce.number().int().min(1).max(10_000).default(10),
  /** How long a verified token is trusted without asking the store again (revocation delay). */
  API_TOKEN_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(5_000),
  /** Open alert streams (SSE) one user may hold at once. */
  API_STREAMS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(20),
  /** Day chunks of windowed-history aggregates kept in memory (about 1,150 cells each); 0 turns it off. */
  API_HISTORY_CACHE_CHUNKS: z.coerce.number().int().min(0).max(1_000_000).default(1_000),
  /** Day chunks of raw readings kept for reports and excursions (a device-day of one-minute readings is about 200 KB). */
  API_READINGS_CACHE_CHUNKS: z.coerce.number().int().min(0).max(1_000_000).default(500),
  ...logLevelEnv,
});

export type ApiEnv = ReturnType<typeof readApiEnv>;

/** Reads the api's configuration; a bad value throws an error naming the variable. */
export function readApiEnv(env: NodeJS.ProcessEnv = process.env) {
  const e = parseServiceEnv('api', EnvSchema, env);
  const dataDir = resolve(e.COLDCHAIN_DATA_DIR);
  return {
    dataDir,
    metadataFile: join(dataDir, 'metadata.db'),
    deadLetterFile: join(dataDir, 'dead-letters.db'),
    databaseUrl: e.COLDCHAIN_DATABASE_URL,
    http: { host: e.API_HOST, port: e.API_PORT },
    adminToken: e.COLDCHAIN_ADMIN_TOKEN,
    mqtt: {
      url: e.MQTT_URL,
      username: e.API_MQTT_USERNAME,
      password: e.API_MQTT_PASSWORD,
      clientId: e.API_CLIENT_ID,
    },
    influx: { url: e.INFLUX_URL, token: e.INFLUX_TOKEN, org: e.INFLUX_ORG, bucket: e.INFLUX_BUCKET },
    profilesFile: e.COLDCHAIN_PROFILES_FILE,
    authFailuresPerMin: e.API_AUTH_FAILURES_PER_MIN,
    tokenCacheMs: e.API_TOKEN_CACHE_MS,
    historyCacheChunks: e.API_HISTORY_CACHE_CHUNKS,
    readingsCacheChunks: e.API_READINGS_CACHE_CHUNKS,
    streamsPerUser: e.API_STREAMS_PER_USER,
    logLevel: e.LOG_LEVEL,
  };
}
