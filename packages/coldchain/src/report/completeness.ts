import type { MeasuredReading } from '../engine-reading.js';
import type { DataCompleteness, DataGap, LegCompleteness, ReportLegInput } from './report-model.js';

/** One leg with its in-window readings (sorted, duplicates kept) and the instant it is measured to. */
export interface CompletenessLeg {
  leg: ReportLegInput;
  readings: readonly MeasuredReading[];
  /** The leg's end, or for an open leg the later of `nowMs` and its last reading. */
  toMs: number;
  settleMs: number;
}

/**
 * Data completeness, measured over whole legs (settle periods included: a logger must record while it
 * settles too). One reading is expected per recording interval; every stretch longer than the interval
 * without a reading is listed — between readings, at a leg's start and at its end — so that nothing missing
 * is hidden behind a statistic.
 */
export function dataCompleteness(legs: readonly CompletenessLeg[], intervalMs: number): DataCompleteness {
  const perLeg = legs.map((leg) => legCompleteness(leg, intervalMs));
  const gaps = perLeg.flatMap((l) => l.gaps).sort((a, b) => a.startMs - b.startMs || a.legId - b.legId);
  return {
    recordingIntervalMs: intervalMs,
    legs: perLeg,
    expectedReadings: sum(perLeg.map((l) => l.expectedReadings)),
    receivedReadings: sum(perLeg.map((l) => l.receivedReadings)),
    gaps,
    timeInGapsMs: sum(gaps.map((g) => g.durationMs)),
  };
}

function legCompleteness(
  { leg, readings, toMs, settleMs }: CompletenessLeg,
  intervalMs: number,
): LegCompleteness {
  const fromMs = leg.fromMs;
  const times = distinct(readings.map((r) => r.tsMs));
  const gaps: DataGap[] = [];
  const gap = (kind: DataGap['kind'], startMs: number, endMs: number) => {
    const durationMs = endMs - startMs;
    const slots = Math.ceil(durationMs / intervalMs);
    gaps.push({
      legId: leg.id,
      deviceId: leg.deviceId,
      kind,
      startMs,
      endMs,
      durationMs,
      // The slots from a leg's start are all missing, the one holding the reading a gap starts at is not.
      missingReadings: kind === 'whole' || kind === 'start' ? slots : slots - 1,
    });
  };
  const first = times[0];
  const last = times[times.length - 1];
  if (first === undefined || last === undefined) {
    if (toMs > fromMs) gap('whole', fromMs, toMs);
  } else {
    if (first - fromMs > intervalMs) gap('start', fromMs, first);
    for (let i = 1; i < times.length; i++) {
      const before = times[i - 1]!;
      const after = times[i]!;
      if (after - before > intervalMs) gap('between', before, after);
    }
    if (toMs - last > intervalMs) gap('end', last, toMs);
  }
  return {
    legId: leg.id,
    deviceId: leg.deviceId,
    fromMs,
    toMs,
    expectedReadings: toMs > fromMs ? Math.ceil((toMs - fromMs) / intervalMs) : 0,
    receivedReadings: times.length,
    settleReadings: times.filter((t) => t < fromMs + settleMs).length,
    duplicateReadings: readings.length - times.length,
    gaps,
  };
}

/** Sorted input, distinct values. */
function distinct(sorted: readonly number[]): number[] {
  return sorted.filter((t, i) => i === 0 || t !== sorted[i - 1]);
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
