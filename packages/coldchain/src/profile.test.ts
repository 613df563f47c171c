import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Profile, ProfileSchema, parseProfiles, temperatureRange } from './profile.js';

const seedFile = new URL('../../../seeds/profiles.json', import.meta.url);
const seeds = parseProfiles(JSON.parse(readFileSync(seedFile, 'utf8')));
const byId = (id: string): Profile => {
  const profile = seeds.find((p) => p.id === id);
  if (profile === undefined) throw new Error(`no seed profile ${id}`);
  return profile;
};

const minimal = {
  id: 'test',
  name: 'Test',
  source: 'a unit test',
  temperature: {
    boundaries: [{ id: 'high', direction: 'upper', limitC: 8, severity: 'warning', delayMs: 900_000 }],
  },
  maxGapMs: 600_000,
  hysteresisC: 0.5,
  settleMs: 0,
};

describe('seed profiles', () => {
  it('holds the seven product classes of DESIGN.md §6, each citing its source', () => {
    expect(seeds.map((p) => p.id)).toEqual([
      'pharma-2-8',
      'frozen',
      'chilled-seafood',
      'live-river-crab',
      'sweet-cherries',
      'strawberries',
      'nanguo-pears',
    ]);
    for (const profile of seeds) expect(profile.source.length).toBeGreaterThan(40);
  });

  it.each([
    ['pharma-2-8', 2, 8],
    ['frozen', null, -18],
    ['chilled-seafood', 0, 4],
    ['live-river-crab', 5, 10],
    ['sweet-cherries', -1.5, 2],
    ['strawberries', 0, 2],
    ['nanguo-pears', -1, 1],
  ])('gives %s the range %s to %s °C', (id, lowC, highC) => {
    expect(temperatureRange(byId(id))).toEqual({ lowC, highC });
  });

  it('records pharmaceuticals every 5 min in transport (GSP appendix), every profile within its maximum gap', () => {
    expect(byId('pharma-2-8').recordingIntervalMs).toBe(300_000);
    for (const profile of seeds) {
      expect(profile.recordingIntervalMs).toBeDefined();
      expect(profile.recordingIntervalMs!).toBeLessThanOrEqual(profile.maxGapMs);
    }
  });

  it('sets the critical limits of USP <659> and its MKT limit of 8 °C for pharmaceuticals', () => {
    const pharma = byId('pharma-2-8');
    const critical = pharma.temperature.boundaries.filter((b) => b.severity === 'critical');
    expect(critical.map((b) => [b.direction, b.limitC, b.delayMs])).toEqual([
      ['upper', 15, 0],
      ['lower', 0, 0],
    ]);
    expect(pharma.mktLimitC).toBe(8);
  });

  it('alarms at once at the freezing point of cherries, and gives them a humidity band', () => {
    const cherries = byId('sweet-cherries');
    expect(cherries.temperature.boundaries).toContainEqual({
      id: 'critical-low',
      direction: 'lower',
      limitC: -1.8,
      severity: 'critical',
      delayMs: 0,
    });
    expect(cherries.humidity).toMatchObject({ lowPct: 90, highPct: 95 });
  });

  it('keeps each critical limit beyond the warning limit on its side', () => {
    for (const profile of seeds) {
      const range = temperatureRange(profile);
      for (const b of profile.temperature.boundaries.filter((x) => x.severity === 'critical')) {
        if (b.direction === 'upper')
          expect(b.limitC).toBeGreaterThan(range.highC ?? Number.NEGATIVE_INFINITY);
        else expect(b.limitC).toBeLessThan(range.lowC ?? Number.POSITIVE_INFINITY);
      }
    }
  });
});

describe('ProfileSchema', () => {
  it('accepts a minimal profile', () => {
    expect(ProfileSchema.parse(minimal).id).toBe('test');
  });

  it.each([
    ['an unknown field (a typo in a seed)', { ...minimal, maxGap: 1 }],
    ['no boundary', { ...minimal, temperature: { boundaries: [] } }],
    [
      'a negative delay',
      { ...minimal, temperature: { boundaries: [{ ...minimal.temperature.boundaries[0], delayMs: -1 }] } },
    ],
    [
      'two boundaries with one id',
      {
        ...minimal,
        temperature: { boundaries: [minimal.temperature.boundaries[0], minimal.temperature.boundaries[0]] },
      },
    ],
    [
      'a lower limit above the upper one',
      {
        ...minimal,
        temperature: {
          boundaries: [
            ...minimal.temperature.boundaries,
            { id: 'low', direction: 'lower', limitC: 9, severity: 'warning', delayMs: 0 },
          ],
        },
      },
    ],
    ['a humidity range without limits', { ...minimal, humidity: { delayMs: 0, hysteresisPct: 1 } }],
    ['a zero maximum gap', { ...minimal, maxGapMs: 0 }],
    ['a recording interval longer than the maximum gap', { ...minimal, recordingIntervalMs: 600_001 }],
  ])('rejects %s', (_, profile) => {
    expect(ProfileSchema.safeParse(profile).success).toBe(false);
  });

  it('rejects a seed file with two profiles of the same id', () => {
    expect(() => parseProfiles({ profiles: [minimal, minimal] })).toThrow(/unique/);
  });
});
