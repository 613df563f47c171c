import type { ComplianceSummary } from './compliance.js';
import { summarise } from './compliance.js';
import { accrueRun, copyRun, idleRun, observeRun, type RunState, runExcursion } from './consecutive-rule.js';
import {
  accrueCumulative,
  type CumulativeState,
  copyCumulative,
  cumulativeExcursion,
  emptyCumulative,
  observeCumulative,
} from './cumulative-rule.js';
import {
  accrueWarning,
  copyWarning,
  type EarlyWarningState,
  idleWarning,
  observeAir,
  observeProduct,
  openIfDue,
  warningExcursion,
} from './early-warning-rule.js';
import type { Horizon } from './evaluation-window.js';
import { compareExcursions, type Excursion } from './excursion.js';
import { gapExcursion, isGap } from './gap-rule.js';
import type { Reading } from './reading.js';
import type { RuleSet } from './rule-set.js';
import {
  accrueStats,
  copyStats,
  emptyStats,
  observeStats,
  type TemperatureStats,
} from './temperature-stats.js';

/*
 * The breach engine is a left fold over a device's readings in event-time order. The batch evaluation folds
 * the whole sorted history; the streaming engine keeps snapshots of this state and re-folds from the latest
 * snapshot before a late reading. Both call the same `step` in the same order, so they agree exactly.
 *
 * Time attribution. Each measurement (temperature, humidity, door) is its own series: a sample's value holds
 * from its event time until the next sample of that series, for at most `maxGapMs`. Time beyond that cap is
 * "no data": neither in range nor out, and the gap rule reports it. The last sample holds until the evaluation
 * instant (see `horizon`), again capped. So with readings every 5 min, out of range at 0, 5 and 10 min and
 * back at 15 min, the temperature was out of range for 15 min — as a logger that counts logging intervals
 * reports it — and a 15-min delay is reached. The air, watched by the early warning beside the judged product,
 * is a series of its own in the same way.
 *
 * All values are JSON numbers, booleans or null, so the state survives being persisted and read back.
 */

export interface Sample {
  tsMs: number;
  value: number;
}

export interface FoldState {
  /** Readings folded so far. */
  index: number;
  /** Excursions closed so far: the length of the closed list that goes with this state. */
  closedCount: number;
  /** Event time of the last reading of any kind, or the start of evaluation: where a gap would start. */
  lastDataMs: number;
  temperature: Sample | null;
  humidity: Sample | null;
  /** Door open = 1, closed = 0. */
  door: Sample | null;
  temperatureRuns: RunState[];
  humidityRuns: RunState[];
  doorRun: RunState;
  cumulative: CumulativeState[];
  stats: TemperatureStats;
  /** The air beside a product probe (`Reading.airC`), for the early warning. */
  air: Sample | null;
  /**
   * The judged (product) samples of the last `trendWindowMs` while the air is outside the range, oldest
   * first, at most `TREND_MAX_SAMPLES`: what a projected time to breach is fitted to. Empty otherwise.
   */
  productTrend: Sample[];
  /** One per side of `rules.earlyWarning`. */
  earlyWarnings: EarlyWarningState[];
}

/** Bounds the trend kept in each snapshot for a logger that records every few seconds. */
const TREND_MAX_SAMPLES = 240;

export function initialFold(rules: RuleSet, evaluatedFromMs: number): FoldState {
  return {
    index: 0,
    closedCount: 0,
    lastDataMs: evaluatedFromMs,
    temperature: null,
    humidity: null,
    door: null,
    temperatureRuns: rules.temperature.map(idleRun),
    humidityRuns: rules.humidity.map(idleRun),
    doorRun: idleRun(),
    cumulative: rules.cumulative.map(emptyCumulative),
    stats: emptyStats(),
    air: null,
    productTrend: [],
    earlyWarnings: rules.earlyWarning?.sides.map(idleWarning) ?? [],
  };
}

export function copyFold(state: FoldState): FoldState {
  return {
    ...state,
    temperatureRuns: state.temperatureRuns.map(copyRun),
    humidityRuns: state.humidityRuns.map(copyRun),
    doorRun: copyRun(state.doorRun),
    cumulative: state.cumulative.map(copyCumulative),
    stats: copyStats(state.stats),
    productTrend: [...state.productTrend],
    earlyWarnings: state.earlyWarnings.map(copyWarning),
  };
}

/** Folds in the next reading (later than every reading before it); appends the excursions it closes. */
export function step(state: FoldState, rules: RuleSet, reading: Reading, closed: Excursion[]): void {
  const { tsMs } = reading;
  if (isGap(state.lastDataMs, tsMs, rules.maxGapMs)) closed.push(gapExcursion(state.lastDataMs, tsMs));
  state.lastDataMs = tsMs;
  if (reading.airC !== undefined && rules.earlyWarning !== null)
    stepAir(state, rules, tsMs, reading.airC, closed);
  if (reading.tempC !== undefined) stepTemperature(state, rules, tsMs, reading.tempC, closed);
  if (rules.earlyWarning !== null) {
    for (let i = 0; i < rules.earlyWarning.sides.length; i++) {
      openIfDue(state.earlyWarnings[i]!, rules.earlyWarning.sides[i]!, state.temperature, state.productTrend);
    }
  }
  if (reading.rh !== undefined) stepHumidity(state, rules, tsMs, reading.rh, closed);
  if (reading.door !== undefined) stepDoor(state, rules, tsMs, reading.door ? 1 : 0, closed);
  state.index += 1;
  state.closedCount = closed.length;
}

function stepTemperature(state: FoldState, rules: RuleSet, tsMs: number, tempC: number, closed: Excursion[]) {
  const prev = state.temperature;
  if (prev !== null) accrueTemperature(state, rules, prev, holdMs(prev, tsMs, rules));
  for (let i = 0; i < rules.temperature.length; i++) {
    const excursion = observeRun(state.temperatureRuns[i]!, rules.temperature[i]!, tempC, tsMs);
    if (excursion !== null) closed.push(excursion);
  }
  for (let i = 0; i < rules.cumulative.length; i++) {
    observeCumulative(state.cumulative[i]!, rules.cumulative[i]!, tempC, tsMs);
  }
  observeStats(state.stats, tempC);
  state.temperature = { tsMs, value: tempC };
  if (rules.earlyWarning !== null) stepProductTrend(state, rules, tsMs, tempC, closed);
}

/**
 * The air sample: the previous one held until now may complete the delay (the product as it last was decides
 * whether that opens a warning), then the new value may start or end the air's run.
 */
function stepAir(state: FoldState, rules: RuleSet, tsMs: number, airC: number, closed: Excursion[]) {
  const sides = rules.earlyWarning?.sides ?? [];
  const prev = state.air;
  for (let i = 0; i < sides.length; i++) {
    const warning = state.earlyWarnings[i]!;
    if (prev !== null) {
      accrueWarning(warning, sides[i]!, holdMs(prev, tsMs, rules), state.temperature, state.productTrend);
    }
    const ended = observeAir(warning, sides[i]!, airC, tsMs);
    if (ended !== null) closed.push(ended);
  }
  state.air = { tsMs, value: airC };
}

/** The product sample: kept for the trend while the air is out; a product outside the range ends a warning. */
function stepProductTrend(
  state: FoldState,
  rules: RuleSet,
  tsMs: number,
  tempC: number,
  closed: Excursion[],
) {
  const ew = rules.earlyWarning;
  if (ew === null) return;
  for (let i = 0; i < ew.sides.length; i++) {
    const ended = observeProduct(state.earlyWarnings[i]!, ew.sides[i]!, tempC, tsMs);
    if (ended !== null) closed.push(ended);
  }
  if (!state.earlyWarnings.some((w) => w.air.startMs !== null)) {
    state.productTrend = [];
    return;
  }
  const trend = state.productTrend;
  trend.push({ tsMs, value: tempC });
  let drop = 0;
  while (drop < trend.length && trend[drop]!.tsMs < tsMs - ew.trendWindowMs) drop++;
  drop = Math.max(drop, trend.length - TREND_MAX_SAMPLES);
  if (drop > 0) trend.splice(0, drop);
}

function accrueTemperature(state: FoldState, rules: RuleSet, prev: Sample, hold: number): void {
  for (let i = 0; i < rules.temperature.length; i++) {
    accrueRun(state.temperatureRuns[i]!, rules.temperature[i]!, hold);
  }
  for (let i = 0; i < rules.cumulative.length; i++) {
    accrueCumulative(state.cumulative[i]!, rules.cumulative[i]!, prev.value, prev.tsMs, hold);
  }
  accrueStats(state.stats, rules.range, rules.target, prev.value, hold);
}

function stepHumidity(state: FoldState, rules: RuleSet, tsMs: number, rh: number, closed: Excursion[]) {
  const prev = state.humidity;
  for (let i = 0; i < rules.humidity.length; i++) {
    const run = state.humidityRuns[i]!;
    if (prev !== null) accrueRun(run, rules.humidity[i]!, holdMs(prev, tsMs, rules));
    const excursion = observeRun(run, rules.humidity[i]!, rh, tsMs);
    if (excursion !== null) closed.push(excursion);
  }
  state.humidity = { tsMs, value: rh };
}

function stepDoor(state: FoldState, rules: RuleSet, tsMs: number, open: number, closed: Excursion[]) {
  const prev = state.door;
  if (rules.door !== null) {
    if (prev !== null) accrueRun(state.doorRun, rules.door, holdMs(prev, tsMs, rules));
    const excursion = observeRun(state.doorRun, rules.door, open, tsMs);
    if (excursion !== null) closed.push(excursion);
  }
  state.door = { tsMs, value: open };
}

function holdMs(prev: Sample, untilMs: number, rules: RuleSet): number {
  return Math.min(untilMs - prev.tsMs, rules.maxGapMs);
}

export interface FoldResult {
  excursions: Excursion[];
  summary: ComplianceSummary;
}

/**
 * The excursions and summary as of `at`: the closed excursions, plus what is open at that instant once the
 * last samples have held until then. Leaves `state` untouched, so that folding can go on afterwards. When the
 * leg has ended, what is still open ends with it.
 */
export function finish(
  state: FoldState,
  rules: RuleSet,
  closed: readonly Excursion[],
  at: Horizon,
  evaluatedFromMs: number,
): FoldResult {
  const now = copyFold(state);
  const endMs = at.legEnded ? at.asOfMs : null;
  const excursions = closed.slice(0, state.closedCount);
  const keep = (excursion: Excursion | null) => {
    if (excursion !== null) excursions.push(excursion);
  };

  if (now.temperature !== null) {
    accrueTemperature(now, rules, now.temperature, holdMs(now.temperature, at.asOfMs, rules));
  }
  for (let i = 0; i < rules.temperature.length; i++) {
    keep(runExcursion(now.temperatureRuns[i]!, rules.temperature[i]!, endMs));
  }
  for (let i = 0; i < rules.cumulative.length; i++) {
    keep(cumulativeExcursion(now.cumulative[i]!, rules.cumulative[i]!, endMs));
  }
  for (let i = 0; i < rules.humidity.length; i++) {
    const run = now.humidityRuns[i]!;
    if (now.humidity !== null) accrueRun(run, rules.humidity[i]!, holdMs(now.humidity, at.asOfMs, rules));
    keep(runExcursion(run, rules.humidity[i]!, endMs));
  }
  if (rules.door !== null) {
    if (now.door !== null) accrueRun(now.doorRun, rules.door, holdMs(now.door, at.asOfMs, rules));
    keep(runExcursion(now.doorRun, rules.door, endMs));
  }
  if (rules.earlyWarning !== null) {
    for (let i = 0; i < rules.earlyWarning.sides.length; i++) {
      const warning = now.earlyWarnings[i]!;
      const side = rules.earlyWarning.sides[i]!;
      if (now.air !== null) {
        accrueWarning(warning, side, holdMs(now.air, at.asOfMs, rules), now.temperature, now.productTrend);
      }
      keep(warningExcursion(warning, side, endMs));
    }
  }
  if (isGap(now.lastDataMs, at.asOfMs, rules.maxGapMs)) keep(gapExcursion(now.lastDataMs, endMs));

  excursions.sort(compareExcursions);
  return { excursions, summary: summarise(now.stats, excursions, rules, evaluatedFromMs, at.asOfMs) };
}
