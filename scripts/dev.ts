// The whole pipeline on one machine, in one process, with a simulated fleet: local InfluxDB,
// broker, ingest, the HTTP API and the fleet simulator, whose devices first send hours of recorded
// journeys as store-and-forward backlogs and then go on live. Prints where to look. Ctrl-C stops
// everything in order. A later start goes on with the same data folder: same shipments, same
// operator token, and only the readings the devices took while the demo was stopped.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readApiEnv, startApi } from '@coldchain/api';
import { readBrokerEnv, startBroker } from '@coldchain/broker';
import { resolveSeedTime } from '@coldchain/fleet-simulator';
import { readIngestEnv, startIngest } from '@coldchain/ingest';
import { type DeviceKind, openMetadataStore } from '@coldchain/store';
import { ensureOperatorToken, ensureShareLink } from './demo-access.js';
import { watchAlerts } from './demo-alerts.js';
import {
  DEMO_FAULTS,
  DEMO_HISTORY_MS,
  DEMO_LIVE_INTERVAL_MS,
  type DemoFault,
  startDemoFleet,
} from './demo-fleet.js';
import { createDemoLogger } from './demo-log.js';
import { readDemoState, writeDemoState } from './demo-state.js';
import { provideStackInflux } from './stack-influx.js';

// Everything the demo writes in its data folder (secrets, databases, InfluxDB's files) is private to
// the user running it, as the services require.
process.umask(0o077);
const { log, pretty, serviceLevel } = createDemoLogger(process.env, process.stdout.isTTY === true);
const brokerEnv = readBrokerEnv(process.env);
const dataDir = brokerEnv.dataDir;
const startedMs = Date.now();

// What has started, in order; Ctrl-C (also during the start) closes it in reverse: the fleet, api,
// ingest (flushing its journal), broker, store, InfluxDB. Nothing is left running.
const running: Array<{ name: string; close: () => Promise<unknown> }> = [];
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    log.info(
      { signal },
      `stopping: ${running
        .map((r) => r.name)
        .reverse()
        .join(', ')}`,
    );
    const stoppedAt = Date.now();
    try {
      for (const r of running.reverse()) await r.close();
    } catch (err) {
      log.error({ err }, 'stopping failed');
      process.exit(1);
    }
    log.info(`stopped in ${Date.now() - stoppedAt} ms; data kept in ${dataDir}`);
    process.exit(0);
  });
}

const influx = await provideStackInflux(process.env, dataDir, (line) => log.info(line));
running.push({ name: 'InfluxDB', close: () => influx.stop() });
log.info({ url: influx.url, version: influx.version }, 'InfluxDB ready');

const saved = await readDemoState(dataDir);
const state = saved ?? { firstStartMs: Date.now() };
await writeDemoState(dataDir, state);

// Demo credentials: the ingest account is re-keyed on every start and its secret handed over in
// process; demo devices are provisioned once and their secrets kept (mode 0600) in the data folder
// for the simulator. A real fleet provisions devices with `pnpm --filter @coldchain/broker provision`.
const store = await openMetadataStore({ databaseUrl: brokerEnv.databaseUrl, file: brokerEnv.metadataFile });
running.push({ name: 'store', close: () => store.close() });
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

// Demo shipments from seeds/shipments.json, once, with their legs placed relative to the first
// start. On a first start they are recorded once the fleet's history is in InfluxDB, and judged
// over it as a late handover is: the engine sees each journey whole, never the silence before the
// backlog came (which would raise data-gap alerts that the backlog withdraws a moment later).
async function createShipments(): Promise<string[]> {
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
  const created: string[] = [];
  for (const shipment of seedShipments.shipments) {
    if (await store.getShipment(shipment.id)) continue;
    await store.createShipment({ ...shipment, description: shipment.goods });
    let handedOverBy: string | null = shipment.shipper;
    for (const leg of shipment.legs) {
      await store.addCustodyLeg({
        shipmentId: shipment.id,
        deviceId: leg.deviceId,
        holder: leg.holder,
        fromMs: resolveSeedTime(leg.from, state.firstStartMs),
        toMs: leg.to === null ? null : resolveSeedTime(leg.to, state.firstStartMs),
        handedOverBy,
        handoverTempC: null,
      });
      handedOverBy = leg.holder;
    }
    created.push(shipment.id);
  }
  return created;
}

/** Resolves once every device has connected and its backlog is acknowledged; false after `timeoutMs`. */
async function backlogSpooled(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    const s = fleet.stats();
    if (s.connected === s.devices && s.readingsAcked === s.readingsSent) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Resolves once every device has connected and sent its backlog (a device sends it on connecting),
 * the broker has acknowledged all of it and InfluxDB has confirmed as many lines; false after
 * `timeoutMs`. Readings an offline device still holds are not on their way, and not waited for.
 */
async function backlogWritten(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    const s = fleet.stats();
    if (
      s.connected === s.devices &&
      s.readingsAcked === s.readingsSent &&
      ingest.metrics.writtenLines >= s.readingsAcked
    )
      return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

if (saved === null && (await store.listShipments()).length > 0) {
  log.warn(
    `${dataDir} holds shipments of an earlier demo without its state: their legs do not match this demo's ` +
      'recorded history and faults; stop, delete the folder and start again for the demo as described',
  );
}
const operatorToken = await ensureOperatorToken(store, state.operatorToken);
await writeDemoState(dataDir, { ...state, operatorToken });

const broker = await startBroker(brokerEnv, log.child({ component: 'broker' }, { level: serviceLevel }), {
  store,
});
running.push({ name: 'broker', close: () => broker.close() });
const mqttUrl = `mqtt://${brokerEnv.host}:${broker.port}`;
const ingestEnv = readIngestEnv({
  ...process.env,
  MQTT_URL: mqttUrl,
  INGEST_MQTT_PASSWORD: ingestSecret,
  INFLUX_URL: influx.url,
  INFLUX_TOKEN: influx.token,
  INFLUX_ORG: influx.org,
  INFLUX_BUCKET: influx.bucket,
});
const apiEnv = readApiEnv({
  ...process.env,
  MQTT_URL: mqttUrl,
  API_MQTT_PASSWORD: apiSecret,
  INFLUX_URL: influx.url,
  INFLUX_TOKEN: influx.token,
  INFLUX_ORG: influx.org,
  INFLUX_BUCKET: influx.bucket,
});
const api = await startApi(apiEnv, log.child({ component: 'api' }, { level: serviceLevel }));
running.push({ name: 'api', close: () => api.close() });
const apiUrl = `http://${apiEnv.http.host}:${api.port}`;

const fleetLog = log.child({ component: 'fleet' }, { level: serviceLevel });
const fleet = await startDemoFleet({
  url: mqttUrl,
  credentials,
  firstStartMs: state.firstStartMs,
  ...(state.sentUntilMs === undefined ? {} : { sentUntilMs: state.sentUntilMs }),
  log: (line, fields) => fleetLog.info(fields ?? {}, line),
});
const firstStart = saved === null;
/** The recorded readings the devices hold at the start: hours of history on a first start. */
const backlogReadings = fleet.stats().readingsBuffered;
let sentUntilMs = state.sentUntilMs;
let shareLink = state.shareLink;
const saveProgress = () => writeDemoState(dataDir, { ...state, operatorToken, shareLink, sentUntilMs });
// Saved one interval late, and only from a moment when everything sent had been acknowledged and
// nothing was held: a crash then makes the next start send a few seconds again (the same readings:
// idempotent), never skip any.
let settledMs: number | undefined;
const progressTimer = setInterval(() => {
  const s = fleet.stats();
  if (settledMs !== undefined) sentUntilMs = settledMs;
  settledMs = s.readingsAcked === s.readingsSent && s.readingsBuffered === 0 ? s.eventTimeMs : undefined;
  void saveProgress().catch((err: unknown) => log.warn({ err }, 'could not save the demo state'));
}, 10_000);
running.push({
  name: 'fleet',
  close: async () => {
    clearInterval(progressTimer);
    await fleet.stop();
    // Stopped cleanly, every reading sent has been acknowledged. One a device still held (it was
    // offline) is not lost: the next start takes the readings from the last settled moment again.
    const s = fleet.stats();
    if (s.readingsBuffered === 0) sentUntilMs = s.eventTimeMs;
    await saveProgress();
  },
});
// The devices send their backlogs before the ingest starts: the broker spools every message until
// the ingest has its copy, and hands the spool over as soon as the ingest subscribes, before the
// ingest's first look at the wall clock could take the not-yet-arrived backlog for silence.
if (!(await backlogSpooled(60_000))) log.warn('the fleet has not sent all its backlog yet; going on');
// The ingest opens the store itself, with its dead-letter caps from the environment.
const ingest = await startIngest(ingestEnv, log.child({ component: 'ingest' }, { level: serviceLevel }));
// Stopped after the fleet and the api, before the broker.
running.splice(running.findIndex((r) => r.name === 'broker') + 1, 0, {
  name: 'ingest (flushing its journal)',
  close: () => ingest.close(),
});
if (!(await backlogWritten(120_000))) log.warn('the recorded history is not all in InfluxDB yet; going on');
for (const shipmentId of await createShipments()) await ingest.breaches.reevaluateShipment(shipmentId);
shareLink = await ensureShareLink(apiUrl, operatorToken, shareLink);
await saveProgress();

const ready = {
  dataDir,
  dashboardUrl: `${apiUrl}/app/`,
  apiUrl: `${apiUrl}/v1`,
  docsUrl: `${apiUrl}/v1/docs`,
  operatorToken,
  // The consignee's read-only page in the dashboard; the same token reads `/v1/shared/{token}`.
  shareUrl: `${apiUrl}/app/#/shared/${shareLink.token}`,
  sharedReportUrl: `${apiUrl}/v1/shared/${shareLink.token}/report?format=html`,
  sharedShipment: shareLink.shipmentId,
  mqttUrl,
  mqttWsUrl: `ws://${brokerEnv.host}:${broker.wsPort}`,
  influxUrl: influx.url,
  metricsUrl: `http://${ingestEnv.metrics.host}:${ingest.metricsPort}/metrics`,
  devices: Object.keys(credentials).length,
  shipments: (await store.listShipments()).length,
  firstStart,
  firstStartMs: state.firstStartMs,
  backlogReadings,
  readyInMs: Date.now() - startedMs,
};
if (pretty) {
  console.log(summary(ready, DEMO_FAULTS));
  // On a terminal the alerts are told as lines a person reads; JSON logs carry the ingest's own.
  const alerts = watchAlerts(store, (line) => log.info(line));
  running.push({ name: 'alert lines', close: async () => alerts.stop() });
} else log.info(ready, 'demo ready');

/** What a newcomer reads first: where to look, how to sign in, and what the demo will show. */
function summary(r: typeof ready, faults: readonly DemoFault[]): string {
  const stories = new Map<string, string>();
  for (const f of faults) stories.set(`${f.shipmentId}:${f.rule}`, `${f.shipmentId.padEnd(19)} ${f.story}`);
  const history = r.firstStart
    ? `${DEMO_HISTORY_MS / 3_600_000} h of recorded journeys sent as backlogs, then live every ${DEMO_LIVE_INTERVAL_MS / 1000} s`
    : `going on from the last run: ${r.backlogReadings} readings taken while it was stopped sent as backlogs`;
  return `
coldchain demo is running (ready in ${(r.readyInMs / 1000).toFixed(1)} s, data in ${r.dataDir})
  Dashboard    ${r.dashboardUrl}
  Sign in      operator token ${r.operatorToken}
  Consignee    ${r.shareUrl}
               (${r.sharedShipment}; its report: ${r.sharedReportUrl})
  API          ${r.apiUrl}   docs: ${r.docsUrl}
  MQTT         ${r.mqttUrl}   ${r.mqttWsUrl}
  InfluxDB     ${r.influxUrl}   metrics: ${r.metricsUrl}
  Fleet        ${r.devices} devices: ${history}
  Shipments    ${r.shipments}; what the alerts will show:
${[...stories.values()].map((s) => `    ${s}`).join('\n')}
Ctrl-C stops everything.`;
}
