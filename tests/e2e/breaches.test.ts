import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { type Alert, createSqliteStore } from '@coldchain/store';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/context.js';
import { connect, until } from '../support/mqtt.js';
import { connectDevice, type Pipeline, type SimDevice, seeded, startPipeline } from '../support/pipeline.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

interface Sample {
  ts: number;
  temp: { product: number; air?: number };
  door?: boolean;
}

/** Readings every `stepMs` from `startMs`, temperature given by `tempAt(minutesSinceStart)`. */
function series(
  startMs: number,
  endMs: number,
  stepMs: number,
  tempAt: (min: number) => number,
  doorAt?: (min: number) => boolean,
): Sample[] {
  const out: Sample[] = [];
  for (let ts = startMs; ts <= endMs; ts += stepMs) {
    const min = (ts - startMs) / MIN;
    out.push({
      ts,
      temp: { product: Math.round(tempAt(min) * 100) / 100 },
      ...(doorAt ? { door: doorAt(min) } : {}),
    });
  }
  return out;
}

const batches = (readings: Sample[], size = 1000) =>
  Array.from({ length: Math.ceil(readings.length / size) }, (_, i) =>
    JSON.stringify({ v: 1, readings: readings.slice(i * size, i * size + size) }),
  );

describe('the breach engine in the pipeline', () => {
  const influx = inject('influx');
  const now = Date.now();
  const t0 = now - 8 * HOUR;
  /** Settle periods of the seed profiles: legs open that long before the data starts, so no rule sees a silent start. */
  const settleMs: Record<string, number> = { 'pharma-2-8': 15 * MIN };
  const devices = [
    'cherry-truck',
    'seafood-truck',
    'frozen-room',
    'pharma-box',
    'clean-copy',
    'messy-copy',
    'reefer-air',
  ];
  let pipeline: Pipeline;
  let operator: MqttClient;
  const received: Array<{ topic: string; event: string; alert: Alert; atMs: number }> = [];
  const sims = new Map<string, SimDevice>();
  const shipmentOf = (device: string) => `SHP-${device}`;
  const alertsOf = (device: string) =>
    received.filter(
      (r) => r.alert.shipmentId === shipmentOf(device) && r.topic.startsWith('coldchain/v1/alerts/SHP'),
    );
  const latest = (device: string) => {
    const byKey = new Map<string, Alert>();
    for (const r of alertsOf(device)) byKey.set(r.alert.key, r.alert);
    return [...byKey.values()].sort((a, b) => a.startMs - b.startMs);
  };

  const webhookSecret = 'test-webhook-secret-0123456789';
  let goodHook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let failingHook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const hooks = () => goodHook.calls;

  beforeAll(async () => {
    goodHook = await startWebhookReceiver();
    failingHook = await startWebhookReceiver(503);
    const profiles: Record<string, string> = {
      'cherry-truck': 'sweet-cherries',
      'seafood-truck': 'chilled-seafood',
      'frozen-room': 'frozen',
      'cabinet-1': 'chilled-seafood',
      'pharma-box': 'pharma-2-8',
      'clean-copy': 'chilled-seafood',
      'messy-copy': 'chilled-seafood',
      'reefer-air': 'chilled-seafood',
    };
    pipeline = await startPipeline({
      influx,
      devices,
      // The timer is tested on its own below; here it would find the hours before each test's data silent.
      ingestEnv: {
        BREACH_TICK_MS: '600000',
        ALERT_WEBHOOK_URLS: `${goodHook.url},${failingHook.url}`,
        ALERT_WEBHOOK_SECRET: webhookSecret,
        ALERT_WEBHOOK_MAX_ATTEMPTS: '3',
        ALERT_WEBHOOK_INITIAL_DELAY_MS: '50',
      },
      setup: async (store) => {
        for (const device of devices) {
          const id = shipmentOf(device);
          await store.createShipment({
            id,
            profileId: profiles[device] as string,
            shipper: 'Dalian Haiyun',
            consignee: 'Shenyang Market',
          });
          await store.addCustodyLeg({
            shipmentId: id,
            deviceId: device,
            holder: `${device} carrier`,
            fromMs: t0 - (settleMs[profiles[device] as string] ?? 30 * MIN),
            toMs: null,
            handedOverBy: 'Dalian Haiyun',
            handoverTempC: 1.5,
          });
        }
      },
    });
    operator = await connect(pipeline.broker.url, { clientId: 'api', ...pipeline.creds.api });
    operator.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as { event: string; alert: Alert };
      received.push({ topic, event: body.event, alert: body.alert, atMs: Date.now() });
    });
    await operator.subscribeAsync('coldchain/v1/alerts/#', { qos: 1 });
    for (const d of devices)
      sims.set(d, await connectDevice(pipeline.broker.url, pipeline.creds[d] as never));
  });

  afterAll(async () => {
    for (const s of sims.values()) await s.close().catch(() => {});
    operator?.end(true);
    await pipeline?.stop();
    goodHook?.close();
    failingHook?.close();
  });

  it('raises nothing for a cherry truck whose doors open for 90 s at each drop', async () => {
    // Product at -0.5 °C; at three drops the door is open for 90 s and the product warms to 3 °C.
    const drops = [60, 150, 240];
    const readings = series(
      t0,
      now - MIN,
      30_000,
      (m) => (drops.some((d) => m >= d && m < d + 1.5) ? 3 : -0.5),
      (m) => drops.some((d) => m >= d && m < d + 1.5),
    );
    await sims.get('cherry-truck')?.sendAll(batches(readings), 1);
    await new Promise((r) => setTimeout(r, 1500)); // several ticks
    expect(latest('cherry-truck')).toEqual([]);
  });

  it('raises one range alert for a compressor failure, with its start, peak and custody holder', async () => {
    // 2 °C until minute 420, then +0.1 °C a minute up to 7.5 °C (below the critical 8 °C), held there:
    // about 40 min above 4 °C, past the 30-min delay, within the 2-h cumulative budget.
    const temp = (m: number) => (m < 420 ? 2 : Math.min(7.5, 2 + (m - 420) * 0.1));
    const readings = series(t0, now - MIN, MIN, temp);
    await sims.get('seafood-truck')?.sendAll(batches(readings), 1);
    await until(() => latest('seafood-truck').length > 0, 10_000, 'the compressor alert');
    await new Promise((r) => setTimeout(r, 1000));
    const alerts = latest('seafood-truck');
    const firstAbove = readings.find((r) => r.temp.product > 4) as Sample;
    const peak = readings.find((r) => r.temp.product === 7.5) as Sample;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: 'range',
      severity: 'warning',
      deviceId: 'seafood-truck',
      holder: 'seafood-truck carrier',
      startMs: firstAbove.ts,
      endMs: null,
      limit: 4,
      peakValue: 7.5,
      peakTsMs: peak.ts,
      status: 'open',
    });
  });

  it('warns early of a reefer whose air fails while the product is still inside, and ends the warning when the air returns', async () => {
    // Air and product probes every minute. For the last 30 min the compressor has failed: the air at 6 to
    // 8.4 °C while the product warmed from 2.0 to 3.0 °C (its range is 0–4 °C).
    const failedAt = 449;
    const readings: Sample[] = [];
    for (let ts = t0; ts <= now - MIN; ts += MIN) {
      const m = (ts - t0) / MIN;
      const out = Math.max(0, m - failedAt);
      const air = m < failedAt ? 2.5 : 6 + (out * 2.4) / 30;
      const product = 2 + out / 30;
      readings.push({
        ts,
        temp: { air: Math.round(air * 100) / 100, product: Math.round(product * 100) / 100 },
      });
    }
    const reefer = sims.get('reefer-air');
    await reefer?.sendAll(batches(readings), 1);
    await until(() => latest('reefer-air').length > 0, 10_000, 'the early warning');
    const airOut = readings.find((r) => (r.temp.air ?? 0) > 4) as Sample;
    expect(latest('reefer-air')).toEqual([
      expect.objectContaining({
        rule: 'early_warning',
        severity: 'warning',
        holder: 'reefer-air carrier',
        startMs: airOut.ts,
        endMs: null,
        limit: 4,
        peakValue: 8.4,
        status: 'open',
        detail: expect.stringMatching(/^product projected to cross 4 °C at \d{4}-\d\d-\d\dT/),
      }),
    ]);
    // The unit recovers: the air back inside by the hysteresis margin ends the warning by itself.
    const backMs = Date.now();
    await reefer?.sendAll([JSON.stringify({ v: 1, ts: backMs, temp: { air: 2.5, product: 3 } })], 1);
    await until(() => latest('reefer-air')[0]?.endMs === backMs, 10_000, 'the early warning ended');
    await new Promise((r) => setTimeout(r, 1000));
    expect(latest('reefer-air')).toEqual([
      expect.objectContaining({
        rule: 'early_warning',
        startMs: airOut.ts,
        endMs: backMs,
        acknowledgedBy: null,
        // Resolved by itself, by the rules.
        status: 'resolved',
        resolvedBy: 'system',
        resolutionNote: expect.stringMatching(/^ended: the air is back within range/),
      }),
    ]);
    expect(alertsOf('reefer-air').map((r) => r.event)).toEqual(['alert.created', 'alert.updated']);
    // One alert, created once: no range or critical alert, since the product never left its range.
    expect(alertsOf('reefer-air').filter((r) => r.event === 'alert.created')).toHaveLength(1);
  });

  it('neither loses nor repeats an alert across an ingest restart', async () => {
    const before = alertsOf('seafood-truck').filter((r) => r.event === 'alert.created').length;
    const [open] = latest('seafood-truck');
    await pipeline.ingest.kill();
    await pipeline.startIngest();
    // Still warm: the next readings extend the same excursion, now with a higher peak.
    await sims.get('seafood-truck')?.sendAll([JSON.stringify({ v: 1, ts: now, temp: { product: 7.8 } })], 1);
    await until(() => latest('seafood-truck')[0]?.peakValue === 7.8, 10_000, 'the updated alert');
    expect(alertsOf('seafood-truck').filter((r) => r.event === 'alert.created')).toHaveLength(before);
    expect(latest('seafood-truck')).toHaveLength(1);
    expect(latest('seafood-truck')[0]).toMatchObject({
      id: open?.id,
      startMs: open?.startMs,
      peakValue: 7.8,
      endMs: null,
    });
  });

  it('raises a critical alert at once for a frozen load above the critical limit', async () => {
    const readings = series(t0, now - 2 * MIN, MIN, () => -20);
    readings.push({ ts: now - MIN, temp: { product: -14 } });
    await sims.get('frozen-room')?.sendAll(batches(readings), 1);
    await until(() => latest('frozen-room').some((a) => a.rule === 'critical'), 10_000, 'the critical alert');
    expect(latest('frozen-room').find((a) => a.rule === 'critical')).toMatchObject({
      severity: 'critical',
      startMs: now - MIN,
      peakValue: -14,
      limit: -15,
    });
  });

  it('posts signed alerts to webhooks, and marks a delivery dead after its last retry', async () => {
    const critical = latest('frozen-room').find((a) => a.rule === 'critical') as Alert;
    await until(() => hooks().some((h) => JSON.parse(h.body).alert.id === critical.id), 5_000, 'the webhook');
    const hook = hooks().find((h) => JSON.parse(h.body).alert.id === critical.id) as {
      body: string;
      signature: string;
    };
    expect(hook.signature).toBe(
      `sha256=${createHmac('sha256', webhookSecret).update(hook.body).digest('hex')}`,
    );
    expect(JSON.parse(hook.body)).toMatchObject({
      event: 'alert.created',
      alert: { rule: 'critical', shipmentId: 'SHP-frozen-room' },
    });
    const store = createSqliteStore({ file: join(pipeline.dataDir, 'metadata.db') });
    try {
      await until(
        async () =>
          (await store.listWebhookDeliveries({ status: 'dead' })).some((d) => d.alertId === critical.id),
        5_000,
        'a dead delivery',
      );
      const dead = (await store.listWebhookDeliveries({ status: 'dead' })).find(
        (d) => d.alertId === critical.id,
      );
      expect(dead).toMatchObject({ attempts: 3, lastError: 'HTTP 503' });
      expect(failingHook.calls.length).toBeGreaterThanOrEqual(3);
    } finally {
      await store.close();
    }
  });

  it('fails a pharma shipment on cumulative time outside 2-8 °C although no excursion outlasts the delay', async () => {
    // Seven 10-minute warm spells at 9 °C (the warning delay is 15 min): 70 min outside, budget 60.
    const warm = (m: number) => [30, 90, 150, 210, 270, 330, 390].some((s) => m >= s && m < s + 10);
    const readings = series(t0, now - MIN, MIN, (m) => (warm(m) ? 9 : 5));
    await sims.get('pharma-box')?.sendAll(batches(readings), 1);
    await until(
      () => latest('pharma-box').some((a) => a.rule === 'cumulative'),
      10_000,
      'the cumulative alert',
    );
    expect(latest('pharma-box').filter((a) => a.rule === 'range')).toEqual([]);
  });

  it('gives the same alerts for duplicated, reordered and re-batched delivery as for clean delivery', async () => {
    const temp = (m: number) => (m % 120 < 40 ? 5.5 : m % 120 < 45 ? 9 : 2);
    const readings = series(t0, now - MIN, MIN, temp);
    await sims.get('clean-copy')?.sendAll(batches(readings), 1);
    const rng = seeded(11);
    const messy = [...readings, ...readings.filter(() => rng() < 0.2)].sort(() => rng() - 0.5);
    const messages: string[] = [];
    for (let i = 0; i < messy.length; ) {
      const n = 1 + Math.floor(rng() * 40);
      messages.push(JSON.stringify({ v: 1, readings: messy.slice(i, i + n) }));
      i += n;
    }
    await sims.get('messy-copy')?.sendAll(messages, 4);
    // Out-of-order delivery may raise an alert that fuller data later supersedes (and resolves, saying
    // so); what must agree is everything else.
    const shape = (device: string) =>
      latest(device)
        .filter((a) => !/^(superseded|recovered)/.test(a.detail ?? ''))
        .map(({ rule, severity, startMs, endMs, limit, peakValue, peakTsMs, status }) => ({
          rule,
          severity,
          startMs,
          endMs,
          limit,
          peakValue,
          peakTsMs,
          status,
        }));
    await until(
      () =>
        shape('clean-copy').length > 0 &&
        JSON.stringify(shape('clean-copy')) === JSON.stringify(shape('messy-copy')),
      15_000,
      'the same alerts',
    );
    expect(shape('messy-copy')).toEqual(shape('clean-copy'));
    expect(shape('clean-copy').length).toBeGreaterThan(3);
  });
});

describe('the breach timer', () => {
  const influx = inject('influx');
  let pipeline: Pipeline;
  let operator: MqttClient;
  let cabinet: SimDevice;
  const alerts = new Map<string, Alert>();
  const now = Date.now();
  const t0 = now - 4 * HOUR;

  beforeAll(async () => {
    pipeline = await startPipeline({
      influx,
      devices: ['cabinet-1'],
      ingestEnv: { BREACH_TICK_MS: '300' },
      setup: async (store) => {
        await store.createShipment({
          id: 'SHP-cab',
          profileId: 'chilled-seafood',
          shipper: 'Dalian Haiyun',
          consignee: 'Locker 17',
        });
        await store.addCustodyLeg({
          shipmentId: 'SHP-cab',
          deviceId: 'cabinet-1',
          holder: 'Locker operator',
          fromMs: t0 - 30 * MIN,
          toMs: null,
          handedOverBy: 'Courier',
          handoverTempC: 2,
        });
      },
    });
    operator = await connect(pipeline.broker.url, { clientId: 'api', ...pipeline.creds.api });
    operator.on('message', (_topic, payload) => {
      const { alert } = JSON.parse(payload.toString()) as { alert: Alert };
      alerts.set(alert.key, alert);
    });
    await operator.subscribeAsync('coldchain/v1/alerts/+', { qos: 1 });
    cabinet = await connectDevice(pipeline.broker.url, pipeline.creds['cabinet-1'] as never);
  });

  afterAll(async () => {
    await cabinet?.close().catch(() => {});
    operator?.end(true);
    await pipeline?.stop();
  });

  const open = (rule: string) => [...alerts.values()].find((a) => a.rule === rule && a.status === 'open');

  it('raises a gap alert for a cabinet offline for 2 h, then the backlog brings the excursion at its event times and recovers the gap', async () => {
    const live = series(t0, now - 2 * HOUR, 5 * MIN, () => 2);
    await cabinet.sendAll(batches(live), 1);
    // No reading for two hours: the timer finds the gap without waiting for a reading.
    await until(() => open('gap') !== undefined, 10_000, 'the gap alert');
    const gap = open('gap') as Alert;
    expect(gap).toMatchObject({
      startMs: now - 2 * HOUR - ((now - 2 * HOUR - t0) % (5 * MIN)),
      endMs: null,
      status: 'open',
    });
    // The cabinet comes back and flushes its backlog: an excursion to 9 °C (critical) an hour ago.
    const backlogStart = live.at(-1)?.ts as number;
    const backlog = series(backlogStart + MIN, now - MIN, MIN, (m) => (m >= 59 && m < 69 ? 9 : 2));
    await cabinet.sendAll(batches(backlog), 1);
    await until(
      () => open('critical') !== undefined || [...alerts.values()].some((a) => a.rule === 'critical'),
      10_000,
      'the backlog excursion',
    );
    await until(() => alerts.get(gap.key)?.status === 'resolved', 10_000, 'the gap resolved');
    const critical = [...alerts.values()].find((a) => a.rule === 'critical') as Alert;
    const firstHot = backlog.find((r) => r.temp.product === 9) as Sample;
    const firstBack = backlog.find((r) => r.ts > firstHot.ts && r.temp.product === 2) as Sample;
    expect(critical).toMatchObject({ startMs: firstHot.ts, endMs: firstBack.ts, peakValue: 9 });
    expect(alerts.get(gap.key)?.detail).toMatch(/recovered/);
    // Withdrawn by the rules, not by an operator.
    expect(alerts.get(gap.key)).toMatchObject({ resolvedBy: 'system', acknowledgedBy: null });
  });
});
