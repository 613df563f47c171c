// Benchmarks the HTTP API's answers about one shipment on this machine: a 30-day shipment at one
// reading a minute (about 43,000 points) across three custody legs on two devices, in a bucket that
// also holds background devices over the same period. Per route — downsampled history (15-minute
// windows over the 30 days), raw history of one day (paged), excursions, custody chain — p50/p95 over
// sequential requests and with concurrent clients, through the API over HTTP, side by side with the
// same Flux query sent straight to InfluxDB (the custody chain: the same read straight from the store).
// Not a test: it prints figures and the goal, and stops by itself.
//
//   pnpm bench:api [--requests 50] [--clients 10] [--per-client 10] [--warmup 5] [--days 30]
//                  [--background-devices 8] [--raw-page 1000] [--direct-only] [--no-build]
//
// The API runs compiled (`node services/api/dist/main.js`); until it is built the HTTP side is skipped
// and only the direct side is measured.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type HistoryLeg,
  type InfluxConnection,
  legPointsHistoryFlux,
  readingToLine,
  windowedHistoryFlux,
} from '@coldchain/influx';
import type { Reading } from '@coldchain/schema';
import { type MetadataStore, openMetadataStore } from '@coldchain/store';
import { InfluxDB } from '@influxdata/influxdb-client';
import { provision } from '../support/broker.js';
import { repoRoot, startService } from '../support/service-process.js';
import { startColdchainBroker } from './broker-under-test.js';
import { cleanUp, cleanUpOnExit, onCleanup } from './cleanup.js';
import { describeMachine, intOption as int, progressPrinter } from './ingest-measure.js';
import {
  buildServices,
  findOrBuildInfluxd,
  finishCleanupOnRepeatedSignals,
  percentile,
  startThrowawayInflux,
} from './ingest-pipeline.js';
import { goalLine, ratio } from './report.js';

/** The goal for the downsampled history: the API at most this much slower than InfluxDB alone, and its p95. */
const GOAL_RATIO = 1.5;
const GOAL_P95_MS = 100;

const MIN = 60_000;
const DAY = 86_400_000;
const SHIPMENT_ID = 'BENCH-30D';
const TRUCK = 'bench-truck';
const ROOM = 'bench-cold-room';
const PROFILE_ID = 'pharma-2-8';
const TIME_ZONE = 'Asia/Shanghai';

const ROUTES = [
  'downsampled history',
  'raw history, one day',
  'excursions',
  'custody chain',
  'report, JSON',
  'report, PDF',
] as const;
type RouteName = (typeof ROUTES)[number];
/** Short names of the routes for `--routes`, in the order of ROUTES. */
const ROUTE_KEYS = ['windows', 'raw', 'excursions', 'custody', 'report', 'pdf'] as const;
/** The report's goals: JSON p95 under 300 ms, PDF p95 under 1 s. */
const REPORT_GOALS_MS: Partial<Record<RouteName, number>> = { 'report, JSON': 300, 'report, PDF': 1000 };

function routeList(text: string): RouteName[] {
  const names = text.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(ROUTE_KEYS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    console.error(`--routes: unknown ${unknown.join(', ')}; choose from ${ROUTE_KEYS.join(', ')}`);
    process.exit(2);
  }
  return ROUTES.filter((_, i) => names.includes(ROUTE_KEYS[i] as string));
}
/** One full answer (every page of it); resolves with its size (bytes over HTTP, rows or legs directly). */
type Route = () => Promise<number>;

const args = readArgs();
const say = progressPrinter();

await main();

async function main() {
  cleanUpOnExit(20 * 60_000);
  finishCleanupOnRepeatedSignals();
  if (args.build) buildServices(say);
  say(`machine: ${describeMachine()}`);
  say(
    `load average before starting: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const influxd = await findOrBuildInfluxd((line) => say(`influxd: ${line}`));
  const workDir = mkdtempSync(join(tmpdir(), 'coldchain-bench-api-'));
  onCleanup(() => rmSync(workDir, { recursive: true, force: true }));
  const influx = await startThrowawayInflux(influxd, workDir);
  say(`InfluxDB ${influx.version} at ${influx.url}`);

  const shipment = plannedShipment();
  await seedInflux(influx, shipment);
  const dataDir = join(workDir, 'data');
  mkdirSync(dataDir);
  const store = await seedMetadata(dataDir, shipment);
  onCleanup(() => store.close());

  const direct = directRoutes(influx, store, shipment);
  const api = args.directOnly ? null : await startApiUnderTest(dataDir, influx);
  const http = api ? httpRoutes(api.baseUrl, api.adminToken, shipment) : null;

  const results: RouteResult[] = [];
  for (const name of args.routes) {
    say(`measuring: ${name}, straight to ${name === 'custody chain' ? 'the store' : 'InfluxDB'}`);
    const directFigures = await measure(direct[name]);
    let httpFigures: Figures | null = null;
    if (http) {
      say(`measuring: ${name}, through the API`);
      httpFigures = await measure(http[name]);
    }
    results.push({ name, direct: directFigures, http: httpFigures });
  }
  printReport(results, api !== null);
  await cleanUp();
  process.exit(0);
}

// --- The shipment -------------------------------------------------------------------------------

interface PlannedShipment {
  fromMs: number;
  toMs: number;
  legs: HistoryLeg[];
  /** The day the raw history is read of: one whole local day in the middle leg. */
  rawDay: { fromMs: number; toMs: number };
}

/**
 * The last `--days` whole UTC days: the truck loads, hands over to a cold room on day 10 and takes the
 * goods back on day 20. Handovers fall inside a 15-minute window, so windows across them combine legs.
 */
function plannedShipment(): PlannedShipment {
  const toMs = Math.floor(Date.now() / DAY) * DAY;
  const fromMs = toMs - args.days * DAY;
  const first = fromMs + Math.floor(args.days / 3) * DAY + 3 * 3_600_000 + 7 * MIN + 30_000;
  const second = fromMs + Math.floor((2 * args.days) / 3) * DAY + 6 * 3_600_000 + 11 * MIN;
  const legs: HistoryLeg[] = [
    { legId: 1, deviceId: TRUCK, holder: 'Dalian Haiyun Logistics', fromMs, toMs: first },
    { legId: 2, deviceId: ROOM, holder: 'Shenyang Cold Store', fromMs: first, toMs: second },
    { legId: 3, deviceId: TRUCK, holder: 'Dalian Haiyun Logistics', fromMs: second, toMs },
  ];
  const rawDayStart = first + DAY - (first % DAY) - 8 * 3_600_000; // local midnight after the handover
  return { fromMs, toMs, legs, rawDay: { fromMs: rawDayStart, toMs: rawDayStart + DAY } };
}

/**
 * One reading a minute per device. The shipment's two devices record for a day more on either side
 * and between their legs (they carry other goods then); the background devices over the same period.
 * The truck has a position and a 40-minute excursion above 8 °C; doors open a few minutes every 6 h.
 */
function readingAt(deviceIndex: number, i: number, tsMs: number, vehicle: boolean): Reading {
  const phase = deviceIndex * 37;
  const product = 5 + 1.5 * Math.sin((i + phase) / 181);
  const excursion = deviceIndex === 0 && i % (5 * 1440) >= 600 && i % (5 * 1440) < 640;
  const r: Reading = {
    tsMs,
    seq: i,
    temp: { air: 5 + 2 * Math.sin((i + phase) / 47), product: excursion ? 9.4 : product },
    rh: 60 + 10 * Math.sin((i + phase) / 97),
  };
  if (i % 360 < 3) r.door = i % 360 !== 2;
  if (i % 10 === 0) r.battery = 100 - (i % 1440) / 20;
  if (vehicle) {
    r.lat = 38.91 + 2.9 * Math.sin((i + phase) / 4000);
    r.lon = 121.61 + 1.8 * Math.cos((i + phase) / 4000);
  }
  return r;
}

async function seedInflux(influx: InfluxConnection, shipment: PlannedShipment): Promise<void> {
  const startedAt = performance.now();
  const writer = new InfluxDB({ url: influx.url, token: influx.token, timeout: 120_000 }).getWriteApi(
    influx.org,
    influx.bucket,
    'ms',
    { batchSize: 10_000, gzipThreshold: 1000 },
  );
  const devices = [
    { id: TRUCK, vehicle: true, fromMs: shipment.fromMs - DAY, toMs: shipment.toMs + DAY },
    { id: ROOM, vehicle: false, fromMs: shipment.fromMs - DAY, toMs: shipment.toMs + DAY },
    ...Array.from({ length: args.backgroundDevices }, (_, k) => ({
      id: `bench-background-${k + 1}`,
      vehicle: k % 2 === 0,
      fromMs: shipment.fromMs,
      toMs: shipment.toMs,
    })),
  ];
  let points = 0;
  for (const [index, device] of devices.entries()) {
    for (let tsMs = device.fromMs, i = 0; tsMs < device.toMs; tsMs += MIN, i++) {
      writer.writeRecord(readingToLine(device.id, readingAt(index, i, tsMs, device.vehicle)));
      points++;
    }
    await writer.flush();
  }
  await writer.close();
  const inShipment = shipment.legs.reduce(
    (n, leg) => n + ((leg.toMs ?? shipment.toMs) - leg.fromMs) / MIN,
    0,
  );
  const seconds = (performance.now() - startedAt) / 1000;
  say(
    `seeded ${points.toLocaleString('en-US')} points (${Math.round(inShipment).toLocaleString('en-US')} in the ` +
      `shipment, ${devices.length} devices) in ${seconds.toFixed(1)} s`,
  );
}

/** The shipment and its custody chain in the data folder's store, where the API reads them. */
async function seedMetadata(dataDir: string, shipment: PlannedShipment): Promise<MetadataStore> {
  await provision(dataDir, {
    devices: [
      { id: TRUCK, kind: 'vehicle' },
      { id: ROOM, kind: 'cold-room' },
    ],
  });
  const store = await openMetadataStore({ file: join(dataDir, 'metadata.db') });
  await store.createShipment({
    id: SHIPMENT_ID,
    profileId: PROFILE_ID,
    shipper: 'Dalian Pharma',
    consignee: 'Shenyang Central Hospital',
    goods: 'Insulin, 400 cartons',
    plannedDepartureMs: shipment.fromMs,
    plannedArrivalMs: shipment.toMs,
  });
  let previous: HistoryLeg | null = null;
  for (const leg of shipment.legs) {
    await store.addCustodyLeg({
      shipmentId: SHIPMENT_ID,
      deviceId: leg.deviceId,
      holder: leg.holder,
      fromMs: leg.fromMs,
      toMs: leg.toMs,
      handedOverBy: previous?.holder ?? 'Dalian Pharma',
      handoverTempC: 5,
    });
    previous = leg;
  }
  return store;
}

// --- The two sides ------------------------------------------------------------------------------

interface ApiUnderTest {
  baseUrl: string;
  adminToken: string;
}

/**
 * The API as production runs it, against the benchmark's InfluxDB and data folder, with a broker for its
 * MQTT connection (service account `api`). Null when it is not built yet.
 */
async function startApiUnderTest(dataDir: string, influx: InfluxConnection): Promise<ApiUnderTest | null> {
  const entry = join(repoRoot, 'services', 'api', 'dist', 'main.js');
  if (!existsSync(entry)) {
    say(`${entry} is missing: the API is not built yet, so only the direct side is measured`);
    return null;
  }
  const { api: account } = await provision(dataDir, { services: [{ id: 'api', role: 'api' }] });
  const broker = await startColdchainBroker(dataDir, {});
  const adminToken = randomBytes(24).toString('base64url');
  const service = startService(
    'api',
    {
      COLDCHAIN_DATA_DIR: dataDir,
      API_PORT: '0',
      API_HOST: '127.0.0.1',
      INFLUX_URL: influx.url,
      INFLUX_TOKEN: influx.token,
      INFLUX_ORG: influx.org,
      INFLUX_BUCKET: influx.bucket,
      MQTT_URL: broker.url,
      API_MQTT_PASSWORD: account?.password ?? '',
      COLDCHAIN_ADMIN_TOKEN: adminToken,
    },
    { built: true },
  );
  onCleanup(() => service.stop());
  const ready = await service.waitForLog((l) => typeof l.port === 'number', 60_000);
  const baseUrl = `http://127.0.0.1:${ready.port as number}`;
  say(`API at ${baseUrl} (pid ${service.child.pid})`);
  return { baseUrl, adminToken };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The API's routes (DESIGN.md §5), one function each; the raw history follows `nextCursor` to the end. */
function httpRoutes(
  baseUrl: string,
  adminToken: string,
  shipment: PlannedShipment,
): Record<RouteName, Route> {
  const headers = { authorization: `Bearer ${adminToken}` };
  const base = `${baseUrl}/v1/shipments/${encodeURIComponent(SHIPMENT_ID)}`;
  const get = async (url: string) => {
    const res = await fetch(url, { headers });
    const body = await res.text();
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${body.slice(0, 300)}`);
    return body;
  };
  const range = (r: { fromMs: number; toMs: number }) => `from=${iso(r.fromMs)}&to=${iso(r.toMs)}`;
  return {
    'downsampled history': async () => (await get(`${base}/history?${range(shipment)}&every=15m`)).length,
    'raw history, one day': async () => {
      let bytes = 0;
      let cursor: string | null = null;
      for (let page = 0; ; page++) {
        if (page > 10_000) throw new Error('the raw history does not end: nextCursor after 10,000 pages');
        const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
        const body = await get(`${base}/history?${range(shipment.rawDay)}${query}`);
        bytes += body.length;
        cursor = (JSON.parse(body) as { nextCursor?: string | null }).nextCursor ?? null;
        if (cursor === null) return bytes;
      }
    },
    excursions: async () => (await get(`${base}/excursions`)).length,
    'custody chain': async () => (await get(`${base}/custody`)).length,
    'report, JSON': async () => (await get(`${base}/report?format=json`)).length,
    'report, PDF': async () => {
      const res = await fetch(`${base}/report?format=pdf`, { headers });
      const bytes = (await res.arrayBuffer()).byteLength;
      if (!res.ok) throw new Error(`GET report PDF: HTTP ${res.status}`);
      return bytes;
    },
  };
}

/**
 * The same work without the API: the Flux text the API's history module sends, straight to InfluxDB
 * with its client (rows parsed, as any client gets them); the custody chain from the store itself.
 */
function directRoutes(
  influx: InfluxConnection,
  store: MetadataStore,
  shipment: PlannedShipment,
): Record<RouteName, Route> {
  const queryApi = new InfluxDB({ url: influx.url, token: influx.token, timeout: 60_000 }).getQueryApi(
    influx.org,
  );
  const rows = (flux: string | null) =>
    flux === null ? Promise.resolve([]) : queryApi.collectRows<Record<string, unknown>>(flux);
  const windowed = windowedHistoryFlux(influx.bucket, shipment.legs, {
    fromMs: shipment.fromMs,
    toMs: shipment.toMs,
    every: '15m',
    timeZone: TIME_ZONE,
  });
  // The engine needs every reading of every leg: one query, one page.
  const allReadings = legPointsHistoryFlux(influx.bucket, shipment.legs, {
    fromMs: shipment.fromMs,
    toMs: shipment.toMs,
    limit: 10_000_000,
  });
  return {
    'downsampled history': async () => (await rows(windowed)).length,
    'raw history, one day': async () => {
      let count = 0;
      let afterMs: number | undefined;
      for (;;) {
        const page = await rows(
          legPointsHistoryFlux(influx.bucket, shipment.legs, {
            ...shipment.rawDay,
            limit: args.rawPage,
            ...(afterMs === undefined ? {} : { afterMs }),
          }),
        );
        count += Math.min(page.length, args.rawPage);
        if (page.length <= args.rawPage) return count;
        afterMs = Date.parse(String(page[args.rawPage - 1]?._time));
      }
    },
    excursions: async () => (await rows(allReadings)).length,
    'custody chain': async () => (await store.legsOfShipment(SHIPMENT_ID)).length,
    // A report rests on every reading of every leg: reading them is its floor.
    'report, JSON': async () => (await rows(allReadings)).length,
    'report, PDF': async () => (await rows(allReadings)).length,
  };
}

// --- Measuring ----------------------------------------------------------------------------------

interface Figures {
  /** Latencies in ms, sorted. */
  sequential: number[];
  concurrent: number[];
  /** The size of one answer, as the route reports it. */
  size: number;
  /** The first request's latency, before any warm-up. */
  firstMs: number;
}

interface RouteResult {
  name: RouteName;
  direct: Figures;
  http: Figures | null;
}

async function timed(route: Route): Promise<{ ms: number; size: number }> {
  const startedAt = performance.now();
  const size = await route();
  return { ms: performance.now() - startedAt, size };
}

/** Warm-up requests, then `--requests` one after another, then `--clients` at once, `--per-client` each. */
async function measure(route: Route): Promise<Figures> {
  // The very first request, before anything is cached by InfluxDB or the API.
  const first = await timed(route);
  let size = first.size;
  for (let i = 1; i < args.warmup; i++) size = (await timed(route)).size;
  const sequential: number[] = [];
  for (let i = 0; i < args.requests; i++) {
    const t = await timed(route);
    sequential.push(t.ms);
    size = t.size;
  }
  const concurrent: number[] = [];
  await Promise.all(
    Array.from({ length: args.clients }, async () => {
      for (let i = 0; i < args.perClient; i++) concurrent.push((await timed(route)).ms);
    }),
  );
  const sort = (xs: number[]) => xs.sort((a, b) => a - b);
  return { sequential: sort(sequential), concurrent: sort(concurrent), size, firstMs: first.ms };
}

function printReport(results: RouteResult[], withApi: boolean): void {
  const ms = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(1));
  const header = [
    'route',
    'clients',
    'API p50 ms',
    'API p95 ms',
    'direct p50 ms',
    'direct p95 ms',
    'p95 ratio',
  ];
  const cells: string[][] = [];
  for (const r of results) {
    for (const mode of ['sequential', 'concurrent'] as const) {
      const api = r.http?.[mode];
      const direct = r.direct[mode];
      const q = ratio(api && percentile(api, 95), percentile(direct, 95));
      cells.push([
        r.name,
        mode === 'sequential' ? '1' : String(args.clients),
        ms(api && percentile(api, 50)),
        ms(api && percentile(api, 95)),
        ms(percentile(direct, 50)),
        ms(percentile(direct, 95)),
        q === undefined ? 'n/a' : `${q.toFixed(2)}×`,
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join(' | ');
  console.log(
    `\nShipment ${SHIPMENT_ID}: ${args.days} days at one reading a minute, 3 legs on 2 devices, ` +
      `${args.backgroundDevices} background devices. ${args.requests} sequential requests, then ` +
      `${args.clients} clients × ${args.perClient}. Direct: the same Flux via @influxdata/influxdb-client ` +
      '(the custody chain: the same read from the store).\n',
  );
  console.log([line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n'));
  console.log('\nanswer sizes (one request):');
  for (const r of results) {
    const direct =
      r.name === 'custody chain' ? `${r.direct.size} legs` : `${r.direct.size.toLocaleString('en-US')} rows`;
    const api = r.http ? `, API ${r.http.size.toLocaleString('en-US')} bytes` : '';
    console.log(`  ${r.name}: direct ${direct}${api}`);
  }
  console.log('\nfirst request of each route (nothing cached yet), ms:');
  for (const r of results) {
    const api = r.http ? `, API ${r.http.firstMs.toFixed(1)}` : '';
    console.log(`  ${r.name}: direct ${r.direct.firstMs.toFixed(1)}${api}`);
  }
  const downsampled = results.find((r) => r.name === 'downsampled history');
  const apiP95 = downsampled?.http ? percentile(downsampled.http.sequential, 95) : undefined;
  const directP95 = downsampled ? percentile(downsampled.direct.sequential, 95) : undefined;
  const q = ratio(apiP95, directP95);
  console.log(
    `\ngoals (downsampled history, 15-minute windows over ${args.days} days, sequential requests):`,
  );
  console.log(
    goalLine(
      `API p95 under ${GOAL_P95_MS} ms`,
      apiP95 === undefined ? undefined : apiP95 < GOAL_P95_MS,
      `${ms(apiP95)} ms`,
    ),
  );
  console.log(
    goalLine(
      `API p95 within ${GOAL_RATIO}× of the Flux query alone`,
      q === undefined ? undefined : q <= GOAL_RATIO,
      q === undefined ? 'n/a' : `${q.toFixed(2)}×`,
    ),
  );
  console.log(
    `  (direct p95 alone: ${ms(directP95)} ms${directP95 !== undefined && directP95 >= GOAL_P95_MS ? ', over the goal before the API adds anything' : ''})`,
  );
  for (const r of results) {
    const goal = REPORT_GOALS_MS[r.name];
    if (goal === undefined) continue;
    const p95 = r.http ? percentile(r.http.sequential, 95) : undefined;
    console.log(
      goalLine(
        `${r.name}: API p95 under ${goal} ms`,
        p95 === undefined ? undefined : p95 < goal,
        `${ms(p95)} ms`,
      ),
    );
  }
  if (!withApi) console.log('\nThe API is not built yet (services/api/dist/main.js): its columns are n/a.');
}

function readArgs() {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '50' },
      clients: { type: 'string', default: '10' },
      'per-client': { type: 'string', default: '10' },
      warmup: { type: 'string', default: '5' },
      days: { type: 'string', default: '30' },
      'background-devices': { type: 'string', default: '8' },
      'raw-page': { type: 'string', default: '1000' },
      'direct-only': { type: 'boolean', default: false },
      routes: { type: 'string', default: ROUTE_KEYS.join(',') },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: pnpm bench:api [options]
  --requests N            sequential requests per route and side (50)
  --clients N             concurrent clients afterwards (10), each making --per-client N requests (10)
  --warmup N              requests per route and side before measuring (5)
  --days N                length of the shipment, one reading a minute (30)
  --background-devices N  other devices recording over the same period (8)
  --raw-page N            page size of the direct raw-history queries (1000)
  --direct-only           measure InfluxDB and the store alone, even when the API is built
  --routes LIST           which routes, comma-separated: ${ROUTE_KEYS.join(',')} (all)
  --no-build              do not run tsc -b first (the services run compiled, from dist/)`);
    process.exit(0);
  }
  return {
    requests: int('requests', values.requests, 1, 100_000),
    clients: int('clients', values.clients, 1, 1000),
    perClient: int('per-client', values['per-client'], 1, 100_000),
    warmup: int('warmup', values.warmup, 0, 1000),
    days: int('days', values.days, 3, 366),
    backgroundDevices: int('background-devices', values['background-devices'], 0, 1000),
    rawPage: int('raw-page', values['raw-page'], 1, 1_000_000),
    directOnly: values['direct-only'],
    routes: routeList(values.routes),
    build: !values['no-build'],
  };
}
