import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Reading as EngineReading, parseProfiles, toEngineReading } from '@coldchain/coldchain';
import type { Reading } from '@coldchain/schema';
import { createSqliteStore } from '@coldchain/store';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type BreachMonitorDeps, createBreachMonitor } from './breach-monitor.js';

const MIN = 60_000;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const profiles = new Map(
  parseProfiles(JSON.parse(readFileSync(join(repoRoot, 'seeds', 'profiles.json'), 'utf8'))).map((p) => [
    p.id,
    p,
  ]),
);

/**
 * A monitor over an in-memory store, with a clock the test moves and a history source that holds
 * what InfluxDB would: every reading the test sent. It counts the history reads (state rebuilds).
 */
function harness(t0: number, options: Partial<BreachMonitorDeps> = {}) {
  const clock = { ms: t0 };
  const now = () => clock.ms;
  const store = createSqliteStore({ file: ':memory:', now });
  const stored = new Map<string, EngineReading[]>();
  const historyReads = new Map<string, number>();
  const monitor = createBreachMonitor({
    store,
    profiles,
    history: async (deviceId, fromMs, toMs) => {
      historyReads.set(deviceId, (historyReads.get(deviceId) ?? 0) + 1);
      return (stored.get(deviceId) ?? []).filter((r) => r.tsMs >= fromMs && r.tsMs < toMs);
    },
    sinks: [],
    log: pino({ level: 'silent' }),
    now,
    ...options,
  });
  const send = (deviceId: string, readings: Reading[]) => {
    stored.set(deviceId, [...(stored.get(deviceId) ?? []), ...readings.map(toEngineReading)]);
    monitor.accept({ deviceId, arrivedAtMs: clock.ms, readings, events: [] });
  };
  /** A frozen shipment on one device, its leg starting one settle period (30 min) before `t0`. */
  const frozenShipment = async (id: string, deviceId: string, holder: string) => {
    await store.createShipment({ id, profileId: 'frozen', shipper: 'Dalian Haiyun', consignee: 'Shenyang' });
    await store.addCustodyLeg({
      shipmentId: id,
      deviceId,
      holder,
      fromMs: t0 - 30 * MIN,
      toMs: null,
      handedOverBy: 'Dalian Haiyun',
      handoverTempC: -20,
    });
  };
  /** A product temperature `min` minutes after `t0`. */
  const at = (min: number, c: number): Reading => ({ tsMs: t0 + min * MIN, temp: { product: c } });
  return { clock, store, monitor, send, frozenShipment, at, reads: (d: string) => historyReads.get(d) ?? 0 };
}

describe('the breach monitor keeps engine state for the legs that need it', () => {
  it('lets a handed-over leg go once idle, and rebuilds it from history for a late backlog', async () => {
    const t0 = Date.UTC(2026, 10, 1, 8, 0, 0);
    const { clock, store, monitor, send, frozenShipment, at, reads } = harness(t0, {
      closedLegIdleMs: 10 * MIN,
    });
    await frozenShipment('S1', 'truck-1', 'Haiyun Logistics');
    clock.ms = t0 + 10 * MIN;
    send(
      'truck-1',
      Array.from({ length: 10 }, (_, i) => at(i, -20)),
    );
    await monitor.idle();
    expect(monitor.legsInMemory()).toBe(1);

    // Handover to a cold room at t0 + 12 min: truck-1's leg is closed.
    await store.addCustodyLeg({
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
    clock.ms = t0 + 15 * MIN;
    await monitor.tick();
    expect(monitor.legsInMemory()).toBe(2);
    clock.ms = t0 + 25 * MIN;
    await monitor.tick();
    expect(monitor.legsInMemory()).toBe(1);

    // The truck's logger flushes a backlog from inside its leg: a critical thaw at t0 + 5.5 min.
    const readsBefore = reads('truck-1');
    send('truck-1', [at(5.5, -10), at(5.75, -20)]);
    await monitor.idle();
    expect(reads('truck-1')).toBe(readsBefore + 1);
    const alerts = await store.listAlerts({ shipmentId: 'S1' });
    expect(alerts.map((a) => [a.deviceId, a.severity, a.startMs, a.holder])).toEqual([
      ['truck-1', 'critical', t0 + 5.5 * MIN, 'Haiyun Logistics'],
    ]);

    // Sent again (a duplicate delivery): the same alert, not a second one.
    send('truck-1', [at(5.5, -10), at(5.75, -20)]);
    await monitor.idle();
    expect(await store.listAlerts({ shipmentId: 'S1' })).toHaveLength(1);
    await store.close();
  });

  it('trims a long open leg, and rebuilds it from history only for a backlog older than it keeps', async () => {
    const t0 = Date.UTC(2026, 10, 2, 0, 0, 0);
    const { clock, store, monitor, send, frozenShipment, at, reads } = harness(t0, {
      trimAbove: 300,
      trimKeep: 100,
    });
    await frozenShipment('S2', 'reefer-9', 'Yellow Sea Line');
    // 400 minutes at -20 °C, 50 readings a message: the state is trimmed on the way.
    for (let m = 0; m < 400; m += 50) {
      clock.ms = t0 + (m + 50) * MIN;
      send(
        'reefer-9',
        Array.from({ length: 50 }, (_, i) => at(m + i, -20)),
      );
      await monitor.idle();
    }
    expect(reads('reefer-9')).toBe(1);

    // A late reading among those kept folds in place: no rebuild.
    send('reefer-9', [at(390.5, -10), at(390.75, -20)]);
    await monitor.idle();
    expect(reads('reefer-9')).toBe(1);
    // One from the start of the leg, long trimmed: the state is built again from history.
    send('reefer-9', [at(5.5, -10), at(5.75, -20)]);
    await monitor.idle();
    expect(reads('reefer-9')).toBe(2);

    const alerts = await store.listAlerts({ shipmentId: 'S2' });
    expect(alerts.map((a) => [a.severity, a.startMs, a.status]).sort()).toEqual(
      [
        ['critical', t0 + 390.5 * MIN, 'open'],
        ['critical', t0 + 5.5 * MIN, 'open'],
      ].sort(),
    );
    await store.close();
  });

  it("asks the store for a device's legs once per cache period, however many messages arrive while it answers", async () => {
    const t0 = Date.UTC(2026, 10, 3, 0, 0, 0);
    const { clock, store, monitor, send, frozenShipment, at } = harness(t0);
    await frozenShipment('S3', 'cab-3', 'Locker operator');
    let legReads = 0;
    const legsOfDevice = store.legsOfDevice.bind(store);
    store.legsOfDevice = (deviceId) => {
      legReads++;
      return legsOfDevice(deviceId);
    };
    // Three messages before the first read answers share it, and are judged in order.
    clock.ms = t0 + 10 * MIN;
    send('cab-3', [at(0, -20), at(1, -20)]);
    send('cab-3', [at(2, -10)]);
    send('cab-3', [at(3, -20)]);
    await monitor.idle();
    expect(legReads).toBe(1);
    expect((await store.listAlerts({ shipmentId: 'S3' })).map((a) => [a.severity, a.startMs])).toEqual([
      ['critical', t0 + 2 * MIN],
    ]);
    // Within the cache period the legs come from memory; past it the store is asked again.
    send('cab-3', [at(4, -20)]);
    await monitor.idle();
    expect(legReads).toBe(1);
    clock.ms += 5_000;
    send('cab-3', [at(5, -20)]);
    await monitor.idle();
    expect(legReads).toBe(2);
    await store.close();
  });
});
