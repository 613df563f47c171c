import { describe, expect, it } from 'vitest';
import { completenessRatio } from './report-view.js';

describe('completenessRatio', () => {
  it('counts interval slots that hold a reading: recording more often than the interval is 100 %, not more', () => {
    // Two hours at a 5-min interval: 24 slots; a logger recording every minute fills them all.
    expect(completenessRatio({ expectedReadings: 24, gaps: [] })).toBe(100);
  });

  it('takes off the slots the gaps miss, rounded down', () => {
    expect(
      completenessRatio({ expectedReadings: 24, gaps: [{ missingReadings: 2 }, { missingReadings: 1 }] }),
    ).toBe(87.5);
    expect(completenessRatio({ expectedReadings: 3, gaps: [{ missingReadings: 1 }] })).toBe(66.6);
    expect(completenessRatio({ expectedReadings: 0, gaps: [] })).toBeNull();
  });
});
