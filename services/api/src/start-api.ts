import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { parseProfiles } from '@coldchain/coldchain';
import { makeDataDirPrivate } from '@coldchain/runtime';
import { openMetadataStore } from '@coldchain/store';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import { ensureAdminToken } from './auth/admin-bootstrap.js';
import { createApi } from './create-api.js';
import type { ApiEnv } from './env.js';
import { loadReportSigningKey } from './integrity/signing-key.js';
import { createAlertFeed } from './live/alert-feed.js';
import { loadShareSecret } from './sharing/share-token.js';

/**
 * Starts the api: the metadata store, the MQTT feed of alerts and device status (as the `api`
 * service account), and the HTTP server. `close()` stops accepting, ends open streams, then closes
 * the feed and the store; it can be called twice.
 */
export async function startApi(env: ApiEnv, log: Logger) {
  makeDataDirPrivate(env.dataDir, log);
  const profiles = new Map(
    parseProfiles(JSON.parse(await readFile(env.profilesFile, 'utf8'))).map((p) => [p.id, p]),
  );
  const store = await openMetadataStore({
    databaseUrl: env.databaseUrl,
    file: env.metadataFile,
    deadLetters: { file: env.deadLetterFile },
  });
  const bootstrap = await ensureAdminToken(store, env.adminToken);
  if (bootstrap.generated)
    log.warn(
      { adminToken: bootstrap.generated },
      'generated the first admin token; it is shown only now: keep it (or set COLDCHAIN_ADMIN_TOKEN)',
    );
  const feed = createAlertFeed({
    mqttUrl: env.mqtt.url,
    username: env.mqtt.username,
    password: env.mqtt.password,
    clientId: env.mqtt.clientId,
    log: log.child({ component: 'alert-feed' }),
  });
  const { app } = createApi({
    store,
    influx: env.influx,
    profiles,
    feed,
    log,
    authFailuresPerMin: env.authFailuresPerMin,
    tokenCacheMs: env.tokenCacheMs,
    historyCacheChunks: env.historyCacheChunks,
    readingsCacheChunks: env.readingsCacheChunks,
    streamsPerUser: env.streamsPerUser,
    secrets: {
      reportSigningKey: loadReportSigningKey(env.dataDir),
      shareLinkSecret: loadShareSecret(env.dataDir),
    },
  });
  const server = serve({ fetch: app.fetch, hostname: env.http.host, port: env.http.port });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: env.http.host, port }, `api listening on http://${env.http.host}:${port}/v1/docs`);

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Event streams never end by themselves: close idle and streaming sockets too.
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await feed.close();
        await store.close();
      })();
      return closing;
    },
  };
}
