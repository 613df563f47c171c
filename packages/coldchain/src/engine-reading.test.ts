import { describe, expect, it } from 'vitest';
import { type MeasuredReading, toEngineReading } from './engine-reading.js';
import type { Reading } from './reading.js';
import { T0 } from './test-fixtures.js';

describe('toEngineReading', () => {
  it.each<[string, MeasuredReading, Reading]>([
    [
      'judges the product probe when the device has one, with the air beside it for the early warning',
      { tsMs: T0, temp: { air: 6.5, product: 3.1 } },
      { tsMs: T0, tempC: 3.1, airC: 6.5 },
    ],
    [
      'judges the air when there is no product probe',
      { tsMs: T0, temp: { air: 6.5 } },
      { tsMs: T0, tempC: 6.5 },
    ],
    [
      'judges the only sensor of a device with neither',
      { tsMs: T0, temp: { return_air: -17.5 } },
      { tsMs: T0, tempC: -17.5 },
    ],
    [
      'keeps humidity and door state, with no temperature when the reading has none',
      { tsMs: T0, rh: 91.5, door: false },
      { tsMs: T0, rh: 91.5, door: false },
    ],
    [
      'keeps a temperature of exactly 0 °C',
      { tsMs: T0, temp: { product: 0, air: 4 } },
      { tsMs: T0, tempC: 0, airC: 4 },
    ],
  ])('%s', (_, input, expected) => {
    expect(toEngineReading(input)).toEqual(expected);
  });

  it('drops what the engine does not judge: position, battery, counter', () => {
    const wire = { tsMs: T0, seq: 1841, temp: { product: 2.9 }, lat: 38.914, lon: 121.614, battery: 87 };
    expect(toEngineReading(wire)).toStrictEqual({ tsMs: T0, tempC: 2.9 });
  });
});
