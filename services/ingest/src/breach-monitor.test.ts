import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Reading as EngineReading, parseProfiles } from '@coldchain/coldchain';
import type { Reading } from '@coldchain/schema';
import { createSqliteStore } from '@coldchain/store';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createBreachMonitor, toEngineReading } from './breach-monitor.js';

const MIN = 60_000;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const profiles = new Map(
  parseProfiles(JSON.parse(readFileSync(join(repoRoot, 'seeds', 'profiles.json'), 'utf8'))).map((p) => [
    p.id,
    p,
  ]),
);

describe('the breach monitor keeps engine state for the legs that need it', () => {
  it('lets a handed-over leg go once idle, and rebuilds it from history for a late backlog', async () => {
    const t0 = Date.UTC(2026, 10, 1, 8, 0, 0);
    let clock = t0;
    const now = () => clock;
    const store = createSqliteStore({ file: ':memory:', now });
    // What InfluxDB would hold: every reading the monitor was given, per device.
    const stored = new Map<string, EngineReading[]>();
    const historyCalls: string[] = [];
    const monitor = createBreachMonitor({
      store,
      profiles,
      history: async (deviceId, fromMs, toMs) => {
        historyCalls.push(deviceId);
        return (stored.get(deviceId) ?? []).filter((r) => r.tsMs >= fromMs && r.tsMs < toMs);
      },
      sinks: [],
      log: pino({ level: 'silent' }),
      now,
      closedLegIdleMs: 10 * MIN,
    });
    const send = (deviceId: string, readings: Reading[]) => {
      stored.set(deviceId, [...(stored.get(deviceId) ?? []), ...readings.map(toEngineReading)]);
      monitor.accept({ deviceId, arrivedAtMs: clock, readings, events: [] });
    };
    const frozenAt = (tsMs: number, c: number): Reading => ({ tsMs, temp: { product: c } });

    store.createShipment({ id: 'S1', profileId: 'frozen', shipper: 'Dalian Haiyun', consignee: 'Shenyang' });
    store.addCustodyLeg({
      shipmentId: 'S1',
      deviceId: 'truck-1',
      holder: 'Haiyun Logistics',
      // One settle period (30 min for frozen) before the readings, so they are judged at once.
      fromMs: t0 - 30 * MIN,
      toMs: null,
      handedOverBy: 'Dalian Haiyun',
      handoverTempC: -20,
    });
    clock = t0 + 10 * MIN;
    send(
      'truck-1',
      Array.from({ length: 10 }, (_, i) => frozenAt(t0 + i * MIN, -20)),
    );
    await monitor.idle();
    expect(monitor.legsInMemory()).toBe(1);

    // Handover to a cold room at t0 + 12 min: truck-1's leg is closed.
    store.addCustodyLeg({
      shipmentId: 'S1',
      deviceId: 'room-1',
      holder: 'Shenyang cold room',
      fromMs: t0 + 12 * MIN,
      toMs: null,
      handedOverBy: 'Haiyun Logistics',
      handoverTempC: -20,
    });
    // Five minutes after its last reading the closed leg is still kept; past ten it goes. The
    // open leg stays: the timer evaluates it every tick.
    clock = t0 + 15 * MIN;
    await monitor.tick();
    expect(monitor.legsInMemory()).toBe(2);
    clock = t0 + 25 * MIN;
    await monitor.tick();
    expect(monitor.legsInMemory()).toBe(1);

    // The truck's logger flushes a backlog from inside its leg: a critical thaw at t0 + 5.5 min.
    const callsBefore = historyCalls.filter((d) => d === 'truck-1').length;
    send('truck-1', [frozenAt(t0 + 5.5 * MIN, -10), frozenAt(t0 + 5.75 * MIN, -20)]);
    await monitor.idle();
    expect(historyCalls.filter((d) => d === 'truck-1').length).toBe(callsBefore + 1);
    const alerts = store.listAlerts({ shipmentId: 'S1' });
    expect(alerts.map((a) => [a.deviceId, a.severity, a.startMs, a.holder])).toEqual([
      ['truck-1', 'critical', t0 + 5.5 * MIN, 'Haiyun Logistics'],
    ]);

    // Sent again (a duplicate delivery): the same alert, not a second one.
    send('truck-1', [frozenAt(t0 + 5.5 * MIN, -10), frozenAt(t0 + 5.75 * MIN, -20)]);
    await monitor.idle();
    expect(store.listAlerts({ shipmentId: 'S1' })).toHaveLength(1);
    store.close();
  });

  it('trims a long open leg, and rebuilds it from history only for a backlog older than it keeps', async () => {
    const t0 = Date.UTC(2026, 10, 2, 0, 0, 0);
    let clock = t0;
    const now = () => clock;
    const store = createSqliteStore({ file: ':memory:', now });
    const stored: EngineReading[] = [];
    let historyCalls = 0;
    const monitor = createBreachMonitor({
      store,
      profiles,
      history: async (_deviceId, fromMs, toMs) => {
        historyCalls++;
        return stored.filter((r) => r.tsMs >= fromMs && r.tsMs < toMs);
      },
      sinks: [],
      log: pino({ level: 'silent' }),
      now,
      trimAbove: 300,
      trimKeep: 100,
    });
    const send = (readings: Reading[]) => {
      stored.push(...readings.map(toEngineReading));
      monitor.accept({ deviceId: 'reefer-9', arrivedAtMs: clock, readings, events: [] });
    };
    const at = (min: number, c: number): Reading => ({ tsMs: t0 + min * MIN, temp: { product: c } });
    store.createShipment({ id: 'S2', profileId: 'frozen', shipper: 'Dalian Haiyun', consignee: 'Busan' });
    store.addCustodyLeg({
      shipmentId: 'S2',
      deviceId: 'reefer-9',
      holder: 'Yellow Sea Line',
      fromMs: t0 - 30 * MIN,
      toMs: null,
      handedOverBy: 'Dalian Haiyun',
      handoverTempC: -20,
    });
    // 400 minutes at -20 °C, 50 readings a message: the state is trimmed on the way.
    for (let m = 0; m < 400; m += 50) {
      clock = t0 + (m + 50) * MIN;
      send(Array.from({ length: 50 }, (_, i) => at(m + i, -20)));
      await monitor.idle();
    }
    expect(historyCalls).toBe(1);

    // A late reading among those kept folds in place: no rebuild.
    send([at(390.5, -10), at(390.75, -20)]);
    await monitor.idle();
    expect(historyCalls).toBe(1);
    // One from the start of the leg, long trimmed: the state is built again from history.
    send([at(5.5, -10), at(5.75, -20)]);
    await monitor.idle();
    expect(historyCalls).toBe(2);

    const alerts = store.listAlerts({ shipmentId: 'S2' });
    expect(alerts.map((a) => [a.severity, a.startMs, a.status]).sort()).toEqual(
      [
        ['critical', t0 + 390.5 * MIN, 'open'],
        ['critical', t0 + 5.5 * MIN, 'open'],
      ].sort(),
    );
    store.close();
  });
});
