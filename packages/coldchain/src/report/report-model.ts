import type { MeasuredReading } from '../engine-reading.js';
import type { ExcursionRule, Severity } from '../excursion.js';
import type { Profile, TemperatureRange } from '../profile.js';

/*
 * What a shipment's compliance report says, as data: the input it is computed from and the record it
 * yields. Renderers (JSON, CSV, HTML, PDF) and the signer read these types; nothing here is formatted.
 *
 * Conventions for every field below: instants are epoch milliseconds UTC in device event time unless a
 * field says "wall clock"; durations are milliseconds; temperatures are °C; humidity is %RH; null means
 * "not applicable" or "not known", and each field says which.
 */

// ─── Input ───────────────────────────────────────────────────────────────────────────────────────────────

export type ReportShipmentStatus = 'planned' | 'in_transit' | 'delivered' | 'closed' | 'cancelled';

/** The shipment as the metadata store holds it (structurally; the domain does not import the store). */
export interface ReportShipmentInput {
  id: string;
  /** The shipper's own reference (waybill, order number). */
  reference: string;
  shipper: string;
  consignee: string;
  /** What is shipped, e.g. "Dalian cherries, 2 t". */
  goods: string;
  profileId: string;
  /** Null when not recorded. */
  origin: string | null;
  /** Null when not recorded. */
  destination: string | null;
  status: ReportShipmentStatus;
  /** Null when not planned. */
  plannedDepartureMs: number | null;
  /** Null when not planned. */
  plannedArrivalMs: number | null;
  /** Null until the shipment left. */
  actualDepartureMs: number | null;
  /** Null until the shipment was delivered. */
  actualArrivalMs: number | null;
}

/** One custody leg (GB/T 40956-2021 handover) with its device's readings. */
export interface ReportLegInput {
  id: number;
  deviceId: string;
  /** Who held the goods during the leg. */
  holder: string;
  /** Start of the leg: the handover instant. */
  fromMs: number;
  /** End of the leg (exclusive); null while it is open. */
  toMs: number | null;
  /** Who handed the goods over at the start; null when not recorded (e.g. the first loading). */
  handedOverBy: string | null;
  /** Temperature measured at the handover, °C; null when not recorded. */
  handoverTempC: number | null;
  /** Where the handover took place; null when not recorded. */
  place: string | null;
  note: string | null;
  /** How the leg ended when it was closed by unloading rather than by a next handover; null otherwise. */
  endedBy: string | null;
  /** Temperature measured at unloading, °C; null when not recorded or not unloaded. */
  endTempC: number | null;
  endPlace: string | null;
  endNote: string | null;
  /**
   * The leg's device's readings, in any order, duplicates possible. Readings outside `[fromMs, toMs)` are
   * ignored, as the engine ignores them.
   */
  readings: readonly MeasuredReading[];
}

/** An alert the ingest raised for the shipment, as the metadata store holds it. */
export interface ReportAlertInput {
  id: number;
  /** `alertKey(shipmentId, legId, excursionKey)`: how an alert is matched to its excursion. */
  key: string;
  rule: string;
  severity: Severity;
  status: 'open' | 'acknowledged' | 'resolved';
  /** Null while not acknowledged. */
  acknowledgedBy: string | null;
  /** Wall clock; null while not acknowledged. */
  acknowledgedAtMs: number | null;
  /** The acknowledgement's note; null when none was given. */
  note: string | null;
  /** The operator who resolved it, or `system` when the rules withdrew it; null while not resolved. */
  resolvedBy: string | null;
  resolutionNote: string | null;
  /** Wall clock; null while not resolved. */
  resolvedAtMs: number | null;
}

/** The consignee's receipt (GSP acceptance): arrival, temperature measured then, accepted or rejected. */
export interface ReportReceipt {
  arrivedAtMs: number;
  arrivalTempC: number | null;
  decision: 'accepted' | 'rejected';
  /** Why; required for a rejection. */
  reason: string | null;
  receivedBy: string;
  place: string | null;
  /** Wall clock it was recorded at. */
  recordedAtMs: number;
}

export interface ReportInput {
  shipment: ReportShipmentInput;
  /** The consignee's receipt, once recorded. */
  receipt?: ReportReceipt | null;
  profile: Profile;
  /** In any order; they are taken in the order of `fromMs`. */
  legs: readonly ReportLegInput[];
  alerts: readonly ReportAlertInput[];
  /** Wall clock at which the report is computed: judges open legs and whether data may still arrive. */
  nowMs: number;
}

// ─── Output ──────────────────────────────────────────────────────────────────────────────────────────────

/** The shipment, its goods and its parties. */
export interface ReportShipment {
  id: string;
  reference: string;
  goods: string;
  shipper: string;
  consignee: string;
  origin: string | null;
  destination: string | null;
  status: ReportShipmentStatus;
  plannedDepartureMs: number | null;
  plannedArrivalMs: number | null;
  actualDepartureMs: number | null;
  actualArrivalMs: number | null;
}

/** The profile the shipment is judged against, with the values derived from it. */
export interface ReportProfile {
  id: string;
  name: string;
  /** Where the profile's limits come from (standards cited, planning judgements named). */
  source: string;
  /** The profile as given: every boundary, delay, budget and limit. */
  definition: Profile;
  /** The range time in range is measured against (`temperatureRange`); a side is null when unbounded. */
  rangeC: TemperatureRange;
  /** The recommended band; null when the profile has none. */
  targetC: TemperatureRange | null;
  /** The interval readings are expected at: the profile's `recordingIntervalMs`, else its `maxGapMs`. */
  recordingIntervalMs: number;
  /** True when the profile sets no `recordingIntervalMs` and `maxGapMs` stands in for it. */
  recordingIntervalDefaulted: boolean;
  /** Total time outside `rangeC` allowed over the journey; null when the profile sets no budget. */
  cumulativeBudgetMs: number | null;
  /** Null when the profile sets no MKT limit. */
  mktLimitC: number | null;
  maxGapMs: number;
  /**
   * Ignore period at the start of each leg. As in the engine, readings in it are judged by no rule and
   * enter no statistic; they count as received in the completeness and are drawn in the chart.
   */
  settleMs: number;
}

/** A value with the event time of the first reading that had it. */
export interface TimedValue {
  value: number;
  tsMs: number;
}

/** Time spent above and below one temperature boundary of the profile. */
export interface BoundaryTime {
  boundaryId: string;
  direction: 'upper' | 'lower';
  severity: Severity;
  limitC: number;
  /** Time strictly above the limit. */
  timeAboveMs: number;
  /** Time strictly below the limit. */
  timeBelowMs: number;
  /** Time beyond the limit in its direction: `timeAboveMs` for an upper limit, `timeBelowMs` for a lower. */
  timeBeyondMs: number;
}

/**
 * Statistics of one sensor over the judged periods of all legs (each leg from its start plus the settle
 * period to its end, or to `nowMs` while open). Time-weighted as the engine weights: each reading's value
 * holds until the sensor's next reading, for at most `maxGapMs`; the last one holds until the leg's end.
 * Time no reading covers counts in `timeWithoutDataMs`, neither in range nor outside.
 */
export interface SensorStatistics {
  /** `temperature` sensors are named by their key in a reading's `temp` (`product`, `air`, …); `rh` is humidity. */
  kind: 'temperature' | 'humidity';
  /** The `temp` key, or `rh`. */
  sensor: string;
  /** True for the sensor the engine judges: `product` where readings have one, else `air`, else the only one. */
  judged: boolean;
  /** Distinct readings of this sensor in the judged periods. */
  sampleCount: number;
  /** °C or %RH; null without samples. */
  min: TimedValue | null;
  max: TimedValue | null;
  /** Time-weighted mean, °C or %RH; null without samples. */
  mean: number | null;
  /** Time-weighted mean kinetic temperature (USP <1079>), °C; null for humidity and without samples. */
  mktC: number | null;
  /** Sum of the judged periods of the legs. */
  periodMs: number;
  /**
   * Time inside the profile's range (`rangeC`, or the humidity range for `rh`), limits included; null for
   * `rh` when the profile has no humidity range.
   */
  timeInRangeMs: number | null;
  timeOutsideRangeMs: number | null;
  /** `periodMs` minus the time the sensor's readings cover. */
  timeWithoutDataMs: number;
  /** Time inside the target band; null when the profile has none, and for humidity. */
  timeInTargetMs: number | null;
  /** One per temperature boundary of the profile, in the profile's order; empty for humidity. */
  boundaries: BoundaryTime[];
  /** `timeOutsideRangeMs` against the profile's `cumulativeBudgetMs`; null for humidity or without a budget. */
  budget: BudgetUse | null;
}

export interface BudgetUse {
  budgetMs: number;
  usedMs: number;
  /** `budgetMs − usedMs`; negative when over budget. */
  remainingMs: number;
  /** Strictly more than the budget used: the cumulative rule's breach condition. */
  overBudget: boolean;
}

/**
 * The series the engine itself judges (per reading: product, else air, else the only sensor), per leg as
 * the engine summarised it and over the journey. The verdict's MKT and budget are read from here.
 */
export interface JudgedStatistics {
  legs: JudgedLeg[];
  /** The journey: every leg's judged period together. */
  sampleCount: number;
  min: TimedValue | null;
  max: TimedValue | null;
  meanC: number | null;
  mktC: number | null;
  timeInRangeMs: number;
  timeOutsideRangeMs: number;
  timeWithoutDataMs: number;
  /** Null when the profile sets no budget. */
  budget: BudgetUse | null;
}

/** One leg as the engine summarised it (`evaluateLegs`). */
export interface JudgedLeg {
  legId: number;
  /** Start of the judged period: the leg's start plus the settle period. */
  fromMs: number;
  /** The instant the leg was evaluated at: its end, or `nowMs` while open. */
  toMs: number;
  legEnded: boolean;
  sampleCount: number;
  minC: number | null;
  maxC: number | null;
  meanC: number | null;
  mktC: number | null;
  timeInRangeMs: number;
  timeOutsideRangeMs: number;
  timeWithoutDataMs: number;
  verdict: 'pass' | 'fail';
}

/** An alert's handling, as the operators recorded it. */
export interface ReportAlert {
  id: number;
  key: string;
  rule: string;
  severity: Severity;
  status: 'open' | 'acknowledged' | 'resolved';
  acknowledgedBy: string | null;
  /** Wall clock. */
  acknowledgedAtMs: number | null;
  acknowledgementNote: string | null;
  resolvedBy: string | null;
  /** Wall clock. */
  resolvedAtMs: number | null;
  resolutionNote: string | null;
}

/** What an excursion and an early warning of a leg both report, as the engine finds them (`evaluateLegs`). */
export interface ReportLegFinding {
  /** The key within its leg (`rule:boundary:startMs`). */
  key: string;
  /** The key of its alert: `alertKey(shipmentId, legId, key)`. */
  alertKey: string;
  /**
   * Boundary id (`low`/`high` for humidity; for an early warning, the boundary that sets the range on the side
   * the air left it); null for gap, door and the range's cumulative budget.
   */
  boundary: string | null;
  /** The limit crossed, °C or %RH; null for gap and door. */
  limit: number | null;
  startMs: number;
  /** Null while it is still open. */
  endMs: number | null;
  /** Null while it is still open. */
  durationMs: number | null;
  /** Most extreme value beyond the limit (the air's, for an early warning); null for gap and door. */
  peak: TimedValue | null;
  legId: number;
  holder: string;
  deviceId: string;
  /** The alert raised for it; null when the store has none (yet). */
  alert: ReportAlert | null;
}

/** One excursion as the engine finds it, with who held the goods and its alert. */
export interface ReportExcursion extends ReportLegFinding {
  rule: ExcursionRule;
  severity: Severity;
  /** Whether it fails the shipment (`compliance.ts`: every rule but door). */
  failing: boolean;
}

/**
 * An early warning (rule `early_warning`, severity `warning`): the air outside the range for the profile's air
 * delay while the product was still inside. Listed apart from the excursions: it never fails the shipment.
 */
export interface ReportEarlyWarning extends ReportLegFinding {
  /** When the product's trend, as it stood when the warning was raised, reached the limit; null: not heading there. */
  projectedBreachMs: number | null;
}

/** One link of the custody chain. */
export interface ReportCustodyLeg {
  legId: number;
  holder: string;
  deviceId: string;
  fromMs: number;
  /** Null while open. */
  toMs: number | null;
  handedOverBy: string | null;
  handoverTempC: number | null;
  place: string | null;
  note: string | null;
}

/** How the chain ended: the last leg's unloading. */
export interface ReportUnloading {
  legId: number;
  atMs: number;
  endedBy: string | null;
  endTempC: number | null;
  endPlace: string | null;
  endNote: string | null;
}

export interface ReportCustodyChain {
  /** In the order of `fromMs`. */
  legs: ReportCustodyLeg[];
  /** Null while the last leg is open or when it was not closed by unloading. */
  unloading: ReportUnloading | null;
  /** The consignee's receipt; null until recorded. */
  receipt: ReportReceipt | null;
}

/**
 * A stretch of a leg without readings longer than the recording interval: between two consecutive
 * readings (`between`, from the earlier to the later), from the leg's start to its first reading
 * (`start`), from its last reading to its end (`end`), or the whole leg (`whole`, no reading at all).
 */
export interface DataGap {
  legId: number;
  deviceId: string;
  kind: 'start' | 'between' | 'end' | 'whole';
  startMs: number;
  endMs: number;
  durationMs: number;
  /**
   * Interval slots in the gap without a reading, counted as `expectedReadings` counts them (one slot per
   * interval from the leg's start): `ceil(durationMs / interval)` for `start` and `whole`, one less for
   * `between` and `end` (the slot of the reading the gap starts at was filled).
   */
  missingReadings: number;
}

/** Completeness of one leg, measured over the whole leg, settle period included. */
export interface LegCompleteness {
  legId: number;
  deviceId: string;
  fromMs: number;
  /** The leg's end, or `nowMs` while it is open. */
  toMs: number;
  /** `ceil((toMs − fromMs) / recordingIntervalMs)`: one reading per interval slot. */
  expectedReadings: number;
  /** Distinct reading timestamps in `[fromMs, toMs)`. */
  receivedReadings: number;
  /** Of those, inside the settle period: recorded and shown, not judged. */
  settleReadings: number;
  /** Readings given for the same timestamp more than once (redeliveries), counted once above. */
  duplicateReadings: number;
  gaps: DataGap[];
}

export interface DataCompleteness {
  recordingIntervalMs: number;
  legs: LegCompleteness[];
  expectedReadings: number;
  receivedReadings: number;
  /** Every gap of every leg, by start. */
  gaps: DataGap[];
  /** Sum of the gaps' durations. */
  timeInGapsMs: number;
}

export type VerdictStatus = 'pass' | 'fail' | 'pending';

export type VerdictReasonCode =
  /** fail: an excursion the engine counts as failing. */
  | 'excursion'
  /** fail: the journey's MKT of the judged series above `mktLimitC`, or a leg's (the engine's summary). */
  | 'mkt'
  /** fail: the journey's time outside the range above `cumulativeBudgetMs`. */
  | 'budget'
  /** pending: the shipment has no custody leg yet. */
  | 'no-custody'
  /** pending: a custody leg is still open. */
  | 'leg-open'
  /** pending: the shipment is planned or in transit. */
  | 'not-delivered'
  /** pending: the last leg ended less than `maxGapMs` ago, so a device's backlog may still arrive. */
  | 'data-may-arrive';

export interface VerdictReason {
  code: VerdictReasonCode;
  /** Whether this reason fails the shipment or holds the verdict open. */
  effect: 'fail' | 'pending';
  /** English, for logs and as a fallback; renderers localise from `code` and the ids. */
  message: string;
  /** Null when the reason concerns no single leg. */
  legId: number | null;
  /** The excursion's `alertKey` for `excursion`; null otherwise. */
  alertKey: string | null;
}

/**
 * `fail` when any reason has effect `fail` (pending reasons are listed alongside: late data may still
 * change the record); else `pending` when any has effect `pending`; else `pass`.
 */
export interface Verdict {
  status: VerdictStatus;
  reasons: VerdictReason[];
}

export interface ChartPoint {
  tsMs: number;
  tempC: number;
}

export interface ChartSpan {
  startMs: number;
  endMs: number;
}

export interface ChartExcursion extends ChartSpan {
  alertKey: string;
  rule: ExcursionRule;
  severity: Severity;
  /** True when the excursion is still open and `endMs` is the instant the leg was evaluated at. */
  open: boolean;
}

export interface ChartHandover {
  tsMs: number;
  legId: number;
  /** The holder from this instant. */
  holder: string;
  handedOverBy: string | null;
}

/**
 * The journey at a glance: the judged temperature downsampled to at most `maxPoints` (each bucket keeps its
 * minimum and maximum, so that peaks survive), the range band, excursions, handovers, door openings.
 */
export interface ReportChart {
  fromMs: number;
  toMs: number;
  maxPoints: number;
  /** Every in-leg reading's judged temperature when there are few enough; else per-bucket min and max, in time order. */
  points: ChartPoint[];
  /** True when `points` is downsampled. */
  downsampled: boolean;
  /** Stretches without data (the completeness gaps): a renderer breaks its line there. */
  gaps: ChartSpan[];
  /** Settle periods at the start of each leg: shown, not judged. */
  settle: ChartSpan[];
  rangeC: TemperatureRange;
  targetC: TemperatureRange | null;
  /** Every temperature boundary, as lines. */
  limits: { boundaryId: string; limitC: number; severity: Severity; direction: 'upper' | 'lower' }[];
  excursions: ChartExcursion[];
  handovers: ChartHandover[];
  /** From the first open reading to the next closed one (an open door holds at most `maxGapMs`). */
  doorOpen: ChartSpan[];
}

/** What a verifier needs to recompute the digest over the readings the report rests on. */
export interface ReportEvidence {
  /** Names the line format of `canonicalReadings`; changes if the format ever does. */
  canonicalForm: 'coldchain-readings/1';
  algorithm: 'sha256';
  lineCount: number;
  /** Lower-case hex SHA-256 of the canonical lines, each followed by `\n`. */
  digest: string;
}

export interface ComplianceReport {
  /** Version of this shape. */
  formatVersion: 1;
  /** Wall clock the report was computed at (`ReportInput.nowMs`). */
  generatedAtMs: number;
  shipment: ReportShipment;
  profile: ReportProfile;
  /** The journey: first leg's start to the last leg's end (or `nowMs` while open); null without legs. */
  period: ChartSpan | null;
  /** Every temperature sensor found (by name), then `rh` where measured. */
  sensors: SensorStatistics[];
  judged: JudgedStatistics;
  /** Every excursion of every leg, by start then key; early warnings are listed apart. */
  excursions: ReportExcursion[];
  /** Every early warning of every leg, by start then key: none counts in the verdict. */
  earlyWarnings: ReportEarlyWarning[];
  /** The shipment's alerts that match no current excursion (e.g. withdrawn when late data arrived). */
  otherAlerts: ReportAlert[];
  custody: ReportCustodyChain;
  completeness: DataCompleteness;
  verdict: Verdict;
  chart: ReportChart;
  evidence: ReportEvidence;
}
