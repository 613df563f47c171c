import type { MeasuredReading } from '../engine-reading.js';

/** One measurement's samples, ascending by event time, one per timestamp. */
export interface SeriesSample {
  tsMs: number;
  value: number;
}

/**
 * The samples of one temperature sensor (`temp.<name>`) or of humidity (`rh`) in readings sorted by time.
 * Two readings for one timestamp are the same reading delivered twice; should they disagree, the higher
 * value is kept, as `mergeReadings` does for the engine, so the result never depends on arrival order.
 */
export function seriesOf(sorted: readonly MeasuredReading[], sensor: string | 'rh'): SeriesSample[] {
  const samples: SeriesSample[] = [];
  for (const reading of sorted) {
    const value = sensor === 'rh' ? reading.rh : reading.temp?.[sensor];
    if (value === undefined || !Number.isFinite(value)) continue;
    const last = samples[samples.length - 1];
    if (last !== undefined && last.tsMs === reading.tsMs) last.value = Math.max(last.value, value);
    else samples.push({ tsMs: reading.tsMs, value: value + 0 });
  }
  return samples;
}

/** Every temperature sensor name found in the readings, sorted. */
export function temperatureSensors(readings: readonly MeasuredReading[]): string[] {
  const names = new Set<string>();
  for (const reading of readings) {
    for (const [name, value] of Object.entries(reading.temp ?? {}))
      if (Number.isFinite(value)) names.add(name);
  }
  return [...names].sort();
}

/**
 * How long a sample's value holds: until the series' next sample, or the end of the period for the last,
 * at most `maxGapMs` — the engine's attribution (`fold.ts`), so that both count the same time.
 */
export function holdMs(
  samples: readonly SeriesSample[],
  index: number,
  untilMs: number,
  maxGapMs: number,
): number {
  const sample = samples[index]!;
  const next = samples[index + 1]?.tsMs ?? untilMs;
  return Math.max(0, Math.min(next - sample.tsMs, maxGapMs));
}
