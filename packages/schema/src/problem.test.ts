import { describe, expect, it } from 'vitest';
import { describeValue, formatPath } from './problem.js';

describe('formatPath', () => {
  it.each([
    [[], ''],
    [['readings', 3, 'temp', 'air'], 'readings[3].temp.air'],
    [['temp', 'return air'], 'temp["return air"]'],
    [['temp', 'x'.repeat(100)], `temp["${'x'.repeat(40)}…"]`],
    [[0, 'ts'], '[0].ts'],
  ])('writes %j as %s', (segments, path) => {
    expect(formatPath(segments)).toBe(path);
  });
});

describe('describeValue', () => {
  it.each([
    [undefined, 'missing'],
    [null, 'null'],
    [412, '412'],
    [Number.NaN, 'NaN'],
    [-Infinity, '-Infinity'],
    ['91.5', '"91.5"'],
    ['y'.repeat(1000), `"${'y'.repeat(40)}…"`],
    [false, 'false'],
    [10n, '10n'],
    [[1, 2], 'an array of 2 items'],
    [[[]], 'an array of 1 item'],
    [{ a: 1 }, 'an object'],
    [() => 1, 'a function'],
  ])('describes %s briefly as %s', (value, description) => {
    expect(describeValue(value)).toBe(description);
  });
});
