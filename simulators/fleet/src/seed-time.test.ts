import { describe, expect, it } from 'vitest';
import { resolveSeedTime } from './seed-time.js';

const NOW_MS = Date.parse('2026-06-01T12:00:00.000Z');

describe('resolveSeedTime', () => {
  it.each([
    ['-2h', NOW_MS - 2 * 3_600_000],
    ['-90m', NOW_MS - 90 * 60_000],
    ['+1d', NOW_MS + 86_400_000],
    ['-1.5h', NOW_MS - 5_400_000],
    ['-30s', NOW_MS - 30_000],
    ['2026-05-31T08:00:00Z', Date.parse('2026-05-31T08:00:00Z')],
    ['2026-05-31T16:00:00+08:00', Date.parse('2026-05-31T08:00:00Z')],
  ])('reads %s', (text, expected) => {
    expect(resolveSeedTime(text, NOW_MS)).toBe(expected);
  });

  it.each(['2h', '-2 h', '-2w', '2026-05-31T08:00:00', 'yesterday', ''])('refuses %j', (text) => {
    expect(() => resolveSeedTime(text, NOW_MS)).toThrow(RangeError);
  });
});
