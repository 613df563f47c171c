export type ExcursionRule =
  | 'range'
  | 'critical'
  | 'cumulative'
  | 'humidity'
  | 'door'
  | 'gap'
  /** Not a breach: the air outside the range while the product is still inside (see `early-warning-rule.ts`). */
  | 'early_warning';
export type Severity = 'warning' | 'critical';

export interface Peak {
  value: number;
  /** Event time of the first reading with the peak value. */
  tsMs: number;
}

/**
 * A period in which a rule of the profile was broken, in device event time. Fields are null rather than
 * absent, so that an excursion survives a JSON round trip unchanged.
 */
export interface Excursion {
  /** Stable identity, `rule:boundary:startMs`: the ingest raises one alert per key and updates it. */
  key: string;
  rule: ExcursionRule;
  severity: Severity;
  /** The temperature boundary id, `low`/`high` for humidity, the boundary id or null for cumulative. */
  boundary: string | null;
  /** The limit that was crossed (°C or %RH); null for gap and door. */
  limit: number | null;
  startMs: number;
  /** Null while the excursion is open. */
  endMs: number | null;
  /** `endMs − startMs`; null while open (it grows with the clock, and would otherwise change on every tick). */
  durationMs: number | null;
  /** Most extreme value beyond the limit (the air's, for an early warning); null for gap and door. */
  peak: Peak | null;
  /**
   * Early warning only (null for every other rule): when the product's recent trend, as it stood when the
   * warning was raised, reaches the limit; null too when the product is not heading there.
   */
  projectedBreachMs: number | null;
}

export function excursionKey(rule: ExcursionRule, boundary: string | null, startMs: number): string {
  return `${rule}:${boundary ?? '-'}:${startMs}`;
}

export function sameExcursion(a: Excursion, b: Excursion): boolean {
  return (
    a.key === b.key &&
    a.rule === b.rule &&
    a.severity === b.severity &&
    a.boundary === b.boundary &&
    a.limit === b.limit &&
    a.startMs === b.startMs &&
    a.endMs === b.endMs &&
    a.durationMs === b.durationMs &&
    a.peak?.value === b.peak?.value &&
    a.peak?.tsMs === b.peak?.tsMs &&
    a.projectedBreachMs === b.projectedBreachMs
  );
}

/** Orders by start, then key: a total order, since keys are unique. */
export function compareExcursions(a: Excursion, b: Excursion): number {
  if (a.startMs !== b.startMs) return a.startMs - b.startMs;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
