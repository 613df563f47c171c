import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DEMO_FAULTS,
  DEMO_HEALTHY_SHIPMENTS,
  DEMO_HISTORY_INTERVAL_MS,
  DEMO_HISTORY_MS,
} from '../../scripts/demo-fleet.js';
import { eventually, readSse, type SseEvent } from '../support/api.js';
import { ARTIFACTS_DIR, launchChromium, screenshots } from '../support/browser.js';
import { type LogLine, onLogLines, repoRoot } from '../support/service-process.js';

// `pnpm dev` as a newcomer runs it, on free ports, against the run's InfluxDB: the recorded
// journeys of every device, the alert of every planned fault, the live fault's alert on the SSE
// stream within two minutes, nothing for the healthy shipments; Ctrl-C, and a second start that
// goes on with the same data.

const influx = inject('influx');
const MINUTE = 60_000;

interface Ready {
  dashboardUrl: string;
  apiUrl: string;
  docsUrl: string;
  operatorToken: string;
  shareUrl: string;
  sharedReportUrl: string;
  sharedShipment: string;
  mqttUrl: string;
  devices: number;
  shipments: number;
  firstStart: boolean;
  firstStartMs: number;
  backlogReadings: number;
}

interface Alert {
  id: number;
  rule: string;
  severity: string;
  shipmentId: string;
  deviceId: string;
  status: string;
  detail: string | null;
  resolutionNote?: string | null;
}

interface Demo {
  child: ChildProcess;
  logs: LogLine[];
  stderr: () => string;
  ready: Promise<Ready>;
  exited: Promise<number | null>;
}

/** `scripts/dev.ts` as its own process (node with tsx as a loader, as `pnpm dev` runs it), JSON logs. */
function startDemo(dataDir: string): Demo {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(repoRoot, 'scripts', 'dev.ts')],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        COLDCHAIN_DATA_DIR: dataDir,
        MQTT_PORT: '0',
        MQTT_WS_PORT: '0',
        API_PORT: '0',
        INGEST_METRICS_PORT: '0',
        INFLUX_URL: influx.url,
        INFLUX_TOKEN: influx.token,
        INFLUX_ORG: influx.org,
        INFLUX_BUCKET: influx.bucket,
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: LogLine[] = [];
  let stderr = '';
  let resolveReady: (r: Ready) => void = () => {};
  const ready = new Promise<Ready>((resolve) => {
    resolveReady = resolve;
  });
  onLogLines(child.stdout, (line) => {
    logs.push(line);
    if (line.msg === 'demo ready') resolveReady(line as unknown as Ready);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, logs, stderr: () => stderr, ready, exited };
}

/** Ctrl-C, as a person stops it; resolves with the exit code. */
async function interrupt(demo: Demo): Promise<number | null> {
  if (demo.child.exitCode !== null || demo.child.signalCode !== null) return demo.child.exitCode;
  demo.child.kill('SIGINT');
  const timer = setTimeout(() => demo.child.kill('SIGKILL'), 30_000);
  const code = await demo.exited;
  clearTimeout(timer);
  return code;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string, demo: Demo): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms; stderr:\n${demo.stderr()}`)), ms);
  });
  const exit = demo.exited.then((code) => {
    throw new Error(`the demo exited (${code}) before ${what}; stderr:\n${demo.stderr()}`);
  });
  try {
    return await Promise.race([promise, timeout, exit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Per device: readings stored in InfluxDB in [fromMs, toMs), the first and the last time. */
async function storedReadings(fromMs: number, toMs: number) {
  const api = new InfluxDB({ url: influx.url, token: influx.token }).getQueryApi(influx.org);
  const range = `range(start: ${new Date(fromMs).toISOString()}, stop: ${new Date(toMs).toISOString()})`;
  const base = `from(bucket: "${influx.bucket}") |> ${range} |> filter(fn: (r) => r._measurement == "telemetry" and r._field == "seq") |> group(columns: ["device"])`;
  const out = new Map<string, { count: number; firstMs: number; lastMs: number }>();
  const rows = async (flux: string) =>
    (await api.collectRows(flux)) as Array<{ device: string; _value: number; _time: string }>;
  for (const r of await rows(`${base} |> count()`))
    out.set(r.device, { count: r._value, firstMs: 0, lastMs: 0 });
  for (const r of await rows(`${base} |> first()`)) {
    const d = out.get(r.device);
    if (d) d.firstMs = Date.parse(r._time);
  }
  for (const r of await rows(`${base} |> last()`)) {
    const d = out.get(r.device);
    if (d) d.lastMs = Date.parse(r._time);
  }
  return out;
}

async function listAlerts(ready: Ready, query = ''): Promise<Alert[]> {
  const res = await fetch(`${ready.apiUrl}/alerts?limit=500${query}`, {
    headers: { authorization: `Bearer ${ready.operatorToken}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Alert[] }).items;
}

const seedDeviceIds = (
  JSON.parse(readFileSync(join(repoRoot, 'seeds', 'devices.json'), 'utf8')) as { devices: { id: string }[] }
).devices.map((d) => d.id);

describe('pnpm dev: the demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-demo-'));
  let demo: Demo;
  let ready: Ready;
  let spawnedMs: number;
  let stream: ReturnType<typeof readSse> | undefined;

  beforeAll(async () => {
    spawnedMs = Date.now();
    demo = startDemo(dataDir);
    ready = await withTimeout(demo.ready, 120_000, 'the demo was ready', demo);
    console.log(`[demo] ready ${Date.now() - spawnedMs} ms after start`);
    const res = await fetch(`${ready.apiUrl}/alerts/stream`, {
      headers: { authorization: `Bearer ${ready.operatorToken}` },
    });
    expect(res.status).toBe(200);
    stream = readSse(res);
  }, 150_000);

  afterAll(async () => {
    stream?.close();
    if (demo) await interrupt(demo);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('prints where to look: dashboard, operator sign-in, share link, MQTT and the API docs', async () => {
    expect(ready.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/app\/$/);
    expect(ready.mqttUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.devices).toBe(seedDeviceIds.length);
    const me = await fetch(`${ready.apiUrl}/me`, {
      headers: { authorization: `Bearer ${ready.operatorToken}` },
    });
    expect(((await me.json()) as { user: { role: string } }).user.role).toBe('operator');
    const token = ready.shareUrl.split('/shared/')[1];
    expect(ready.shareUrl).toMatch(/\/app\/#\/shared\//);
    const shared = await fetch(`${ready.apiUrl}/shared/${token}`);
    expect(shared.status).toBe(200);
    expect(JSON.stringify(await shared.json())).toContain(ready.sharedShipment);
    expect((await fetch(ready.sharedReportUrl)).headers.get('content-type')).toMatch(/text\/html/);
    expect((await fetch(ready.docsUrl)).status).toBe(200);
  });

  it('shows the alerts of the recorded past on the dashboard, and the consignee page read-only', async () => {
    await eventually(async () => {
      const res = await fetch(`${ready.apiUrl}/alerts?limit=200`, {
        headers: { authorization: `Bearer ${ready.operatorToken}` },
      });
      const { items } = (await res.json()) as { items: Array<{ shipmentId: string }> };
      return new Set(items.map((a) => a.shipmentId)).size >= 3 || undefined;
    }, 60_000);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
      page.setDefaultTimeout(30_000);
      await page.goto(ready.dashboardUrl);
      await page.locator('input[name="token"]').fill(ready.operatorToken);
      await page.getByRole('button', { name: '登录' }).click();
      await page.locator('[data-testid="alert-row"]').first().waitFor();
      const board = (await page.locator('[data-testid="alert-row"]').allTextContents()).join('\n');
      for (const shipmentId of ['SHP-DL-SEAFOOD-001', 'SHP-DL-FROZEN-001', 'SHP-INS-001'])
        expect(board).toContain(shipmentId);
      await screenshots(page, 'demo-board', ['desktop']);
      const consignee = await browser.newPage({ viewport: { width: 390, height: 844 } });
      await consignee.goto(ready.shareUrl);
      await consignee.locator('[data-testid="verdict"]').waitFor();
      expect(await consignee.locator('body').textContent()).toContain(ready.sharedShipment);
      expect(await consignee.locator('[data-testid="alert-row"]').count()).toBe(0);
      const report = await browser.newPage({ viewport: { width: 1280, height: 1300 } });
      await report.goto(ready.sharedReportUrl);
      expect(await report.locator('body').textContent()).toContain(ready.sharedShipment);
      // Its first screen: the verdict, the goods and the journey's chart.
      await report.screenshot({ path: join(ARTIFACTS_DIR, 'demo-report-desktop.png') });
    } finally {
      await browser.close();
    }
  }, 120_000);

  it("raises each planned fault's alert with its rule, the live one on the SSE stream within two minutes", async () => {
    const expected = new Map<string, { shipmentId: string; rule: string }>();
    for (const f of DEMO_FAULTS) expected.set(`${f.shipmentId}:${f.rule}`, f);
    const seen = new Map<string, number>();
    await eventually(
      async () => {
        const alerts = await listAlerts(ready);
        for (const a of alerts) {
          const key = `${a.shipmentId}:${a.rule}`;
          if (expected.has(key) && !seen.has(key)) seen.set(key, Date.now() - spawnedMs);
        }
        return seen.size === expected.size ? true : undefined;
      },
      150_000,
      'the alert of every planned fault',
    );
    for (const [key, ms] of [...seen].sort((a, b) => a[1] - b[1]))
      console.log(`[demo] ${key} visible after ${ms} ms`);

    const live = DEMO_FAULTS.find((f) => f.atMs > 0);
    expect(live).toBeDefined();
    const event = await eventually(
      () =>
        stream?.events.find((e: SseEvent) => {
          const data = JSON.parse(e.data) as Alert | { alert: Alert };
          const alert = 'alert' in data ? data.alert : data;
          return alert.shipmentId === live?.shipmentId && alert.rule === live?.rule;
        }),
      30_000,
      'the live alert on the SSE stream',
    );
    const liveMs = Date.now() - spawnedMs;
    console.log(
      `[demo] live ${live?.rule} alert of ${live?.shipmentId} on the SSE stream ${liveMs} ms after start`,
    );
    expect(event.event).toBe('alert.created');
    expect(liveMs).toBeLessThan(2 * MINUTE + 30_000);
    const [critical] = await listAlerts(ready, `&shipmentId=${live?.shipmentId}&rule=${live?.rule}`);
    expect(critical?.severity).toBe('critical');
  }, 200_000);

  it("fills the offline cabinet's gap with its backlog: the gap alert is resolved as recovered", async () => {
    const outage = DEMO_FAULTS.find((f) => f.rule === 'gap');
    const gap = await eventually(
      async () =>
        (await listAlerts(ready, `&shipmentId=${outage?.shipmentId}&rule=gap`)).find(
          (a) => a.status === 'resolved',
        ),
      150_000,
      'the gap alert resolved',
    );
    expect(gap.resolutionNote ?? gap.detail).toMatch(/backlog filled the data gap/);
  }, 160_000);

  it("has every device's recorded history in InfluxDB, and no alert for the healthy shipments", async () => {
    const historyFromMs = ready.firstStartMs - DEMO_HISTORY_MS;
    const recorded = DEMO_HISTORY_MS / DEMO_HISTORY_INTERVAL_MS;
    const covers = (d: { count: number; firstMs: number; lastMs: number } | undefined) =>
      d !== undefined && d.firstMs === historyFromMs && d.count >= recorded && d.lastMs > ready.firstStartMs;
    // The offline cabinet's backlog arrives last.
    const stored = await eventually(
      async () => {
        const s = await storedReadings(historyFromMs - MINUTE, Date.now() + MINUTE);
        return seedDeviceIds.every((id) => covers(s.get(id))) ? s : undefined;
      },
      60_000,
      'the recorded history and live readings of every device',
    ).catch(async (err: Error) => {
      const s = await storedReadings(historyFromMs - MINUTE, Date.now() + MINUTE);
      const short = seedDeviceIds
        .filter((id) => !covers(s.get(id)))
        .map((id) => `${id} ${JSON.stringify(s.get(id))}`);
      throw new Error(`${err.message}: ${short.join('; ')} (history from ${historyFromMs})`);
    });
    expect(stored.size).toBeGreaterThanOrEqual(seedDeviceIds.length);
    const recordedPast = await storedReadings(historyFromMs, ready.firstStartMs);
    for (const id of seedDeviceIds) expect(recordedPast.get(id)?.count, id).toBe(recorded);

    for (const shipmentId of DEMO_HEALTHY_SHIPMENTS) {
      expect(await listAlerts(ready, `&shipmentId=${shipmentId}`), shipmentId).toEqual([]);
    }
  }, 90_000);

  it('stops on Ctrl-C and starts again on the same data: no second history, same shipments and token', async () => {
    stream?.close();
    const before = await storedReadings(ready.firstStartMs - DEMO_HISTORY_MS - MINUTE, Date.now() + MINUTE);
    const alertsBefore = (await listAlerts(ready)).length;
    expect(await interrupt(demo)).toBe(0);
    expect(demo.logs.some((l) => /^stopped in \d+ ms/.test(String(l.msg)))).toBe(true);

    demo = startDemo(dataDir);
    const again = await withTimeout(demo.ready, 120_000, 'the second start was ready', demo);
    expect(again.firstStart).toBe(false);
    expect(again.firstStartMs).toBe(ready.firstStartMs);
    expect(again.operatorToken).toBe(ready.operatorToken);
    expect(again.shareUrl.split('/shared/')[1]).toBe(ready.shareUrl.split('/shared/')[1]);
    expect(again.shipments).toBe(ready.shipments);
    // Only what the devices took while the demo was stopped: a few readings each, not hours.
    expect(again.backlogReadings).toBeLessThan(seedDeviceIds.length * 5);
    const after = await storedReadings(ready.firstStartMs - DEMO_HISTORY_MS - MINUTE, Date.now() + MINUTE);
    for (const id of seedDeviceIds) {
      expect(after.get(id)?.count ?? 0, id).toBeLessThan((before.get(id)?.count ?? 0) + 20);
    }
    // The same story goes on: no alert raised twice.
    expect((await listAlerts(again)).length).toBe(alertsBefore);
    expect(await interrupt(demo)).toBe(0);
  }, 200_000);
});
