import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  alertKey,
  evaluate,
  type Profile,
  parseProfiles,
  temperatureRange,
  toEngineReading,
} from '@coldchain/coldchain';
import { type Alert, type CustodyLeg, createSqliteStore } from '@coldchain/store';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/context.js';
import { connect, until } from '../support/mqtt.js';
import {
  connectDevice,
  ingestMetric,
  type Pipeline,
  type SimDevice,
  seeded,
  startPipeline,
} from '../support/pipeline.js';
import { repoRoot } from '../support/service-process.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const MIN = 60_000;
const DAY_MINUTES = 24 * 60;
const profiles = new Map(
  parseProfiles(JSON.parse(readFileSync(join(repoRoot, 'seeds', 'profiles.json'), 'utf8'))).map((p) => [
    p.id,
    p,
  ]),
);
const DEVICES: Record<string, string> = {
  'aq-seafood': 'chilled-seafood',
  'aq-pharma': 'pharma-2-8',
  'aq-frozen': 'frozen',
  'aq-crab': 'live-river-crab',
  'aq-cherry': 'sweet-cherries',
};

interface Sample {
  ts: number;
  temp: { product: number };
  door?: boolean;
}

/**
 * A day of one reading a minute for a load on `profile`: in range with a little noise, two long
 * excursions above the upper limit (60 and 90 min), a 2-min critical spike, 3-min warm spikes every
 * 97 min (shorter than any delay), and the door open 2 min at drops and once 8 min.
 */
function dayOf(profile: Profile, t0: number, rng: () => number): Sample[] {
  const { lowC, highC } = temperatureRange(profile);
  const high = highC as number;
  const critical = Math.min(
    ...profile.temperature.boundaries
      .filter((b) => b.direction === 'upper' && b.severity === 'critical')
      .map((b) => b.limitC),
  );
  const base = lowC === null ? high - 3 : (lowC + high) / 2;
  const warm = Math.min(high + 1, (high + critical) / 2);
  const out: Sample[] = [];
  for (let m = 0; m < DAY_MINUTES; m++) {
    const long = (m >= 200 && m < 260) || (m >= 700 && m < 790);
    const spike = m >= 1000 && m < 1002;
    const shortWarm = m % 97 >= 50 && m % 97 < 53;
    const level = spike ? critical + 1 : long || shortWarm ? warm : base;
    const door = (m >= 400 && m < 402) || (m >= 1100 && m < 1108) || (m % 180 >= 30 && m % 180 < 32);
    out.push({
      ts: t0 + m * MIN,
      temp: { product: Math.round((level + (rng() - 0.5) * 0.3) * 100) / 100 },
      door,
    });
  }
  return out;
}

/**
 * How the day reaches the broker: 5 % of readings twice, messages of 1–20 readings moved by up to
 * ±10 places, and a 3-hour stretch held back (the logger was offline) and sent last in 60-reading
 * chunks.
 */
function delivery(day: Sample[], rng: () => number): string[] {
  const backlogFrom = 600;
  const backlogTo = backlogFrom + 180;
  const live = [...day.slice(0, backlogFrom), ...day.slice(backlogTo)].flatMap((r) =>
    rng() < 0.05 ? [r, r] : [r],
  );
  const messages: Sample[][] = [];
  for (let i = 0; i < live.length; ) {
    const n = 1 + Math.floor(rng() * 20);
    messages.push(live.slice(i, i + n));
    i += n;
  }
  const reordered = messages
    .map((m, i) => ({ m, k: i + (rng() - 0.5) * 20 }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.m);
  const backlog = day.slice(backlogFrom, backlogTo);
  for (let i = 0; i < backlog.length; i += 60) reordered.push(backlog.slice(i, i + 60));
  return reordered.map((readings) =>
    readings.length === 1 ? JSON.stringify({ v: 1, ...readings[0] }) : JSON.stringify({ v: 1, readings }),
  );
}

describe('alerts an operator can trust', () => {
  const influx = inject('influx');
  const now = Date.now();
  const t0 = now - DAY_MINUTES * MIN;
  const devices = Object.keys(DEVICES);
  let pipeline: Pipeline;
  let operator: MqttClient;
  const sims = new Map<string, SimDevice>();
  const told: Array<{ event: string; alert: Alert }> = [];
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const hooks = () => receiver.calls.map((c) => JSON.parse(c.body) as { event: string; alert: Alert });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    const hookUrl = receiver.url;
    pipeline = await startPipeline({
      influx,
      devices,
      ingestEnv: { ALERT_WEBHOOK_URLS: hookUrl, ALERT_WEBHOOK_SECRET: 'alert-quality-secret-0123' },
      setup: async (store) => {
        for (const [device, profileId] of Object.entries(DEVICES)) {
          await store.createShipment({
            id: `SHP-${device}`,
            profileId,
            shipper: 'Dalian Haiyun',
            consignee: 'Shenyang Market',
          });
          await store.addCustodyLeg({
            shipmentId: `SHP-${device}`,
            deviceId: device,
            holder: `${device} carrier`,
            fromMs: t0 - (profiles.get(profileId) as Profile).settleMs,
            toMs: null,
            handedOverBy: 'Dalian Haiyun',
            handoverTempC: null,
          });
        }
      },
    });
    operator = await connect(pipeline.broker.url, { clientId: 'api', ...pipeline.creds.api });
    operator.on('message', (_topic, payload) => told.push(JSON.parse(payload.toString())));
    await operator.subscribeAsync('coldchain/v1/alerts/+', { qos: 1 });
    for (const d of devices)
      sims.set(d, await connectDevice(pipeline.broker.url, pipeline.creds[d] as never));
  });

  afterAll(async () => {
    for (const s of sims.values()) await s.close().catch(() => {});
    operator?.end(true);
    await pipeline?.stop();
    receiver?.close();
  });

  it('tells each alert that stands once, with few updates, and settles exactly on the complete history', async () => {
    const days = new Map(
      devices.map((d, i) => [d, dayOf(profiles.get(DEVICES[d] as string) as Profile, t0, seeded(100 + i))]),
    );
    await Promise.all(
      devices.map((d) =>
        sims.get(d)?.sendAll(delivery(days.get(d) as Sample[], seeded(200 + devices.indexOf(d))), 1),
      ),
    );
    // Settled: no device filling in its past, and nothing more told for a while.
    await until(
      async () => (await ingestMetric(pipeline.ingest, 'coldchain_breach_devices_filling')) === 0,
      60_000,
      'devices settled',
    );
    let seen = -1;
    await until(
      async () => {
        const quiet = told.length === seen && receiver.calls.length === told.length;
        seen = told.length;
        if (!quiet) await new Promise((r) => setTimeout(r, 1_500));
        return quiet;
      },
      60_000,
      'nothing more told',
    );

    const store = createSqliteStore({ file: join(pipeline.dataDir, 'metadata.db') });
    try {
      let standing = 0;
      for (const device of devices) {
        const profile = profiles.get(DEVICES[device] as string) as Profile;
        const [leg] = (await store.legsOfShipment(`SHP-${device}`)) as CustodyLeg[];
        const alerts = await store.listAlerts({ shipmentId: `SHP-${device}`, limit: 500 });
        const open = alerts.filter((a) => a.status !== 'resolved');
        const batch = evaluate(
          (days.get(device) as Sample[]).map((r) =>
            toEngineReading({ tsMs: r.ts, temp: r.temp, door: r.door }),
          ),
          profile,
          { startMs: leg?.fromMs as number, endMs: null },
          Date.now(),
        ).excursions;
        const shape = (
          rows: Array<{ key: string; startMs: number; endMs: number | null; peakValue: number | null }>,
        ) =>
          rows
            .map(({ key, startMs, endMs, peakValue }) => ({ key, startMs, endMs, peakValue }))
            .sort((a, b) => (a.key < b.key ? -1 : 1));
        expect(shape(open), device).toEqual(
          shape(
            batch.map((e) => ({
              key: alertKey(`SHP-${device}`, leg?.id as number, e.key),
              startMs: e.startMs,
              endMs: e.endMs,
              peakValue: e.peak?.value ?? null,
            })),
          ),
        );
        // Range, critical, cumulative and door alerts all appear; no short spike raised anything.
        expect(open.length, device).toBeGreaterThanOrEqual(3);
        standing += open.length;
      }
      const count = (events: Array<{ event: string }>, event: string) =>
        events.filter((e) => e.event === event).length;
      const created = count(told, 'alert.created');
      const updated = count(told, 'alert.updated');
      const perAlert = new Map<number, number>();
      for (const t of told)
        if (t.event === 'alert.updated') perAlert.set(t.alert.id, (perAlert.get(t.alert.id) ?? 0) + 1);
      console.log(
        `alert quality: ${standing} alerts stand; ${created} alert.created and ${updated} alert.updated on MQTT, ` +
          `${count(hooks(), 'alert.created')} and ${count(hooks(), 'alert.updated')} webhook calls; ` +
          `most updates of one alert: ${Math.max(0, ...perAlert.values())}`,
      );
      expect(created).toBeLessThanOrEqual(Math.floor(1.1 * standing));
      expect(updated).toBeLessThanOrEqual(2 * standing);
      expect(Math.max(0, ...perAlert.values())).toBeLessThanOrEqual(3);
      expect(count(hooks(), 'alert.created')).toBe(created);
      expect(count(hooks(), 'alert.updated')).toBe(updated);
    } finally {
      await store.close();
    }
  }, 180_000);
});
