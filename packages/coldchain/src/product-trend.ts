import type { Sample } from './fold.js';

const MINUTE_MS = 60_000;

/**
 * When the least-squares line through `samples` reaches `limit`, moving up for an `upper` limit and down for
 * a `lower` one: the product's projected time to breach. Null with fewer than two distinct instants, or when
 * the line is flat or heads away from the limit. A line already past the limit at the last sample (noise
 * around a value just inside) projects that last instant.
 *
 * Rounded to the nearest minute: a projection is no more exact than that, and a value that differed in the
 * last millisecond from one evaluation to the next would change the alert each time.
 */
export function projectedCrossingMs(
  samples: readonly Sample[],
  limit: number,
  direction: 'upper' | 'lower',
): number | null {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined || samples.length < 2) return null;
  // Times relative to the first sample: epoch milliseconds squared would lose the slope to rounding.
  let sumT = 0;
  let sumV = 0;
  for (const s of samples) {
    sumT += s.tsMs - first.tsMs;
    sumV += s.value;
  }
  const meanT = sumT / samples.length;
  const meanV = sumV / samples.length;
  let sxx = 0;
  let sxy = 0;
  for (const s of samples) {
    const dt = s.tsMs - first.tsMs - meanT;
    sxx += dt * dt;
    sxy += dt * (s.value - meanV);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  if (direction === 'upper' ? !(slope > 0) : !(slope < 0)) return null;
  const crossingMs = first.tsMs + meanT + (limit - meanV) / slope;
  const rounded = Math.round(Math.max(crossingMs, last.tsMs) / MINUTE_MS) * MINUTE_MS;
  return Number.isSafeInteger(rounded) ? rounded : null;
}
