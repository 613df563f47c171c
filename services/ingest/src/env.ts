import { join, resolve } from 'node:path';
import { influxEnv, logLevelEnv, parseServiceEnv, profilesEnv, storeEnv } from '@coldchain/runtime';
import { z } from 'zod';

const EnvSchema = z.object({
  ...storeEnv,
  MQTT_URL: z.string().url().default('mqtt://127.0.0.1:1883'),
  INGEST_MQTT_USERNAME: z.string().min(1).default('ingest'),
  INGEST_MQTT_PASSWORD: z
    .string({ error: 'required: the ingest service account secret (provision service ingest ingest)' })
    .min(1),
  INGEST_CLIENT_ID: z.string().min(1).default('ingest'),
  ...influxEnv,
  INGEST_BATCH_LINES: z.coerce.number().int().min(1).max(100_000).default(5000),
  INGEST_FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).default(200),
  INGEST_JOURNAL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(2 * 1024 ** 3),
  INGEST_JOURNAL_SYNC: z.enum(['always', 'os']).default('always'),
  INGEST_DEAD_LETTER_PER_DEVICE: z.coerce.number().int().min(0).default(100),
  INGEST_DEAD_LETTER_MAX: z.coerce.number().int().min(0).default(10_000),
  INGEST_DEAD_LETTER_RETENTION_DAYS: z.coerce.number().positive().default(30),
  INGEST_LEDGER_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(35),
  INGEST_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  INGEST_METRICS_HOST: z.string().default('127.0.0.1'),
  ...profilesEnv,
  BREACH_TICK_MS: z.coerce.number().int().min(100).default(5000),
  ALERT_SETTLE_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  ALERT_BACKLOG_LAG_MS: z.coerce.number().int().min(1000).default(300_000),
  ALERT_PEAK_STEP: z.coerce.number().nonnegative().default(0.5),
  ALERT_WEBHOOK_URLS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().url())),
  ALERT_WEBHOOK_SECRET: z.string().default(''),
  ALERT_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  ALERT_WEBHOOK_INITIAL_DELAY_MS: z.coerce.number().int().min(10).default(1000),
  ...logLevelEnv,
});

export type IngestEnv = ReturnType<typeof readIngestEnv>;

/** Reads the ingest's configuration; a bad value throws an error naming the variable. */
export function readIngestEnv(env: NodeJS.ProcessEnv = process.env) {
  const e = parseServiceEnv('ingest', EnvSchema, env);
  if (e.ALERT_WEBHOOK_URLS.length > 0 && e.ALERT_WEBHOOK_SECRET.length < 16) {
    throw new Error(
      'invalid ingest configuration:\n  ALERT_WEBHOOK_SECRET: at least 16 characters when ALERT_WEBHOOK_URLS is set',
    );
  }
  const dataDir = resolve(e.COLDCHAIN_DATA_DIR);
  return {
    dataDir,
    metadataFile: join(dataDir, 'metadata.db'),
    databaseUrl: e.COLDCHAIN_DATABASE_URL,
    journalDir: join(dataDir, 'ingest-journal'),
    deadLetterFile: join(dataDir, 'dead-letters.db'),
    /** Samples kept; every dead letter is counted whatever these say. */
    deadLetterLimits: {
      perDevice: e.INGEST_DEAD_LETTER_PER_DEVICE,
      total: e.INGEST_DEAD_LETTER_MAX,
      retentionMs: Math.round(e.INGEST_DEAD_LETTER_RETENTION_DAYS * 86_400_000),
    },
    mqtt: {
      url: e.MQTT_URL,
      username: e.INGEST_MQTT_USERNAME,
      password: e.INGEST_MQTT_PASSWORD,
      clientId: e.INGEST_CLIENT_ID,
    },
    influx: { url: e.INFLUX_URL, token: e.INFLUX_TOKEN, org: e.INFLUX_ORG, bucket: e.INFLUX_BUCKET },
    batchLines: e.INGEST_BATCH_LINES,
    flushIntervalMs: e.INGEST_FLUSH_INTERVAL_MS,
    journalMaxBytes: e.INGEST_JOURNAL_MAX_BYTES,
    journalSync: e.INGEST_JOURNAL_SYNC,
    ledgerFile: join(dataDir, 'ingest-ledger.db'),
    ledgerRetentionMs: e.INGEST_LEDGER_RETENTION_DAYS * 24 * 60 * 60 * 1000,
    metrics: { host: e.INGEST_METRICS_HOST, port: e.INGEST_METRICS_PORT },
    profilesFile: e.COLDCHAIN_PROFILES_FILE,
    breachTickMs: e.BREACH_TICK_MS,
    alerts: {
      settleMs: e.ALERT_SETTLE_MS,
      backlogLagMs: e.ALERT_BACKLOG_LAG_MS,
      peakStep: e.ALERT_PEAK_STEP,
    },
    webhooks: {
      urls: e.ALERT_WEBHOOK_URLS,
      secret: e.ALERT_WEBHOOK_SECRET,
      maxAttempts: e.ALERT_WEBHOOK_MAX_ATTEMPTS,
      initialDelayMs: e.ALERT_WEBHOOK_INITIAL_DELAY_MS,
    },
    logLevel: e.LOG_LEVEL,
  };
}
