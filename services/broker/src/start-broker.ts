import { makeDataDirPrivate } from '@coldchain/runtime';
import { type MetadataStore, openMetadataStore } from '@coldchain/store';
import type { AedesOptions } from 'aedes';
import type { Logger } from 'pino';
import { type ColdchainBroker, createBroker } from './create-broker.js';
import type { BrokerEnv } from './env.js';
import { importLegacySpool } from './legacy-spool.js';
import { listenTcp, listenWebSocket } from './listeners.js';
import { createPersistence } from './persistence.js';
import { createSpool } from './spool.js';

export interface RunningBroker {
  broker: ColdchainBroker;
  port: number;
  wsPort: number;
  /**
   * Orderly shutdown: stop accepting, disconnect clients (messages they were PUBACKed for are in
   * the spool), then close the spool and the store. Safe to call twice.
   */
  close(): Promise<void>;
}

/** Wires the broker to its stores and listeners from configuration. */
export async function startBroker(
  env: BrokerEnv,
  log: Logger,
  deps: { store?: MetadataStore } = {},
): Promise<RunningBroker> {
  makeDataDirPrivate(env.dataDir, log);
  const store =
    deps.store ?? (await openMetadataStore({ databaseUrl: env.databaseUrl, file: env.metadataFile }));
  const persistence = await createPersistence(env.persistence, { redisUrl: env.redisUrl });
  const spool = createSpool({
    dir: env.spoolDir,
    sync: env.spoolSync,
    matchContent: persistence.copiesPackets,
    onDamage: (d) => log.warn(d, 'spool: skipped a damaged record and the rest of its segment'),
  });
  const imported = await importLegacySpool(env.legacySpoolFile, spool);
  if (imported > 0)
    log.info({ messages: imported, file: env.legacySpoolFile }, 'imported the old SQLite spool');
  const broker = await createBroker({
    store,
    spool,
    log,
    maxPacketBytes: env.maxPacketBytes,
    rateLimit: env.rateLimit,
    connectionLimits: env.connectionLimits,
    refusalLog: env.refusalLog,
    statsIntervalMs: env.statsIntervalMs,
    ingestBatches: env.ingestBatches,
    heartbeatIntervalMs: env.heartbeatIntervalMs,
    routingHighWater: env.routingHighWater,
    offlineQueueMax: env.offlineQueueMax,
    revocationPollMs: env.revocationPollMs,
    persistence: persistence.aedes as AedesOptions['persistence'],
  });
  const stale = await broker.markStaleStatusOffline();
  if (stale > 0) log.info({ devices: stale }, 'devices left online by an earlier broker run marked offline');
  const tcp = await listenTcp(broker, { host: env.host, port: env.port, tls: env.tls });
  const ws = await listenWebSocket(broker, {
    host: env.host,
    port: env.wsPort,
    maxPacketBytes: env.maxPacketBytes,
  });
  log.info(
    {
      port: tcp.port,
      wsPort: ws.port,
      tls: Boolean(env.tls),
      persistence: persistence.kind,
      spooled: spool.depth(),
    },
    `broker listening on ${env.tls ? 'mqtts' : 'mqtt'}://${env.host}:${tcp.port} and ws://${env.host}:${ws.port}`,
  );
  let closing: Promise<void> | undefined;
  return {
    broker,
    port: tcp.port,
    wsPort: ws.port,
    close() {
      closing ??= (async () => {
        // A server only finishes closing once its connections have ended, so stop accepting
        // first, then disconnect every client, then wait for the listeners.
        const listeners = Promise.all([tcp.close(), ws.close()].map((p) => p.catch(() => {})));
        await broker.close();
        await listeners;
        await persistence.close();
        spool.close();
        if (!deps.store) await store.close();
      })();
      return closing;
    },
  };
}
