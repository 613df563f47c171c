/**
 * One reading of one device, as the breach engine sees it: event time plus the measurements the engine
 * judges. The ingest maps wire messages onto this shape; the engine does not depend on the wire schema.
 */
export interface Reading {
  /** Device event time (epoch ms), never arrival time. */
  tsMs: number;
  /** The product (or primary) temperature sensor, °C. */
  tempC?: number;
  /**
   * The air temperature, °C, when the device also has a product probe (then `tempC` is the product's): the
   * early warning watches it. Absent when the air is the only temperature, which `tempC` then holds.
   */
  airC?: number;
  /** Relative humidity, %. */
  rh?: number;
  /** Door state at `tsMs`: true = open. */
  door?: boolean;
}

/**
 * Copies the fields the engine uses, dropping non-finite numbers and turning −0 into 0: neither survives
 * JSON, and the engine's persisted state must give the same results as the live one. The copy also keeps
 * callers' objects out of the engine's state.
 */
export function cleanReading(reading: Reading): Reading {
  const clean: Reading = { tsMs: reading.tsMs };
  if (Number.isFinite(reading.tempC)) clean.tempC = (reading.tempC as number) + 0;
  if (Number.isFinite(reading.airC)) clean.airC = (reading.airC as number) + 0;
  if (Number.isFinite(reading.rh)) clean.rh = (reading.rh as number) + 0;
  if (typeof reading.door === 'boolean') clean.door = reading.door;
  return clean;
}

/**
 * Merges two readings with the same `tsMs` (the same reading delivered twice). Redeliveries are identical, so
 * merging a reading with itself changes nothing. Readings that disagree should not happen; when they do, the
 * merge is field-wise and commutative — a field present in one wins over an absent one, the higher number
 * and an open door win — so that the result never depends on which copy arrived first.
 */
export function mergeReadings(a: Reading, b: Reading): Reading {
  const merged: Reading = { tsMs: a.tsMs };
  const tempC = maxDefined(a.tempC, b.tempC);
  if (tempC !== undefined) merged.tempC = tempC;
  const airC = maxDefined(a.airC, b.airC);
  if (airC !== undefined) merged.airC = airC;
  const rh = maxDefined(a.rh, b.rh);
  if (rh !== undefined) merged.rh = rh;
  if (a.door !== undefined || b.door !== undefined) merged.door = a.door === true || b.door === true;
  return merged;
}

export function sameReading(a: Reading, b: Reading): boolean {
  return a.tsMs === b.tsMs && a.tempC === b.tempC && a.airC === b.airC && a.rh === b.rh && a.door === b.door;
}

/** Readings sorted by event time, duplicates merged, each cleaned. */
export function sortReadings(readings: readonly Reading[]): Reading[] {
  const sorted = readings.map(cleanReading).sort((a, b) => a.tsMs - b.tsMs);
  const unique: Reading[] = [];
  for (const reading of sorted) {
    const last = unique[unique.length - 1];
    if (last !== undefined && last.tsMs === reading.tsMs)
      unique[unique.length - 1] = mergeReadings(last, reading);
    else unique.push(reading);
  }
  return unique;
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
