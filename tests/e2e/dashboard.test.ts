import { freePort } from '@coldchain/influx';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiProcess, eventually, startApiProcess } from '../support/api.js';
import { buildDashboard, launchChromium, screenshots, VIEWPORTS } from '../support/browser.js';
import {
  connectDevice,
  type Pipeline,
  type SimDevice,
  startPipeline,
  storedReadings,
} from '../support/pipeline.js';

// The operator dashboard in real headless Chromium against the real pipeline: broker, ingest and
// api each their own process, InfluxDB, devices publishing over MQTT.
//
// S-DASH-1 (pharma-2-8, shipper Shenyang Pharma): two legs on two devices from three hours ago to
// now, a reading every 5 minutes along the road from Shenyang to Dalian; one reading at 16 °C in
// the first leg (a critical excursion) and 25 minutes at 9.5 °C in the second (a range excursion,
// past its 15-minute delay): exactly two excursions, and two handovers. The door opens for two
// minutes in the first leg. S-DASH-LIVE (shipper Dalian Haiyun) is in transit on DSH-3, which
// stays connected and breaches live while the board is open.
const MIN = 60_000;
const SHENYANG = [123.43, 41.8] as const;
const ANSHAN = [122.99, 41.11] as const;
const DALIAN = [121.61, 38.91] as const;

/** What the temperature chart was given to draw, read from its ECharts instance in the page. */
const CHART_MARKS = `(() => {
  const el = document.querySelector('[data-testid="temperature-chart"]');
  const chart = el && window.echarts.getInstanceByDom(el);
  const series = chart ? chart.getOption().series : null;
  if (!series || series.length === 0) return null;
  const byId = (id) => series.find((s) => s.id === id);
  return {
    excursions: byId('excursions').markArea.data.length,
    handovers: byId('handovers').markLine.data.length,
    points: byId('temperature').data.filter((p) => p[1] !== null).length,
    humidity: byId('humidity') ? byId('humidity').data.length : null,
    canvas: el.querySelectorAll('canvas').length,
  };
})()`;

interface ChartMarks {
  excursions: number;
  handovers: number;
  points: number;
  humidity: number | null;
  canvas: number;
}

// Polled with page.evaluate (the page's Content-Security-Policy refuses waitForFunction's eval).
async function chartMarks(page: Page): Promise<ChartMarks> {
  let marks: ChartMarks | null = null;
  await expect
    .poll(
      async () => {
        marks = (await page.evaluate(CHART_MARKS)) as ChartMarks | null;
        return marks !== null;
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  return marks as unknown as ChartMarks;
}

describe('the operator dashboard', () => {
  const influx = inject('influx');
  let pipeline: Pipeline;
  let api: ApiProcess;
  let apiPort: number;
  let browser: Browser;
  let operatorToken: string;
  let shipperToken: string;
  let live: SimDevice;
  const contexts: BrowserContext[] = [];
  const now = Math.floor(Date.now() / MIN) * MIN;
  const t0 = now - 180 * MIN;

  /** Position at minute m: Shenyang → Anshan in the first leg, Anshan → Dalian in the second. */
  const position = (m: number) => {
    const [a, b, f] = m < 90 ? [SHENYANG, ANSHAN, m / 90] : [ANSHAN, DALIAN, (m - 90) / 90];
    const round = (x: number) => Math.round(x * 10_000) / 10_000;
    return { lon: round(a[0] + (b[0] - a[0]) * f), lat: round(a[1] + (b[1] - a[1]) * f) };
  };
  const tempAt = (m: number) => (m === 40 ? 16 : m >= 130 && m <= 150 ? 9.5 : 5 + (m % 15) / 10);
  const readings = (fromMin: number, toMin: number) => {
    const out: Array<Record<string, unknown>> = [];
    for (let m = fromMin; m < toMin; m += 5) {
      out.push({
        ts: t0 + m * MIN,
        seq: m,
        temp: { product: tempAt(m), air: tempAt(m) - 0.4 },
        ...position(m),
        battery: 90 - m / 10,
        door: m === 60,
      });
      if (m === 60)
        out.push({ ts: t0 + 62 * MIN, seq: 62, temp: { product: 5.2 }, door: false, ...position(62) });
    }
    return out;
  };

  // S-DASH-SEA (chilled seafood, with a humidity range): 36 hours at one reading a minute, more
  // than the report's chart keeps, so the journey is drawn downsampled until one zooms in.
  const seaStart = now - 37 * 60 * MIN;
  const seaEnd = seaStart + 36 * 60 * MIN;
  const seafood = Array.from({ length: 36 * 60 }, (_, i) => ({
    ts: seaStart + i * MIN,
    seq: i + 1,
    temp: { product: Math.round((2 + Math.sin(i / 90)) * 100) / 100 },
    rh: Math.round((92 + 1.5 * Math.sin(i / 60)) * 10) / 10,
  }));

  const newPage = async (size: keyof typeof VIEWPORTS = 'desktop'): Promise<Page> => {
    const context = await browser.newContext({
      viewport: VIEWPORTS[size],
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    return page;
  };
  const signIn = async (page: Page, token: string) => {
    await page.goto(`${api.url}/app/`);
    await page.locator('input[name="token"]').fill(token);
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('header.top .who').waitFor();
  };

  beforeAll(async () => {
    buildDashboard();
    pipeline = await startPipeline({
      influx,
      devices: ['DSH-1', 'DSH-2', 'DSH-3', 'DSH-4'],
      // The timer's "no data" checks would add alerts of their own to the board while it is watched.
      ingestEnv: { BREACH_TICK_MS: '600000' },
    });
    apiPort = await freePort();
    api = await startApiProcess(pipeline, influx, { API_PORT: String(apiPort) });
    for (const user of [
      { id: 'op-li', name: 'Operator Li', role: 'operator' },
      { id: 'sy-pharma', name: 'Shenyang Pharma desk', role: 'shipper', shipper: 'Shenyang Pharma' },
    ]) {
      expect((await api.call('/v1/users', { body: user })).status).toBe(201);
    }
    const issue = async (id: string) =>
      (
        (await (await api.call(`/v1/users/${id}/tokens`, { body: { label: 'dashboard test' } })).json()) as {
          token: string;
        }
      ).token;
    operatorToken = await issue('op-li');
    shipperToken = await issue('sy-pharma');

    // The readings first, the handovers after them: each leg is then judged over its stored
    // readings at once (a late handover), with no data gap at its start to withdraw later.
    const recorded: Array<[string, Array<Record<string, unknown>>]> = [
      ['DSH-1', readings(0, 90)],
      ['DSH-2', readings(90, 180)],
      ['DSH-4', seafood],
    ];
    for (const [id, rs] of recorded) {
      const device = await connectDevice(pipeline.broker.url, pipeline.creds[id] as never);
      const batches = Array.from({ length: Math.ceil(rs.length / 500) }, (_, i) =>
        JSON.stringify({ v: 1, readings: rs.slice(i * 500, i * 500 + 500) }),
      );
      await device.sendAll(batches, 1);
      await device.close();
    }
    live = await connectDevice(pipeline.broker.url, pipeline.creds['DSH-3'] as never);
    const calm = Array.from({ length: 12 }, (_, i) => ({
      ts: now - (13 - i) * MIN,
      seq: i + 1,
      temp: { product: 5 },
      battery: 77,
    }));
    await live.sendAll([JSON.stringify({ v: 1, readings: calm })], 1);
    const want = recorded.reduce((n, [, rs]) => n + rs.length, 0) + calm.length;
    await eventually(
      async () => {
        const stored = await storedReadings(influx, 'DSH-', seaStart - MIN, now + MIN);
        return [...stored.values()].reduce((n, m) => n + m.size, 0) === want ? true : undefined;
      },
      30_000,
      'the readings stored',
    );

    const shipments = [
      {
        id: 'S-DASH-1',
        profileId: 'pharma-2-8',
        shipper: 'Shenyang Pharma',
        consignee: 'Dalian Central Hospital',
        goods: 'influenza vaccine, 400 doses',
        at: t0,
      },
      {
        id: 'S-DASH-LIVE',
        profileId: 'pharma-2-8',
        shipper: 'Dalian Haiyun',
        consignee: 'Anshan Clinic',
        goods: 'insulin, 120 pens',
        at: now - 30 * MIN,
      },
      {
        id: 'S-DASH-SEA',
        profileId: 'chilled-seafood',
        shipper: 'Dalian Haiyun',
        consignee: 'Shenyang Market',
        goods: 'chilled sea bream, 2 t',
        at: seaStart,
      },
    ];
    for (const { at, ...body } of shipments) {
      expect((await api.call('/v1/shipments', { body })).status).toBe(201);
      expect(
        (await api.call(`/v1/shipments/${body.id}/status`, { body: { status: 'in_transit', at } })).status,
      ).toBe(200);
    }
    for (const [id, leg] of [
      [
        'S-DASH-1',
        {
          holder: 'Shenyang precooling room',
          deviceId: 'DSH-1',
          at: t0,
          tempC: 4.8,
          handedOverBy: 'Shenyang Pharma',
        },
      ],
      [
        'S-DASH-1',
        {
          holder: 'Liaoning Cold Express',
          deviceId: 'DSH-2',
          at: t0 + 90 * MIN,
          tempC: 5.1,
          handedOverBy: 'Shenyang precooling room',
        },
      ],
      [
        'S-DASH-LIVE',
        {
          holder: 'Haiyun Reefer 7',
          deviceId: 'DSH-3',
          at: now - 30 * MIN,
          tempC: 4.9,
          handedOverBy: 'Dalian Haiyun',
        },
      ],
      [
        'S-DASH-SEA',
        {
          holder: 'Haiyun Reefer 2',
          deviceId: 'DSH-4',
          at: seaStart,
          tempC: 2.1,
          handedOverBy: 'Dalian Haiyun',
        },
      ],
    ] as const)
      expect((await api.call(`/v1/shipments/${id}/handovers`, { body: leg })).status).toBe(201);
    expect(
      (await api.call('/v1/shipments/S-DASH-SEA/unload', { body: { at: seaEnd, tempC: 2.3 } })).status,
    ).toBe(200);
    // Both of S-DASH-1's excursions are alerts before any browser looks: the live one is then the only new one.
    await eventually(
      async () => {
        const page = (await (await api.call('/v1/alerts?shipmentId=S-DASH-1&status=open')).json()) as {
          items: Array<{ rule: string }>;
        };
        return page.items
          .map((a) => a.rule)
          .sort()
          .join() === 'critical,range'
          ? true
          : undefined;
      },
      30_000,
      "S-DASH-1's two alerts",
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await live?.close();
    await api?.stop();
    await pipeline?.stop();
  });

  it('signs in with a token kept for the session only, and shows the alert board in zh-CN', async () => {
    const page = await newPage();
    await page.goto(`${api.url}/app/`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('登录');
    await page.locator('input[name="token"]').fill('cct_not-a-real-token-000000000000000');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('alert').filter({ hasText: '登录失败' }).waitFor();

    await signIn(page, operatorToken);
    expect(page.url()).not.toContain(operatorToken);
    expect(await page.evaluate('sessionStorage.getItem("coldchain.token")')).toBe(operatorToken);
    expect(await page.evaluate('localStorage.getItem("coldchain.token")')).toBeNull();
    await page.locator('[data-testid="alert-row"]').first().waitFor();
    const rows = page.locator('[data-testid="alert-row"]');
    expect(await rows.count()).toBe(2);
    // Critical first, whatever the age.
    expect(await rows.first().locator('.badge.sev-critical').textContent()).toBe('严重');
    await expect.poll(() => page.locator('[data-testid="stream-state"]').textContent()).toBe('实时');
    await screenshots(page, 'alert-board');
  });

  it('shows every device with its status, temperature against the range of the shipment it carries, coloured by state', async () => {
    const page = await newPage();
    await signIn(page, operatorToken);
    await page.getByRole('link', { name: '设备' }).click();
    await page.locator('[data-testid="device-card"]').first().waitFor();
    expect(await page.locator('[data-testid="device-card"]').count()).toBe(4);
    const card = page.locator('[data-device-id="DSH-3"]');
    expect(await card.getAttribute('data-state')).toBe('ok');
    expect(await card.textContent()).toContain('S-DASH-LIVE');
    expect(await card.textContent()).toContain('5.0 °C');
    expect(await card.textContent()).toContain('2.0 °C – 8.0 °C');
    expect(await card.textContent()).toContain('在线');
    expect(await card.textContent()).toContain('77 %');
    // DSH-2 still carries S-DASH-1; DSH-1 handed it over, and neither has sent anything for a while.
    expect(await page.locator('[data-device-id="DSH-2"]').textContent()).toContain('S-DASH-1');
    expect(await page.locator('[data-device-id="DSH-1"]').textContent()).toContain('未装载货运');
    await screenshots(page, 'fleet');
  });

  it('draws the journey with its range band, each excursion shaded and each handover marked, the route, custody chain and summary', async () => {
    const excursions = (
      (await (await api.call('/v1/shipments/S-DASH-1/excursions')).json()) as {
        excursions: Array<{ rule: string }>;
      }
    ).excursions;
    expect(excursions.map((e) => e.rule).sort()).toEqual(['critical', 'range']);

    const page = await newPage();
    await signIn(page, operatorToken);
    await page.getByRole('link', { name: '货运' }).click();
    await page.getByRole('link', { name: 'S-DASH-1' }).click();
    const marks = await chartMarks(page);
    expect(marks.excursions).toBe(2);
    expect(marks.handovers).toBe(2);
    expect(marks.points).toBe(readings(0, 180).length);
    expect(marks.humidity).toBeNull();
    expect(marks.canvas).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="verdict"]').getAttribute('data-verdict')).toBe('fail');
    expect(await page.locator('[data-testid="custody-chain"] > li').count()).toBe(2);
    expect(await page.locator('[data-testid="custody-chain"]').textContent()).toContain(
      'Liaoning Cold Express',
    );
    // The route on the shipped outline: one line per leg, the handovers and excursions on it.
    const route = (await page.evaluate(`(() => {
      const chart = window.echarts.getInstanceByDom(document.querySelector('[data-testid="route-map"]'));
      const o = chart.getOption();
      const byId = (id) => o.series.find((s) => s.id === id);
      return { lines: byId('route').data.length, handovers: byId('handovers').data.length, excursions: byId('excursions').data.length, map: o.geo[0].map };
    })()`)) as { lines: number; handovers: number; excursions: number; map: string };
    expect(route).toEqual({ lines: 2, handovers: 2, excursions: 2, map: 'liaoning' });
    // The exports come with the token in a header, as downloads.
    const [pdf] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'PDF 报告' }).click(),
    ]);
    expect(pdf.suggestedFilename()).toBe('S-DASH-1-report.pdf');
    await screenshots(page, 'shipment');
  });

  it('zooms from the whole journey, downsampled, down to the stored readings, with humidity where the profile has it', async () => {
    const page = await newPage();
    await signIn(page, operatorToken);
    await page.goto(`${api.url}/app/#/shipments/S-DASH-SEA`);
    const whole = await chartMarks(page);
    expect(whole.points).toBeLessThan(seafood.length);
    // Humidity has no line in the report: the page reads it for the journey after drawing.
    await expect
      .poll(async () => (await chartMarks(page)).humidity, { timeout: 15_000 })
      .toBe(seafood.length);
    await screenshots(page, 'shipment-humidity', ['desktop']);
    const from = seaStart + 10 * 60 * MIN;
    const to = from + 2 * 60 * MIN;
    const inWindow = `(() => {
      const chart = window.echarts.getInstanceByDom(document.querySelector('[data-testid="temperature-chart"]'));
      const line = chart.getOption().series.find((s) => s.id === 'temperature').data;
      return line.filter((p) => p[1] !== null && p[0] >= ${from} && p[0] < ${to}).length;
    })()`;
    const before = (await page.evaluate(inWindow)) as number;
    expect(before).toBeLessThan(120);
    await page.evaluate(`window.echarts.getInstanceByDom(document.querySelector('[data-testid="temperature-chart"]'))
      .dispatchAction({ type: 'dataZoom', dataZoomIndex: 0, startValue: ${from}, endValue: ${to} })`);
    // Every stored reading of those two hours, one a minute.
    await expect.poll(() => page.evaluate(inWindow), { timeout: 15_000 }).toBe(120);
    await page.getByRole('button', { name: '全程' }).waitFor();
  });

  it('shows a breach published through the broker live on two boards, with a cue, and an acknowledgement on both', async () => {
    const [first, second] = [await newPage(), await newPage()];
    for (const page of [first, second]) {
      await signIn(page, operatorToken);
      await page.locator('[data-testid="alert-row"]').first().waitFor();
      await expect.poll(() => page.locator('[data-testid="stream-state"]').textContent()).toBe('实时');
    }
    await live.sendAll(
      [JSON.stringify({ v: 1, ts: Date.now(), seq: 13, temp: { product: 18.5 }, battery: 76 })],
      1,
    );
    const row = (page: Page) => page.locator('[data-testid="alert-row"]', { hasText: 'S-DASH-LIVE' });
    for (const page of [first, second]) await row(page).waitFor({ timeout: 30_000 });
    expect(await first.locator('[data-testid="critical-cue"]').textContent()).toContain('S-DASH-LIVE');
    expect(await row(first).textContent()).toContain('18.5 °C');
    expect(await row(first).textContent()).toContain('Haiyun Reefer 7');
    expect(await row(first).getAttribute('data-status')).toBe('open');
    // Critical, and the oldest critical first: the live one is newer than S-DASH-1's.
    expect(await first.locator('[data-testid="alert-row"]').count()).toBe(3);

    await row(first).getByRole('button', { name: '确认' }).click();
    await row(first).locator('textarea[name="note"]').fill('司机已关门，正在复查');
    await row(first).locator('.action-form button[type="submit"]').click();
    for (const page of [first, second])
      await expect
        .poll(() => row(page).getAttribute('data-status'), { timeout: 15_000 })
        .toBe('acknowledged');
    expect(await row(second).textContent()).toContain('op-li');
    await screenshots(first, 'alert-board-live', ['desktop']);

    // A comment from the second board is on the alert's trail; resolving it takes it off both boards.
    await row(second).getByRole('button', { name: '评论' }).click();
    await row(second).locator('textarea[name="note"]').fill('已通知收货方');
    await row(second).locator('.action-form button[type="submit"]').click();
    await row(second).locator('.comments li', { hasText: '已通知收货方' }).waitFor();
    await row(first).getByRole('button', { name: '解决' }).click();
    await row(first).locator('textarea[name="note"]').fill('温度已恢复，货物复检合格');
    await row(first).locator('.action-form button[type="submit"]').click();
    for (const page of [first, second])
      await expect.poll(() => row(page).count(), { timeout: 15_000 }).toBe(0);
    const resolved = (await (await api.call('/v1/alerts?shipmentId=S-DASH-LIVE')).json()) as {
      items: Array<{ id: number; status: string; resolutionNote: string }>;
    };
    expect(resolved.items[0]).toMatchObject({
      status: 'resolved',
      resolutionNote: '温度已恢复，货物复检合格',
    });
    const comments = (await (await api.call(`/v1/alerts/${resolved.items[0]?.id}/comments`)).json()) as {
      items: Array<{ author: string; text: string }>;
    };
    expect(comments.items).toEqual([expect.objectContaining({ author: 'op-li', text: '已通知收货方' })]);
  });

  it('says when the live stream is down and the API unreachable, and recovers by itself', async () => {
    const page = await newPage();
    await signIn(page, operatorToken);
    await page.locator('[data-testid="alert-row"]').first().waitFor();
    await api.stop();
    await page.locator('[data-testid="stream-banner"]').waitFor();
    await page.getByRole('link', { name: '设备' }).click();
    await page.getByRole('alert').filter({ hasText: '无法连接服务器' }).waitFor();
    api = await startApiProcess(pipeline, influx, { API_PORT: String(apiPort) });
    await page.getByRole('button', { name: '重试' }).click();
    await page.locator('[data-testid="device-card"]').first().waitFor();
    await page.getByRole('link', { name: '警报' }).click();
    await expect
      .poll(() => page.locator('[data-testid="stream-state"]').textContent(), { timeout: 30_000 })
      .toBe('实时');
    expect(await page.locator('[data-testid="stream-banner"]').count()).toBe(0);
  });

  it('opens a share link as a read-only page with the receipt form and no operator controls', async () => {
    const issued = (await (
      await api.call('/v1/shipments/S-DASH-1/share-links', { body: { label: 'consignee' } })
    ).json()) as {
      token: string;
    };
    const page = await newPage('phone');
    await page.goto(`${api.url}/app/#/shared/${issued.token}`);
    await chartMarks(page);
    expect(await page.locator('[data-testid="verdict"]').getAttribute('data-verdict')).toBe('fail');
    expect(await page.locator('[data-testid="receipt-form"]').count()).toBe(1);
    for (const control of ['确认', '解决', '评论', '生成分享链接', '退出'])
      expect(await page.getByRole('button', { name: control, exact: true }).count()).toBe(0);
    expect(await page.locator('header.top nav').count()).toBe(0);
    expect(await page.evaluate('sessionStorage.getItem("coldchain.token")')).toBeNull();
    await screenshots(page, 'shared', ['phone', 'desktop']);

    // The form offers the present minute, in the reader's zone (Asia/Shanghai here).
    const arrived = await page.locator('input[name="arrivedAt"]').inputValue();
    await page.locator('input[name="tempC"]').fill('5.4');
    await page.locator('input[name="receivedBy"]').fill('王护士');
    await page.getByRole('button', { name: '提交收货记录' }).click();
    await page.locator('[data-testid="receipt-done"]').waitFor();
    const chain = (await (await api.call('/v1/shipments/S-DASH-1/custody')).json()) as {
      legs: Array<{ toMs: number | null }>;
    };
    expect(chain.legs.at(-1)?.toMs).toBe(Date.parse(`${arrived}:00+08:00`));
    expect(Math.abs(Date.parse(`${arrived}:00+08:00`) - Date.now())).toBeLessThan(5 * MIN);
  });

  it('lets a shipper see only its own shipments, without the operator pages', async () => {
    const page = await newPage();
    await signIn(page, shipperToken);
    await page.locator('[data-testid="shipment-row"]').first().waitFor();
    expect(await page.locator('[data-testid="shipment-row"]').allTextContents()).toEqual([
      expect.stringContaining('S-DASH-1'),
    ]);
    expect(await page.getByRole('link', { name: '警报' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: '设备' }).count()).toBe(0);
    await page.goto(`${api.url}/app/#/shipments/S-DASH-LIVE`);
    await page.getByRole('alert').filter({ hasText: '未找到' }).waitFor();
  });

  it('switches to English in one click and keeps the choice', async () => {
    const page = await newPage();
    await signIn(page, operatorToken);
    await page.locator('[data-testid="alert-row"]').first().waitFor();
    await page.getByTestId('lang-toggle').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Alerts');
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    expect(await page.locator('[data-testid="alert-row"] .badge.sev-critical').first().textContent()).toBe(
      'Critical',
    );
    await page.reload();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Alerts');
    await page.getByTestId('lang-toggle').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('警报');
  });
});
