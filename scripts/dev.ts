// The whole pipeline on one machine, in one process, with a simulated fleet: local InfluxDB,
// broker, ingest, the HTTP API and the fleet simulator. Prints where to look. Ctrl-C stops everything in order.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readApiEnv, startApi } from '@coldchain/api';
import { readBrokerEnv, startBroker } from '@coldchain/broker';
import { resolveSeedTime } from '@coldchain/fleet-simulator';
import { defaultCacheDir, provideInflux } from '@coldchain/influx';
import { readIngestEnv, startIngest } from '@coldchain/ingest';
import { type DeviceKind, openMetadataStore } from '@coldchain/store';
import { pino } from 'pino';
import { startDemoFleet } from './demo-fleet.js';

const log = pino({ name: 'dev', level: process.env.LOG_LEVEL ?? 'info' });
const brokerEnv = readBrokerEnv(process.env);
const dataDir = brokerEnv.dataDir;

const influx = await provideInflux({
  external: process.env.INFLUX_URL
    ? {
        url: process.env.INFLUX_URL,
        token: process.env.INFLUX_TOKEN ?? '',
        org: process.env.INFLUX_ORG ?? 'coldchain',
        bucket: process.env.INFLUX_BUCKET ?? 'telemetry',
      }
    : undefined,
  dataDir: join(dataDir, 'influxdb'),
  cacheDir: defaultCacheDir(process.env),
  path: process.env.PATH ?? '',
  progress: (line) => log.info(line),
});
log.info({ url: influx.url, version: influx.version }, 'InfluxDB ready');

// Demo credentials: the ingest account is re-keyed on every start and its secret handed over in
// process; demo devices are provisioned once and their secrets kept (mode 0600) in the data folder
// for the simulator. A real fleet provisions devices with `pnpm --filter @coldchain/broker provision`.
const store = await openMetadataStore({ databaseUrl: brokerEnv.databaseUrl, file: brokerEnv.metadataFile });
const ingestSecret = await store.provisionServiceAccount('ingest', 'ingest');
const apiSecret = await store.provisionServiceAccount('api', 'api');
const credentialsFile = join(dataDir, 'demo-device-credentials.json');
const credentials: Record<string, string> = JSON.parse(
  await readFile(credentialsFile, 'utf8').catch(() => '{}'),
);
const seedDevices = JSON.parse(await readFile(new URL('../seeds/devices.json', import.meta.url), 'utf8')) as {
  devices: Array<{ id: string; kind: DeviceKind; name: string }>;
};
for (const d of seedDevices.devices) {
  if (credentials[d.id]) continue;
  credentials[d.id] = (await store.getDevice(d.id))
    ? await store.rotateDeviceSecret(d.id)
    : (await store.provisionDevice({ id: d.id, kind: d.kind, name: d.name })).secret;
}
await writeFile(credentialsFile, JSON.stringify(credentials, null, 2));
await chmod(credentialsFile, 0o600);

// Demo shipments from seeds/shipments.json, once. The legs still open in the seed start one settle
// period (of the shipment's profile) before this first run, so the breach engine judges the
// fleet's readings from the start; earlier legs are kept as the custody record.
const seedShipments = JSON.parse(
  await readFile(new URL('../seeds/shipments.json', import.meta.url), 'utf8'),
) as {
  shipments: Array<{
    id: string;
    profileId: string;
    goods: string;
    shipper: string;
    consignee: string;
    legs: Array<{ deviceId: string; holder: string; from: string; to: string | null }>;
  }>;
};
const settleMs = new Map(
  (
    JSON.parse(await readFile(new URL('../seeds/profiles.json', import.meta.url), 'utf8')) as {
      profiles: Array<{ id: string; settleMs: number }>;
    }
  ).profiles.map((p) => [p.id, p.settleMs]),
);
for (const shipment of seedShipments.shipments) {
  if (await store.getShipment(shipment.id)) continue;
  const openedAtMs = Date.now() - (settleMs.get(shipment.profileId) ?? 0);
  await store.createShipment({ ...shipment, description: shipment.goods });
  let handedOverBy: string | null = shipment.shipper;
  for (const leg of shipment.legs) {
    const fromMs = Math.min(resolveSeedTime(leg.from, Date.now()), openedAtMs);
    const toMs = leg.to === null ? null : Math.min(resolveSeedTime(leg.to, Date.now()), openedAtMs);
    await store.addCustodyLeg({
      shipmentId: shipment.id,
      deviceId: leg.deviceId,
      holder: leg.holder,
      fromMs: leg.to === null ? openedAtMs : fromMs,
      toMs,
      handedOverBy,
      handoverTempC: null,
    });
    handedOverBy = leg.holder;
  }
}

const broker = await startBroker(brokerEnv, log.child({ component: 'broker' }), { store });
const ingestEnv = readIngestEnv({
  ...process.env,
  MQTT_URL: `mqtt://${brokerEnv.host}:${broker.port}`,
  INGEST_MQTT_PASSWORD: ingestSecret,
  INFLUX_URL: influx.url,
  INFLUX_TOKEN: influx.token,
  INFLUX_ORG: influx.org,
  INFLUX_BUCKET: influx.bucket,
});
// The ingest opens the store itself, with its dead-letter caps from the environment.
const ingest = await startIngest(ingestEnv, log.child({ component: 'ingest' }));
const apiEnv = readApiEnv({
  ...process.env,
  MQTT_URL: `mqtt://${brokerEnv.host}:${broker.port}`,
  API_MQTT_PASSWORD: apiSecret,
  INFLUX_URL: influx.url,
  INFLUX_TOKEN: influx.token,
  INFLUX_ORG: influx.org,
  INFLUX_BUCKET: influx.bucket,
});
const api = await startApi(apiEnv, log.child({ component: 'api' }));
const fleet = await startDemoFleet({
  url: `mqtt://${brokerEnv.host}:${broker.port}`,
  credentials,
  log: (line) => log.info({ component: 'fleet' }, line),
});

console.log(`
coldchain is running (data in ${dataDir})
  MQTT             mqtt://${brokerEnv.host}:${broker.port}   ws://${brokerEnv.host}:${broker.wsPort}
  InfluxDB         ${influx.url}   org ${influx.org}, bucket ${influx.bucket}
                   token ${influx.token}
  HTTP API         http://${apiEnv.http.host}:${api.port}/v1   reference: http://${apiEnv.http.host}:${api.port}/v1/docs
                   admin token: COLDCHAIN_ADMIN_TOKEN, or the one printed above at the first start
  ingest metrics   http://${ingestEnv.metrics.host}:${ingest.metricsPort}/metrics
  simulated fleet  ${Object.keys(credentials).length} devices (credentials in ${credentialsFile})
  shipments        ${(await store.listShipments()).length} demo shipments from seeds/shipments.json; alerts on MQTT
                   coldchain/v1/alerts/# (api account) and in ${brokerEnv.metadataFile}
  try: influx query or curl -H "Authorization: Token ${influx.token}" ${influx.url}/api/v2/query?org=${influx.org} \\
         -H 'Content-Type: application/vnd.flux' -d 'from(bucket:"${influx.bucket}") |> range(start:-5m) |> limit(n:3)'
  dashboard        http://${apiEnv.http.host}:${api.port}/app/   (sign in with an API token, e.g. the admin's)
Ctrl-C stops everything.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: fleet, api, ingest (flushing its journal), broker, InfluxDB');
    const started = Date.now();
    try {
      await fleet.stop();
      await api.close();
      await ingest.close();
      await broker.close();
      await store.close();
      await influx.stop();
    } catch (err) {
      log.error({ err }, 'stopping failed');
      process.exit(1);
    }
    log.info(`stopped in ${Date.now() - started} ms; data kept in ${dataDir}`);
    process.exit(0);
  });
}
