import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Reading as EngineReading, parseProfiles, toEngineReading } from '@coldchain/coldchain';
import type { Reading } from '@coldchain/schema';
import { type Alert, createSqliteStore } from '@coldchain/store';
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
  /** The device has been quiet for the settle time: what was held while it filled in its past is told. */
  const settled = async () => {
    clock.ms += options.settleMs ?? 5_000;
    await monitor.release();
    await monitor.idle();
  };
  return {
    clock,
    store,
    monitor,
    send,
    settled,
    frozenShipment,
    at,
    reads: (d: string) => historyReads.get(d) ?? 0,
  };
}

describe('the breach monitor keeps engine state for the legs that need it', () => {
  it('lets a handed-over leg go once idle, and rebuilds it from history for a late backlog', async () => {
    const t0 = Date.UTC(2026, 10, 1, 8, 0, 0);
    const { clock, store, monitor, send, settled, frozenShipment, at, reads } = harness(t0, {
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
    // Held while the logger fills in its past, told once it has settled.
    expect(await store.listAlerts({ shipmentId: 'S1' })).toEqual([]);
    await settled();
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
    const { clock, store, monitor, send, settled, frozenShipment, at, reads } = harness(t0, {
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

    await settled();
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
    // Readings up to 10 min old, not a backlog here: this is about the store reads.
    const { clock, store, monitor, send, frozenShipment, at } = harness(t0, { backlogLagMs: 60 * MIN });
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

describe('the breach monitor evaluates a shipment again when its custody changes', () => {
  /** Sink events as `[change, holder, status, startMs]`. */
  const recorder = () => {
    const events: Array<[string, string | null, string, number]> = [];
    const sink = (alert: Alert, change: 'created' | 'updated') =>
      events.push([change, alert.holder, alert.status, alert.startMs]);
    return { events, sink };
  };
  const handover = (shipmentId: string, deviceId: string, holder: string, fromMs: number) => ({
    shipmentId,
    deviceId,
    holder,
    fromMs,
    toMs: null,
    handedOverBy: 'Haiyun Logistics',
    handoverTempC: -20,
  });

  it("raises a late handover's excursion with the new holder, and withdraws the alert of the leg it shortened", async () => {
    const t0 = Date.UTC(2026, 10, 4, 0, 0, 0);
    const { events, sink } = recorder();
    const { clock, store, monitor, send, frozenShipment, at } = harness(t0, { sinks: [sink] });
    await frozenShipment('S4', 'truck-4', 'Haiyun Logistics');
    clock.ms = t0 + 60 * MIN;
    // A thaw at minute 45, raised on the truck's leg.
    send(
      'truck-4',
      Array.from({ length: 60 }, (_, i) => at(i, i === 45 ? -10 : -20)),
    );
    await monitor.idle();
    expect(events).toEqual([['created', 'Haiyun Logistics', 'open', t0 + 45 * MIN]]);

    // Recorded only now: the cold store took over at minute 10 (its settle period ends at minute 40).
    await store.addCustodyLeg(handover('S4', 'truck-4', 'Dalian Cold Store', t0 + 10 * MIN));
    await monitor.reevaluateShipment('S4');

    expect(events.slice(1).sort()).toEqual(
      [
        ['created', 'Dalian Cold Store', 'open', t0 + 45 * MIN],
        ['updated', 'Haiyun Logistics', 'resolved', t0 + 45 * MIN],
      ].sort(),
    );
    const alerts = await store.listAlerts({ shipmentId: 'S4' });
    expect(alerts.map((a) => [a.holder, a.status, a.detail])).toEqual([
      ['Dalian Cold Store', 'open', null],
      ['Haiyun Logistics', 'resolved', 'withdrawn: a custody change put it outside its leg'],
    ]);

    // Asked again, with nothing changed: nothing more to tell.
    await monitor.reevaluateShipment('S4');
    expect(events).toHaveLength(3);
    // The device's legs are read again: what comes next is the cold store's.
    send('truck-4', [at(60, -20), at(61, -10)]);
    await monitor.idle();
    expect(events.slice(3)).toEqual([['created', 'Dalian Cold Store', 'open', t0 + 61 * MIN]]);
    await store.close();
  });

  it('keeps the readings it holds that InfluxDB has not been written yet', async () => {
    const t0 = Date.UTC(2026, 10, 5, 0, 0, 0);
    const { events, sink } = recorder();
    const { clock, store, monitor, send, frozenShipment, at } = harness(t0, { sinks: [sink] });
    await frozenShipment('S5', 'truck-5', 'Haiyun Logistics');
    clock.ms = t0 + 45 * MIN;
    send(
      'truck-5',
      Array.from({ length: 45 }, (_, i) => at(i, -20)),
    );
    await monitor.idle();
    // Accepted, still on its way to InfluxDB: the history source does not have it.
    clock.ms = t0 + 60 * MIN;
    const late = Array.from({ length: 15 }, (_, i) => at(45 + i, i === 0 ? -10 : -20));
    monitor.accept({ deviceId: 'truck-5', arrivedAtMs: clock.ms, readings: late, events: [] });
    await monitor.idle();
    expect(events).toHaveLength(1);

    await store.addCustodyLeg(handover('S5', 'truck-5', 'Dalian Cold Store', t0 + 10 * MIN));
    await monitor.reevaluateShipment('S5');
    // The thaw, not a data gap after minute 44, where InfluxDB's readings end.
    expect(events.slice(1).sort()).toEqual(
      [
        ['created', 'Dalian Cold Store', 'open', t0 + 45 * MIN],
        ['updated', 'Haiyun Logistics', 'resolved', t0 + 45 * MIN],
      ].sort(),
    );
    await store.close();
  });

  it('raises the excursions of a first leg recorded after its readings arrived', async () => {
    const t0 = Date.UTC(2026, 10, 6, 0, 0, 0);
    const { events, sink } = recorder();
    const { clock, store, monitor, send, at } = harness(t0, { sinks: [sink] });
    await store.createShipment({
      id: 'S6',
      profileId: 'frozen',
      shipper: 'Dalian Haiyun',
      consignee: 'Shenyang',
    });
    clock.ms = t0 + 60 * MIN;
    send(
      'cab-6',
      Array.from({ length: 60 }, (_, i) => at(i, i === 45 ? -10 : -20)),
    );
    await monitor.idle();
    expect(events).toEqual([]);

    await store.addCustodyLeg(handover('S6', 'cab-6', 'Locker operator', t0 - 30 * MIN));
    await monitor.reevaluateShipment('S6');
    expect(events).toEqual([['created', 'Locker operator', 'open', t0 + 45 * MIN]]);
    await store.close();
  });

  it('withdraws nothing, and says so, when a leg cannot be read back from InfluxDB', async () => {
    const t0 = Date.UTC(2026, 10, 7, 0, 0, 0);
    const { events, sink } = recorder();
    const stored: EngineReading[] = [];
    let influxDown = false;
    const { clock, store, monitor, frozenShipment, at } = harness(t0, {
      sinks: [sink],
      history: async (_deviceId, fromMs, toMs) => {
        if (influxDown) throw new Error('InfluxDB unreachable');
        return stored.filter((r) => r.tsMs >= fromMs && r.tsMs < toMs);
      },
    });
    await frozenShipment('S7', 'truck-7', 'Haiyun Logistics');
    clock.ms = t0 + 60 * MIN;
    const readings = Array.from({ length: 60 }, (_, i) => at(i, i === 45 ? -10 : -20));
    stored.push(...readings.map(toEngineReading));
    monitor.accept({ deviceId: 'truck-7', arrivedAtMs: clock.ms, readings, events: [] });
    await monitor.idle();
    expect(events).toHaveLength(1);

    await store.addCustodyLeg(handover('S7', 'truck-7', 'Dalian Cold Store', t0 + 10 * MIN));
    influxDown = true;
    await expect(monitor.reevaluateShipment('S7')).rejects.toThrow(/could not rebuild custody legs/);
    expect(events).toHaveLength(1);
    expect((await store.listAlerts({ shipmentId: 'S7' })).map((a) => a.status)).toEqual(['open']);

    // Back: the next attempt does it.
    influxDown = false;
    await monitor.reevaluateShipment('S7');
    expect(
      events
        .map(([change, holder]) => [change, holder])
        .slice(1)
        .sort(),
    ).toEqual(
      [
        ['created', 'Dalian Cold Store'],
        ['updated', 'Haiyun Logistics'],
      ].sort(),
    );
    await store.close();
  });
});

describe('an excursion that late readings first withdraw and later bring back', () => {
  // One device on pharma-2-8, a reading a minute; two real 31-minute excursions at 10 °C
  // (minutes 10–40 and 60–90), 5 °C otherwise. Three messages, each in time order but out of
  // order with each other: minutes 0–10 plus 60, then minute 50, then all the rest.
  async function deliver(settleBetween: boolean) {
    const t0 = Date.UTC(2026, 10, 2, 8, 0, 0);
    const told: Array<[string, string, number, string]> = [];
    const { clock, store, monitor, send, settled, at } = harness(t0, {
      sinks: [(alert, change) => told.push([change, alert.rule, alert.startMs, alert.status])],
    });
    await store.createShipment({
      id: 'S-RE',
      profileId: 'pharma-2-8',
      shipper: 'Shenyang Pharma',
      consignee: 'Clinic',
    });
    await store.addCustodyLeg({
      shipmentId: 'S-RE',
      deviceId: 'logger-1',
      holder: 'Cold Express',
      fromMs: t0 - 15 * MIN,
      toMs: null,
      handedOverBy: null,
      handoverTempC: null,
    });
    const temp = (m: number) => ((m >= 10 && m <= 40) || (m >= 60 && m <= 90) ? 10 : 5);
    const minutes = Array.from({ length: 101 }, (_, m) => m);
    clock.ms = t0 + 101 * MIN;
    const messages = [
      [...minutes.filter((m) => m <= 10), 60],
      [50],
      minutes.filter((m) => m > 10 && m !== 50 && m !== 60),
    ];
    for (const message of messages) {
      send(
        'logger-1',
        message.map((m) => at(m, temp(m))),
      );
      await monitor.idle();
      if (settleBetween) await settled();
    }
    await settled();
    const range = (await store.listAlerts({ shipmentId: 'S-RE', rule: 'range', limit: 100 })).sort(
      (a, b) => a.startMs - b.startMs,
    );
    return { t0, range, told };
  }

  it('ends with its alert open, as the complete history shows it, when each message was told', async () => {
    const { t0, range } = await deliver(true);
    const real = range.filter((a) => a.status !== 'resolved');
    expect(real.map((a) => [a.startMs, a.endMs])).toEqual([
      [t0 + 10 * MIN, t0 + 41 * MIN],
      [t0 + 60 * MIN, t0 + 91 * MIN],
    ]);
    // Whatever was withdrawn on the way ended under another key; none of the real ones is resolved.
    for (const a of range.filter((x) => x.status === 'resolved'))
      expect(real.map((r) => r.key)).not.toContain(a.key);
  });

  it('tells only the two real excursions when the messages come within the settle time', async () => {
    const { t0, range, told } = await deliver(false);
    expect(range.map((a) => [a.startMs, a.endMs, a.status])).toEqual([
      [t0 + 10 * MIN, t0 + 41 * MIN, 'open'],
      [t0 + 60 * MIN, t0 + 91 * MIN, 'open'],
    ]);
    expect(told.filter(([, rule]) => rule === 'range')).toEqual([
      ['created', 'range', t0 + 10 * MIN, 'open'],
      ['created', 'range', t0 + 60 * MIN, 'open'],
    ]);
  });
});
