import { describe, expect, it } from 'vitest';
import { evaluate } from './engine.js';
import type { Reading } from './reading.js';
import { evaluateLegs, type LegReadings } from './shipment-excursions.js';
import { at, excursion, MIN, testProfile as profile, temps } from './test-fixtures.js';

/**
 * Shipment SH-1: the truck holds the goods for the first hour, the cold room from then on (leg still
 * open). The truck's probe also measured after the handover, for its next load: too warm for this profile.
 */
const truck: Reading[] = [
  ...temps(5, [5, 5, 9, 10.5, 9.5, 9, 5, 5, 5, 5, 5, 5]),
  ...temps(5, [12, 12, 12, 12], 60),
];
const room: Reading[] = temps(5, [4, 4, 4, 4, 4, 4, 4], 60);
const legs: LegReadings[] = [
  {
    shipmentId: 'SH-1',
    legId: 11,
    holder: 'Dalian Haiyun',
    deviceId: 'truck-7',
    fromMs: at(0),
    toMs: at(60),
    readings: truck,
  },
  {
    shipmentId: 'SH-1',
    legId: 12,
    holder: 'Shenyang DC',
    deviceId: 'room-2',
    fromMs: at(60),
    toMs: null,
    readings: room,
  },
];
const nowMs = at(120);

describe('evaluateLegs', () => {
  const result = evaluateLegs(legs, profile, nowMs);

  it("labels each excursion with its leg's holder and device, and names the alert the ingest keys it by", () => {
    const range = excursion('range', 'high', 10, 30, { limit: 8, peak: [10.5, 15] });
    expect(result.excursions[0]).toEqual({
      ...range,
      legId: 11,
      holder: 'Dalian Haiyun',
      deviceId: 'truck-7',
      alertKey: `SH-1:11:${range.key}`,
    });
  });

  it("ignores a device's readings outside its leg: the truck's next load is not this shipment's excursion", () => {
    expect(result.excursions.filter((e) => e.legId === 11)).toHaveLength(1);
    expect(result.legs[0]?.summary.maxC).toBe(10.5);
  });

  it('judges an open leg at the present, so a device gone quiet shows as a data gap', () => {
    const roomExcursions = result.excursions.filter((e) => e.legId === 12);
    expect(roomExcursions.map((e) => [e.rule, e.startMs, e.endMs])).toEqual([['gap', at(90), null]]);
    expect(result.legs[1]).toMatchObject({
      legId: 12,
      holder: 'Shenyang DC',
      asOfMs: nowMs,
      legEnded: false,
    });
  });

  it("gives per leg exactly the engine's own evaluation of that leg's window", () => {
    for (const [i, leg] of legs.entries()) {
      const own = evaluate(leg.readings, profile, { startMs: leg.fromMs, endMs: leg.toMs }, nowMs);
      expect(
        result.excursions
          .filter((e) => e.legId === leg.legId)
          .map(({ legId, holder, deviceId, alertKey, ...e }) => e),
      ).toEqual(own.excursions);
      expect(result.legs[i]?.summary).toEqual(own.summary);
    }
  });

  it('orders excursions of all legs by start and fails a leg by its own excursions only', () => {
    expect(result.excursions.map((e) => e.startMs)).toEqual([at(10), at(90)]);
    expect(result.legs.map((l) => l.summary.verdict)).toEqual(['fail', 'fail']);
    expect(evaluateLegs([legs[1] as LegReadings], profile, at(95)).legs[0]?.summary.verdict).toBe('pass');
  });

  it('lists early warnings apart from the excursions, with their alert keys, and passes the leg', () => {
    // The room's air at 9 °C from 60 to 90 min while the product stays at 4 °C: air delay 15 min.
    const warned = { ...profile, earlyWarning: { airDelayMs: 15 * MIN, trendWindowMs: 30 * MIN } };
    const withAir = room.map((r) => ({ ...r, airC: r.tsMs <= at(80) ? 9 : 4 }));
    const [, roomLeg] = legs;
    const result = evaluateLegs([{ ...(roomLeg as LegReadings), readings: withAir }], warned, at(90));
    expect(result.excursions).toEqual([]);
    expect(result.earlyWarnings.map((e) => [e.rule, e.startMs, e.endMs, e.alertKey])).toEqual([
      ['early_warning', at(60), at(85), `SH-1:12:early_warning:high:${at(60)}`],
    ]);
    expect(result.legs[0]?.summary.verdict).toBe('pass');
  });
});
