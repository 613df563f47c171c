import { describe, expect, it } from 'vitest';
import type { AlertInput } from './index.js';
import { createSqliteStore } from './index.js';

const base: AlertInput = {
  key: 'SHP-1:range:high:1000',
  rule: 'range',
  severity: 'warning',
  shipmentId: 'SHP-1',
  deviceId: 'truck-1',
  holder: 'Dalian Cold Logistics',
  startMs: 1000,
  endMs: null,
  limit: 8,
  peakValue: 9.5,
  peakTsMs: 1500,
  detail: null,
};

describe('shipments and custody legs', () => {
  it('ends the open leg where the handover starts', async () => {
    let t = 0;
    const store = createSqliteStore({ file: ':memory:', now: () => ++t });
    await store.createShipment({
      id: 'SHP-1',
      profileId: 'pharma-2-8',
      shipper: 'Pharma A',
      consignee: 'Hospital B',
    });
    await store.addCustodyLeg({
      shipmentId: 'SHP-1',
      deviceId: 'room-1',
      holder: 'Warehouse',
      fromMs: 0,
      toMs: null,
      handedOverBy: null,
      handoverTempC: null,
    });
    await store.addCustodyLeg({
      shipmentId: 'SHP-1',
      deviceId: 'truck-1',
      holder: 'Carrier',
      fromMs: 5000,
      toMs: null,
      handedOverBy: 'Warehouse',
      handoverTempC: 4.1,
    });
    const legs = await store.legsOfShipment('SHP-1');
    expect(legs.map((l) => [l.deviceId, l.fromMs, l.toMs])).toEqual([
      ['room-1', 0, 5000],
      ['truck-1', 5000, null],
    ]);
    expect((await store.legsOfDevice('truck-1'))[0]?.handoverTempC).toBe(4.1);
    await expect(store.addCustodyLeg({ ...legs[0]!, shipmentId: 'nope' })).rejects.toThrow(/does not exist/);
  });
});

describe('alerts', () => {
  it('creates one alert per key, updates it when the excursion changes, and reports unchanged otherwise', async () => {
    const store = createSqliteStore({ file: ':memory:' });
    expect((await store.upsertAlert(base)).change).toBe('created');
    expect((await store.upsertAlert(base)).change).toBe('unchanged');
    const closed = await store.upsertAlert({ ...base, endMs: 4000, peakValue: 10.2, peakTsMs: 2000 });
    expect(closed.change).toBe('updated');
    expect(closed.alert).toMatchObject({
      endMs: 4000,
      peakValue: 10.2,
      status: 'open',
      holder: 'Dalian Cold Logistics',
    });
    expect(await store.listAlerts()).toHaveLength(1);
    expect((await store.getAlertByKey(base.key))?.id).toBe(closed.alert.id);
    expect(await store.getAlertByKey('nope')).toBeNull();
  });

  it('moves open → acknowledged → resolved with who and why, and never back', async () => {
    const store = createSqliteStore({ file: ':memory:' });
    const { alert } = await store.upsertAlert(base);
    const acked = await store.acknowledgeAlert(
      alert.id,
      'operator-li',
      'driver called, compressor restarted',
    );
    expect(acked).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'operator-li',
      note: 'driver called, compressor restarted',
    });
    await expect(store.acknowledgeAlert(alert.id, 'x', 'y')).rejects.toThrow(/not open/);
    const resolved = await store.resolveAlert(alert.id, 'operator-li', 'temperature back in range');
    expect(resolved.status).toBe('resolved');
    expect((await store.upsertAlert({ ...base, endMs: 9000 })).alert.status).toBe('resolved');
    await expect(store.resolveAlert(alert.id, 'x', 'y')).rejects.toThrow(/already resolved/);
    expect(await store.listAlerts({ status: 'open' })).toHaveLength(0);
  });

  it('keeps service state by key', async () => {
    const store = createSqliteStore({ file: ':memory:' });
    expect(await store.loadState('engine')).toBeNull();
    await store.saveState('engine', '{"a":1}');
    await store.saveState('engine', '{"a":2}');
    expect(await store.loadState('engine')).toBe('{"a":2}');
  });
});
