import { parseTelemetry } from '@coldchain/schema';
import { describe, expect, it } from 'vitest';
import { climateForBand } from './climate.js';
import { createDeviceModel, DEVICE_KINDS, type DeviceModelConfig } from './device-model.js';
import { createRng } from './random.js';
import type { WireReading } from './telemetry-payload.js';

const START_MS = Date.parse('2026-06-01T08:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DALIAN = { lat: 38.955, lon: 121.64 };
const SHENYANG = { lat: 41.85, lon: 123.3 };
const chilledSeafood = climateForBand({ lowC: 0, highC: 4, rhLowPct: 90 });

function vehicle(overrides: Partial<DeviceModelConfig> = {}): DeviceModelConfig {
  return {
    id: 'veh-test-01',
    kind: 'vehicle',
    climate: chilledSeafood,
    startMs: START_MS,
    route: { from: DALIAN, to: SHENYANG, drops: 1 },
    ...overrides,
  };
}

function sampleEvery(config: DeviceModelConfig, seed: number, stepMs: number, spanMs: number): WireReading[] {
  const model = createDeviceModel(config, createRng(seed));
  const out: WireReading[] = [];
  for (let t = 0; t <= spanMs; t += stepMs) out.push(model.sample(START_MS + t));
  return out;
}

const air = (r: WireReading) => r.temp.air as number;
const product = (r: WireReading) => r.temp.product as number;
const at = (readings: WireReading[], ms: number) =>
  readings.find((r) => Date.parse(r.ts) === START_MS + ms) as WireReading;

describe('device model', () => {
  it('gives the same readings for the same seed and different ones for another seed', () => {
    const a = sampleEvery(vehicle(), 42, MINUTE, 6 * HOUR);
    const b = sampleEvery(vehicle(), 42, MINUTE, 6 * HOUR);
    const c = sampleEvery(vehicle(), 43, MINUTE, 6 * HOUR);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('spikes the air while the doors are open at a stop, then pulls it back to the set-point', () => {
    // The round starts with loading at the origin: doors open from 2 min to 3.5 min.
    const readings = sampleEvery(vehicle(), 7, 10_000, 40 * MINUTE);
    const open = readings.filter((r) => r.door === true);
    expect(open.length).toBeGreaterThanOrEqual(8);
    expect(open.length).toBeLessThanOrEqual(10);
    const before = at(readings, MINUTE + 50_000);
    const peak = Math.max(...readings.map(air));
    expect(peak).toBeGreaterThan(chilledSeafood.setpointC + 3);
    const after = readings.filter((r) => Date.parse(r.ts) >= START_MS + 25 * MINUTE);
    for (const r of after) expect(Math.abs(air(r) - chilledSeafood.setpointC)).toBeLessThan(1);
    // The load barely notices a 90-second opening.
    expect(Math.abs(product(at(readings, 40 * MINUTE)) - product(before))).toBeLessThan(0.3);
  });

  it('keeps the product inside the band while the unit works', () => {
    const readings = sampleEvery(vehicle(), 11, MINUTE, 24 * HOUR);
    for (const r of readings) {
      expect(product(r)).toBeGreaterThan(0);
      expect(product(r)).toBeLessThan(4);
    }
  });

  it('drifts above the band after a compressor failure, air first and the product after it', () => {
    const faults = [{ kind: 'compressor-failure' as const, fromMs: START_MS + HOUR }];
    const readings = sampleEvery(vehicle({ faults }), 11, MINUTE, 8 * HOUR);
    const afterFailure = readings.filter((r) => Date.parse(r.ts) >= START_MS + HOUR);
    expect(product(afterFailure[0] as WireReading)).toBeLessThan(4);
    const airAbove = afterFailure.findIndex((r) => air(r) > 4);
    const productAbove = afterFailure.findIndex((r) => product(r) > 4);
    expect(airAbove).toBeGreaterThan(0);
    expect(productAbove).toBeGreaterThan(airAbove);
    // Once warm it stays warm: no recovery without the compressor.
    for (const r of afterFailure.slice(productAbove)) expect(product(r)).toBeGreaterThan(4);
    expect(product(readings.at(-1) as WireReading)).toBeGreaterThan(8);
  });

  it('recovers after a power cut and reports the backup battery draining during it', () => {
    const faults = [{ kind: 'power-cut' as const, fromMs: START_MS + HOUR, toMs: START_MS + 3 * HOUR }];
    const config: DeviceModelConfig = {
      id: 'cr-test-01',
      kind: 'cold-room',
      climate: chilledSeafood,
      startMs: START_MS,
      faults,
    };
    const readings = sampleEvery(config, 5, MINUTE, 8 * HOUR);
    expect(at(readings, HOUR).battery).toBe(100);
    expect(at(readings, 3 * HOUR).battery).toBeLessThan(90);
    expect(air(at(readings, 3 * HOUR))).toBeGreaterThan(4);
    expect(air(at(readings, 8 * HOUR))).toBeLessThan(4);
    expect(at(readings, 8 * HOUR).battery).toBe(100);
  });

  it('moves a vehicle along the straight line between its places and stands still at stops', () => {
    const readings = sampleEvery(vehicle(), 3, 10 * MINUTE, 12 * HOUR);
    for (const r of readings) {
      const f = ((r.lat as number) - DALIAN.lat) / (SHENYANG.lat - DALIAN.lat);
      expect(f).toBeGreaterThan(-0.001);
      expect(f).toBeLessThan(1.001);
      // On the line: longitude is the same fraction of the way.
      expect((r.lon as number) - (DALIAN.lon + f * (SHENYANG.lon - DALIAN.lon))).toBeCloseTo(0, 3);
    }
    const lats = readings.map((r) => r.lat as number);
    expect(Math.max(...lats)).toBeGreaterThan(SHENYANG.lat - 0.01);
    expect(at(readings, 20 * MINUTE).lat).toBeCloseTo(DALIAN.lat, 3);
  });

  it('drains a parcel logger battery and reports one product probe, no door', () => {
    const config: DeviceModelConfig = {
      id: 'log-test-01',
      kind: 'logger',
      climate: climateForBand({ lowC: 2, highC: 8 }),
      startMs: START_MS,
      batteryPct: 50,
    };
    const readings = sampleEvery(config, 9, HOUR, 48 * HOUR);
    expect(Object.keys(readings[0]?.temp ?? {})).toEqual(['product']);
    expect(readings[0]?.door).toBeUndefined();
    expect(readings[0]?.lat).toBeUndefined();
    expect(readings.at(-1)?.battery).toBe(48);
  });

  it('produces readings that pass parseTelemetry for every kind, with and without faults', () => {
    const faults = [
      { kind: 'compressor-failure' as const, fromMs: START_MS + 2 * HOUR, toMs: START_MS + 5 * HOUR },
      { kind: 'power-cut' as const, fromMs: START_MS + 10 * HOUR, toMs: START_MS + 20 * HOUR },
    ];
    for (const kind of DEVICE_KINDS) {
      const config = vehicle({ kind, faults, climate: climateForBand({ highC: -18 }) });
      for (const r of sampleEvery(config, 1, 5 * MINUTE, 24 * HOUR)) {
        const result = parseTelemetry(JSON.stringify({ v: 1, ...r }), { nowMs: Date.parse(r.ts) });
        expect(result.ok, JSON.stringify(result)).toBe(true);
      }
    }
  });

  it('counts seq up by one per reading and refuses time going backwards', () => {
    const model = createDeviceModel(vehicle({ firstSeq: 100 }), createRng(1));
    expect(model.sample(START_MS).seq).toBe(100);
    expect(model.sample(START_MS + 1000).seq).toBe(101);
    expect(() => model.sample(START_MS)).toThrow(RangeError);
  });

  it('holds a door open for a door-open fault: the door reads open and the air warms, the load barely', () => {
    const faults = [
      { kind: 'door-open' as const, fromMs: START_MS + 10 * MINUTE, toMs: START_MS + 22 * MINUTE },
    ];
    const frozen = climateForBand({ highC: -18 });
    const config = {
      id: 'cr-test-01',
      kind: 'cold-room' as const,
      climate: frozen,
      startMs: START_MS,
      faults,
    };
    const readings = sampleEvery(config, 9, MINUTE, 40 * MINUTE);
    expect(readings.filter((r) => r.door === true).map((r) => Date.parse(r.ts) - START_MS)).toEqual(
      Array.from({ length: 12 }, (_, i) => (10 + i) * MINUTE),
    );
    expect(air(at(readings, 22 * MINUTE)) - air(at(readings, 10 * MINUTE))).toBeGreaterThan(5);
    expect(Math.abs(product(at(readings, 22 * MINUTE)) - product(at(readings, 10 * MINUTE)))).toBeLessThan(
      0.5,
    );
  });

  it("opens a parcel logger's box for a door-open fault: no door field, a small load warms within minutes", () => {
    const faults = [
      { kind: 'door-open' as const, fromMs: START_MS + 30 * MINUTE, toMs: START_MS + 33 * MINUTE },
    ];
    const config = {
      id: 'log-test-01',
      kind: 'logger' as const,
      climate: climateForBand({ lowC: 2, highC: 8 }),
      startMs: START_MS,
      ambientC: 30,
      productTauMs: 10 * MINUTE,
      faults,
    };
    const readings = sampleEvery(config, 10, MINUTE, 60 * MINUTE);
    expect(readings.every((r) => r.door === undefined)).toBe(true);
    const peak = Math.max(...readings.map((r) => r.temp.product as number));
    expect(peak).toBeGreaterThan(8);
    expect(product(at(readings, 60 * MINUTE))).toBeLessThan(6);
  });

  it('puts the product probe into a warm load at a warm-load fault, which then cools with the unit', () => {
    const faults = [{ kind: 'warm-load' as const, fromMs: START_MS + 5 * MINUTE, tempC: 10 }];
    const readings = sampleEvery(vehicle({ faults }), 11, MINUTE, 3 * HOUR);
    expect(product(at(readings, 4 * MINUTE))).toBeLessThan(3);
    expect(product(at(readings, 5 * MINUTE))).toBeGreaterThan(9.5);
    expect(product(at(readings, 3 * HOUR))).toBeLessThan(product(at(readings, HOUR)));
  });
});
