import { describe, expect, it } from 'vitest';
import { type FleetState, fleetState } from './fleet-state.js';
import type { DeviceState, ProfileSummary } from './types.js';

const NOW = 1_800_000_000_000;
const MIN = 60_000;
const pharma: ProfileSummary = {
  id: 'pharma-2-8',
  name: 'Pharmaceuticals 2–8 °C',
  rangeC: { lowC: 2, highC: 8 },
  criticalC: { lowC: 0, highC: 15 },
  humidityPct: null,
  maxGapMs: 10 * MIN,
};
const frozen: ProfileSummary = {
  ...pharma,
  id: 'frozen',
  rangeC: { lowC: null, highC: -18 },
  maxGapMs: 15 * MIN,
};
const device = (temp: Record<string, number> | null, ageMs = MIN): DeviceState => ({
  id: 'D-1',
  name: 'truck',
  kind: 'vehicle',
  createdAtMs: 0,
  disabled: false,
  online: true,
  statusSinceMs: 0,
  lastSeenMs: temp ? NOW - ageMs : null,
  lastReading: temp ? { tsMs: NOW - ageMs, temp } : null,
  battery: 80,
});

describe('the fleet view state of a device', () => {
  const cases: Array<[string, DeviceState, ProfileSummary | null, FleetState]> = [
    ['in range', device({ product: 5 }), pharma, 'ok'],
    ['within 0.5 °C of the upper limit', device({ product: 7.6 }), pharma, 'warning'],
    ['within 0.5 °C of the lower limit', device({ product: 2.4 }), pharma, 'warning'],
    ['above the range', device({ product: 8.1 }), pharma, 'excursion'],
    ['below the range', device({ product: 1.9 }), pharma, 'excursion'],
    ['judged by the product probe, not the air', device({ air: 9.5, product: 6 }), pharma, 'ok'],
    ['by the air when it has no product probe', device({ air: 9.5 }), pharma, 'excursion'],
    ['frozen, one-sided range', device({ product: -21 }), frozen, 'ok'],
    ['frozen, too warm', device({ product: -16 }), frozen, 'excursion'],
    ['no reading at all', device(null), pharma, 'nodata'],
    ['last reading older than the maximum gap', device({ product: 5 }, 11 * MIN), pharma, 'nodata'],
    ['carrying no shipment', device({ product: 30 }), null, 'idle'],
  ];
  it.each(cases)('%s', (_, d, profile, expected) => {
    expect(fleetState(d, profile, NOW)).toBe(expected);
  });
});
