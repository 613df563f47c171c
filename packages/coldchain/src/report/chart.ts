import type { Reading } from '../reading.js';
import type { ChartPoint, ChartSpan } from './report-model.js';

/** At most this many points: enough for a page-wide line at print resolution, few enough to draw quickly. */
export const CHART_MAX_POINTS = 2000;

/**
 * Downsamples a time-ordered series to at most `maxPoints`: the span is cut into `maxPoints / 2` equal time
 * buckets and each keeps its lowest and its highest point (the first of equal ones), in time order. A mean
 * or every-nth pick would smooth a short excursion away; min/max keeps every peak a reader must see.
 */
export function downsample(
  points: readonly ChartPoint[],
  fromMs: number,
  toMs: number,
  maxPoints: number,
): { points: ChartPoint[]; downsampled: boolean } {
  if (points.length <= maxPoints) return { points: [...points], downsampled: false };
  const bucketCount = Math.max(1, Math.floor(maxPoints / 2));
  const spanMs = Math.max(1, toMs - fromMs + 1);
  const buckets: { min: ChartPoint; max: ChartPoint }[] = [];
  for (const point of points) {
    const offset = Math.min(Math.max(point.tsMs - fromMs, 0), spanMs - 1);
    const index = Math.floor((offset * bucketCount) / spanMs);
    const bucket = buckets[index];
    if (bucket === undefined) buckets[index] = { min: point, max: point };
    else {
      if (point.tempC < bucket.min.tempC) bucket.min = point;
      if (point.tempC > bucket.max.tempC) bucket.max = point;
    }
  }
  const kept: ChartPoint[] = [];
  for (const bucket of buckets) {
    if (bucket === undefined) continue;
    const [a, b] = bucket.min.tsMs <= bucket.max.tsMs ? [bucket.min, bucket.max] : [bucket.max, bucket.min];
    kept.push(a);
    if (b !== a) kept.push(b);
  }
  return { points: kept, downsampled: true };
}

/**
 * Door-open spans of one leg from its sorted, merged readings. An open door holds until the next door
 * reading, for at most `maxGapMs` (the engine's hold), and until `untilMs` (the leg's end or evaluation
 * instant) for the last one; consecutive open readings within the hold make one span.
 */
export function doorOpenSpans(readings: readonly Reading[], untilMs: number, maxGapMs: number): ChartSpan[] {
  const spans: ChartSpan[] = [];
  let open: ChartSpan | null = null;
  const doors = readings.filter((r) => r.door !== undefined);
  for (const [i, reading] of doors.entries()) {
    const nextMs = doors[i + 1]?.tsMs ?? Math.max(untilMs, reading.tsMs);
    const heldUntil = reading.tsMs + Math.min(nextMs - reading.tsMs, maxGapMs);
    if (reading.door === true) {
      if (open === null) open = { startMs: reading.tsMs, endMs: heldUntil };
      else open.endMs = heldUntil;
      // A hold cut short by the cap ends the span: the next open reading starts a new one.
      if (heldUntil < nextMs) {
        spans.push(open);
        open = null;
      }
    } else if (open !== null) {
      spans.push(open);
      open = null;
    }
  }
  if (open !== null) spans.push(open);
  return spans;
}
