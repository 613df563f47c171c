import { describe, expect, it } from 'vitest';
import type { Sample } from './fold.js';
import { projectedCrossingMs } from './product-trend.js';
import { at } from './test-fixtures.js';

const samples = (values: readonly number[], stepMin = 5): Sample[] =>
  values.map((value, i) => ({ tsMs: at(i * stepMin), value }));

describe('projectedCrossingMs', () => {
  it.each<[string, Sample[], number, 'upper' | 'lower', number | null]>([
    // 0.1 °C per 5 min from 2 °C: 4 °C at 100 min.
    ['extrapolates a steady rise to an upper limit', samples([2, 2.1, 2.2, 2.3]), 4, 'upper', at(100)],
    // Least squares through (0, 2), (5, 2.4), (10, 2.2): slope 0.02 °C/min, mean (5, 2.2): 4 °C at 95 min.
    ['fits a line through noisy samples', samples([2, 2.4, 2.2]), 4, 'upper', at(95)],
    ['extrapolates a fall to a lower limit', samples([1, 0.9, 0.8]), 0, 'lower', at(50)],
    ['projects nothing for a product cooling below an upper limit', samples([3, 2.9, 2.8]), 4, 'upper', null],
    ['projects nothing for a flat trend', samples([3, 3, 3]), 4, 'upper', null],
    ['projects nothing from a single sample', samples([3]), 4, 'upper', null],
    [
      'projects nothing from samples at one instant',
      [
        { tsMs: at(0), value: 2 },
        { tsMs: at(0), value: 3 },
      ],
      4,
      'upper',
      null,
    ],
    // The fitted line (slope 0.059 °C/min) passes 4 °C at 12.4 min, before the last sample: the breach is now.
    [
      'projects the last sample when the fitted line is already past the limit',
      samples([3, 3.9, 4, 3.95], 5),
      4,
      'upper',
      at(15),
    ],
    // 0.3 °C per 7 min from 2 °C: 4 °C at 2 / 0.3 × 7 = 46.7 min, to the nearest minute.
    ['rounds to the nearest minute', samples([2, 2.3], 7), 4, 'upper', at(47)],
  ])('%s', (_, trend, limit, direction, expected) => {
    expect(projectedCrossingMs(trend, limit, direction)).toBe(expected);
  });
});
