import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MKT_ACTIVATION_K, meanKineticTemperature, timeWeightedMkt } from './mkt.js';

describe('mean kinetic temperature (USP <1079>)', () => {
  it('uses ΔH/R = 83.144 kJ/mol ÷ 8.3144 J/(mol·K) = 10,000 K', () => {
    expect(MKT_ACTIVATION_K).toBeCloseTo(10_000, 9);
  });

  it('gives a constant temperature back', () => {
    expect(meanKineticTemperature([5, 5, 5, 5])).toBeCloseTo(5, 10);
    expect(timeWeightedMkt([{ tempC: -18, weight: 7 }])).toBeCloseTo(-18, 10);
  });

  it('matches a hand-worked example: equal halves at 2 °C and 8 °C', () => {
    // 2 °C = 275.15 K: 10,000 / 275.15 = 36.34381, e^−36.34381 = 1.644685e−16
    // 8 °C = 281.15 K: 10,000 / 281.15 = 35.56820, e^−35.56820 = 3.572121e−16
    // mean = 2.608403e−16, −ln(mean) = 35.88262, 10,000 / 35.88262 = 278.6864 K = 5.536 °C:
    // above the arithmetic mean of 5 °C, because warm time weighs more.
    expect(Math.exp(-10_000 / 275.15)).toBeCloseTo(1.644685e-16, 21);
    expect(Math.exp(-10_000 / 281.15)).toBeCloseTo(3.572121e-16, 21);
    expect(meanKineticTemperature([2, 8])).toBeCloseTo(5.536, 3);
    expect(
      timeWeightedMkt([
        { tempC: 2, weight: 30 },
        { tempC: 8, weight: 30 },
      ]),
    ).toBeCloseTo(5.536, 3);
  });

  it('matches a hand-worked example: equal halves at 20 °C and 30 °C give 26.26 °C', () => {
    // 10,000 / 293.15 = 34.11223, 10,000 / 303.15 = 32.98697;
    // ln((e^−34.11223 + e^−32.98697) / 2) = −32.98697 + ln((1 + e^−1.12526) / 2)
    //   = −32.98697 − 0.41206 = −33.39903, and 10,000 / 33.39903 = 299.4099 K = 26.26 °C
    expect(meanKineticTemperature([20, 30])).toBeCloseTo(26.26, 2);
  });

  it('weights by duration: 3 h at 2 °C and 1 h at 8 °C equals four samples 2, 2, 2, 8', () => {
    const weighted = timeWeightedMkt([
      { tempC: 2, weight: 3 * 3_600_000 },
      { tempC: 8, weight: 3_600_000 },
    ]);
    expect(weighted).toBeCloseTo(meanKineticTemperature([2, 2, 2, 8]) ?? Number.NaN, 10);
    expect(weighted).toBeCloseTo(3.959, 3);
  });

  it('lets one warm spike pull MKT far above the mean: five hours at 5 °C and one at 25 °C give 12.88 °C', () => {
    // The arithmetic mean is 8.33 °C.
    expect(meanKineticTemperature([5, 5, 5, 5, 5, 25])).toBeCloseTo(12.879, 3);
  });

  it('has no value without samples or without time', () => {
    expect(meanKineticTemperature([])).toBeNull();
    expect(timeWeightedMkt([{ tempC: 5, weight: 0 }])).toBeNull();
  });

  it('lies between the arithmetic mean and the maximum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -40, max: 40, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (temps) => {
          const mkt = meanKineticTemperature(temps) ?? Number.NaN;
          const mean = temps.reduce((a, b) => a + b, 0) / temps.length;
          expect(mkt).toBeGreaterThanOrEqual(mean - 1e-9);
          expect(mkt).toBeLessThanOrEqual(Math.max(...temps) + 1e-9);
        },
      ),
    );
  });
});
