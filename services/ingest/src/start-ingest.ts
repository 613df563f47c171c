import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseProfiles, toEngineReading } from '@coldchain/coldchain';
import {
  createDurableWriter,
  DEFAULT_RETRY,
  type DurableWriter,
  type Journal,
  newestStoredReadingMs,
  openJournal,
  parseTelemetryLine,
  readDeviceHistory,
  readStoredFieldSets,
  retryDelayMs,
} from '@coldchain/influx';
import { createProcessMetrics, makeDataDirPrivate } from '@coldchain/runtime';
import { MAX_FUTURE_SKEW_MS, MAX_PAST_AGE_MS } from '@coldchain/schema';
import { type MetadataStore, openMetadataStore, type WebhookDelivery } from '@coldchain/store';
import type { Logger } from 'pino';
import { mqttAlertSink, webhookAlertSink } from './alert-sinks.js';
import { type BreachMonitor, createBreachMonitor } from './breach-monitor.js';
import { type AcceptedMessage, createIngest, type Ingest } from './create-ingest.js';
import type { IngestEnv } from './env.js';
import { createHealthCheck } from './health.js';
import { ledgerFirstJournal } from './ledger-first-journal.js';
import { openSqliteLedgerIndex } from './ledger-index.js';
import { createMetrics, createMetricsRegistry, type IngestMetrics } from './metrics.js';
import {
  createReadingLedger,
  type LedgerRow,
  type ReadingLedger,
  type StoredHistory,
} from './reading-ledger.js';

/** How often, at most, the reading ledger commits while InfluxDB takes the journal's segments. */
const LEDGER_COMMIT_EVERY_MS = 1000;

export interface RunningIngest {
  ingest: Ingest;
  breaches: BreachMonitor;
  metrics: IngestMetrics;
  writer: DurableWriter;
  metricsPort: number;
  /**
   * Orderly shutdown: stop taking messages, write what the journal holds (for a bounded time;
   * the rest stays journaled for the next start), close the store. Safe to call twice.
   */
  close(): Promise<void>;
}

export async function startIngest(
  env: IngestEnv,
  log: Logger,
  deps: { store?: MetadataStore; onAccepted?: (m: AcceptedMessage) => void } = {},
): Promise<RunningIngest> {
  makeDataDirPrivate(env.dataDir, log);
  const store =
    deps.store ??
    (await openMetadataStore({
      databaseUrl: env.databaseUrl,
      file: env.metadataFile,
      deadLetters: { file: env.deadLetterFile, limits: env.deadLetterLimits },
    }));
  // Opens the dead-letter database now (importing an earlier release's dead letters, pruning
  // expired samples), not at the first invalid message.
  const deadLetters = await store.deadLetterStats();
  log.info(
    { stored: deadLetters.stored, dropped: deadLetters.dropped, limits: env.deadLetterLimits },
    'dead letters',
  );
  const metrics = createMetrics();
  // A journal folder means this data folder has history; if the ledger is new, InfluxDB may hold
  // readings it never saw (see openSqliteLedgerIndex).
  const hadHistory = existsSync(env.journalDir);
  const journal = await openJournal({
    dir: env.journalDir,
    maxBytes: env.journalMaxBytes,
    sync: env.journalSync,
    onWarning: (s) =>
      log.warn(
        { journalBytes: s.bytes, maxBytes: s.maxBytes },
        'journal is over half full: InfluxDB is not keeping up or is down',
      ),
  });
  const pending = journal.stats();
  if (pending.segments > 0)
    log.info(
      { segments: pending.segments, bytes: pending.bytes },
      'writing what the journal holds from the last run',
    );

  let closed = false;
  const ledgerIndex = openSqliteLedgerIndex({
    file: env.ledgerFile,
    now: Date.now,
    hadHistory,
    legacyWindowMs: MAX_PAST_AGE_MS + MAX_FUTURE_SKEW_MS,
    sync: env.journalSync,
  });
  const ledger = createReadingLedger({
    index: ledgerIndex,
    history: storedHistory(env, log, () => closed),
    retentionMs: env.ledgerRetentionMs,
    maxPastAgeMs: MAX_PAST_AGE_MS,
    now: Date.now,
  });
  await recoverLedger(ledger, journal);

  // The ledger commits before a segment leaves the journal: what InfluxDB holds, the ledger knows.
  const writerJournal = ledgerFirstJournal(journal, ledger, { commitEveryMs: LEDGER_COMMIT_EVERY_MS });
  const writer = createDurableWriter({
    journal: writerJournal,
    connection: env.influx,
    batchLines: env.batchLines,
    flushIntervalMs: env.flushIntervalMs,
    onWritten: (lines, elapsedMs) => {
      metrics.writtenLines += lines;
      metrics.lastWriteLagMs = elapsedMs;
    },
    onRetry: (err, attempt, delayMs) => {
      metrics.writeErrors++;
      const level = attempt === 1 || attempt % 10 === 0 ? 'warn' : 'debug';
      log[level](
        { err: err.message, attempt, delayMs, journalBytes: journal.stats().bytes },
        'InfluxDB write failed; retrying',
      );
    },
    onQuarantine: (segment, err) => {
      metrics.quarantinedSegments++;
      log.error(
        { segment, err: err.message },
        'InfluxDB refused a journal segment as malformed; kept aside in quarantine/',
      );
    },
  });
  writer.start();

  const profiles = new Map(
    parseProfiles(JSON.parse(await readFile(env.profilesFile, 'utf8'))).map((p) => [p.id, p]),
  );
  let ingest: Ingest | null = null;
  // Delivery records are bookkeeping: a store that cannot take one must not fail the delivery.
  const recordDelivery = (d: WebhookDelivery) =>
    void store
      .recordWebhookDelivery(d)
      .catch((err: unknown) => log.error({ err, deliveryId: d.id }, 'could not record a webhook delivery'));
  const webhooks =
    env.webhooks.urls.length > 0
      ? webhookAlertSink({ ...env.webhooks, log, onDelivery: (d) => recordDelivery(d) })
      : null;
  const breaches = createBreachMonitor({
    store,
    profiles,
    history: async (deviceId, fromMs, toMs) =>
      (await readDeviceHistory(env.influx, deviceId, fromMs, toMs)).map(toEngineReading),
    sinks: [mqttAlertSink(() => ingest?.client ?? null, log), ...(webhooks ? [webhooks] : [])],
    log: log.child({ component: 'breaches' }),
    ...env.alerts,
  });
  ingest = createIngest({
    mqtt: env.mqtt,
    journal,
    ledger,
    store,
    metrics,
    log,
    onAccepted: (m) => {
      breaches.accept(m);
      deps.onAccepted?.(m);
    },
    onCustodyChange: (shipmentId) => {
      log.info({ shipmentId }, 'custody changed: evaluating the shipment again');
      breaches
        .reevaluateShipment(shipmentId)
        .catch((err: unknown) =>
          log.error({ err, shipmentId }, 'evaluating a shipment after a custody change failed'),
        );
    },
  });
  await ingest.start();
  // "No data" and delays that run out fire on time, not only when the next reading comes.
  const tick = setInterval(() => void breaches.tick(), env.breachTickMs);
  tick.unref();
  // Alerts held while a device filled in its past go out once it has settled: checked often enough
  // that the delay stays close to the settle time.
  const release = setInterval(
    () => void breaches.release(),
    Math.min(500, Math.max(50, env.alerts.settleMs / 10)),
  );
  release.unref();

  const registry = createMetricsRegistry(metrics, {
    journal: () => journal.stats(),
    legsInMemory: () => breaches.legsInMemory(),
    devicesFilling: () => breaches.devicesFilling(),
    deadLetters: () => store.deadLetterStats(),
  });
  const health = createHealthCheck({
    mqttConnected: () => ingest?.client?.connected === true,
    influxUrl: env.influx.url,
    // A primary-key lookup of an id no device can have: the store answers, or it throws.
    probeStore: () => store.getDevice(''),
    journal: () => journal.stats(),
  });
  const processMetrics = createProcessMetrics();
  const server: Server = createServer((req, res) => {
    const answer = async () => {
      if (req.url === '/metrics') {
        const [own, processText] = await Promise.all([registry.metrics(), processMetrics.render()]);
        res.writeHead(200, { 'content-type': registry.contentType }).end(`${own}\n${processText}`);
      } else if (req.url === '/healthz') {
        const report = await health.report();
        res
          .writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify(report));
      } else {
        res.writeHead(404).end();
      }
    };
    answer().catch((err: unknown) => {
      log.error({ err, url: req.url }, 'metrics server request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const metricsPort = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.metrics.port, env.metrics.host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : env.metrics.port);
    });
  });
  log.info({ metricsPort }, `ingest running; metrics on http://${env.metrics.host}:${metricsPort}/metrics`);

  let closing: Promise<void> | undefined;
  const running = ingest;
  return {
    ingest: running,
    breaches,
    metrics,
    writer,
    metricsPort,
    close() {
      closing ??= (async () => {
        clearInterval(tick);
        clearInterval(release);
        closed = true;
        await running.close();
        await breaches.idle();
        await writer.close(10_000);
        await writerJournal.close();
        ledger.persist();
        ledgerIndex.close();
        await new Promise<void>((r) => server.close(() => r()));
        if (!deps.store) await store.close();
      })();
      return closing;
    },
  };
}

/**
 * Readings the journal still holds were accepted by an earlier run that may have stopped before
 * committing them to the ledger: they are taken in again, segment by segment.
 */
async function recoverLedger(ledger: ReadingLedger, journal: Journal) {
  for (const segment of journal.sealed()) {
    const rows: LedgerRow[] = [];
    for (const line of await journal.read(segment)) {
      const r = parseTelemetryLine(line);
      if (r) rows.push(r);
    }
    ledger.recover(rows);
  }
}

/**
 * InfluxDB for the ledger's uncovered times. A lookup that fails is retried with backoff until it
 * succeeds (the device's messages, and acknowledgements after them, wait; the broker keeps them),
 * or until the ingest closes.
 */
function storedHistory(env: IngestEnv, log: Logger, closed: () => boolean): StoredHistory {
  const retrying = async <T>(what: string, deviceId: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (closed()) throw err;
        const delayMs = retryDelayMs(attempt, DEFAULT_RETRY, Math.random);
        log.warn(
          { err, deviceId, attempt, delayMs },
          `reading ledger: ${what} from InfluxDB failed; retrying`,
        );
        await sleep(delayMs);
      }
    }
  };
  return {
    newestMs: (deviceId, sinceMs) =>
      retrying('newest stored reading', deviceId, () => newestStoredReadingMs(env.influx, deviceId, sinceMs)),
    fieldSets: (deviceId, fromMs, toMs) =>
      retrying('stored readings', deviceId, () => readStoredFieldSets(env.influx, deviceId, fromMs, toMs)),
  };
}
