import { type MeasuredReading, toEngineReading } from '../engine-reading.js';
import { temperatureRange } from '../profile.js';
import { type Reading, sortReadings } from '../reading.js';
import { evaluateLegs, type LegCompliance, type LegExcursion } from '../shipment-excursions.js';
import { canonicalReadings, readingsDigest } from './canonical-readings.js';
import { CHART_MAX_POINTS, doorOpenSpans, downsample } from './chart.js';
import { dataCompleteness } from './completeness.js';
import { orderLegs, readingsInLeg } from './leg-readings.js';
import type {
  ComplianceReport,
  DataCompleteness,
  JudgedStatistics,
  ReportAlert,
  ReportAlertInput,
  ReportChart,
  ReportCustodyChain,
  ReportEarlyWarning,
  ReportExcursion,
  ReportInput,
  ReportLegFinding,
  ReportLegInput,
  ReportProfile,
  SensorStatistics,
} from './report-model.js';
import {
  accumulate,
  budgetUse,
  createAccumulator,
  type JudgedPeriod,
  meanOf,
  mktOf,
  withoutDataMs,
} from './sensor-statistics.js';
import { type SeriesSample, seriesOf, temperatureSensors } from './series.js';
import { decideVerdict } from './verdict.js';

/** One leg with what every part of the report reads from it. */
interface LegView {
  leg: ReportLegInput;
  /** In-window readings, sorted, duplicates kept. */
  readings: MeasuredReading[];
  /** The engine's view: judged temperature per reading, sorted and merged. */
  engineReadings: Reading[];
  compliance: LegCompliance;
  /** The judged period: the engine's own (`summary.fromMs` to `asOfMs`). */
  period: JudgedPeriod;
}

/**
 * What a shipment's compliance report says, computed from the shipment, its profile, its custody legs with
 * their readings, and its alerts, as of `input.nowMs`. Pure: the same input gives the same report.
 *
 * The excursions and each leg's judgement are the engine's (`evaluateLegs`), so the report lists exactly what
 * raised the alerts. Statistics follow the engine's time weighting and, like the engine, leave out readings in
 * a leg's settle period; completeness, the chart and the digest include them — they were recorded.
 */
export function buildComplianceReport(
  input: ReportInput,
  /** `canonicalReadings(input)`, when the caller has it already (it is most of the work). */
  canonicalLines?: readonly string[],
): ComplianceReport {
  const { shipment, profile, nowMs } = input;
  const legs = orderLegs(input.legs);
  const readings = legs.map(readingsInLeg);
  const engineReadings = readings.map((rs) => sortReadings(rs.map(toEngineReading)));
  const evaluation = evaluateLegs(
    legs.map((leg, i) => ({
      shipmentId: shipment.id,
      legId: leg.id,
      holder: leg.holder,
      deviceId: leg.deviceId,
      fromMs: leg.fromMs,
      toMs: leg.toMs,
      readings: engineReadings[i]!,
    })),
    profile,
    nowMs,
  );
  const views: LegView[] = legs.map((leg, i) => {
    const compliance = evaluation.legs[i]!;
    return {
      leg,
      readings: readings[i]!,
      engineReadings: engineReadings[i]!,
      compliance,
      period: { fromMs: compliance.summary.fromMs, toMs: compliance.asOfMs },
    };
  });

  const reportProfile = profileOf(input);
  const excursions = excursionsOf(input, evaluation.excursions, evaluation.legs);
  const earlyWarnings = earlyWarningsOf(input, evaluation.earlyWarnings);
  const matched = new Set([...excursions, ...earlyWarnings].map((e) => e.alertKey));
  const judged = judgedStatistics(input, views);
  const lines = canonicalLines ?? canonicalReadings({ legs });
  const completeness = dataCompleteness(
    views.map((v) => ({
      leg: v.leg,
      readings: v.readings,
      toMs: legEnd(v, nowMs),
      settleMs: profile.settleMs,
    })),
    reportProfile.recordingIntervalMs,
  );
  const period =
    views.length === 0 ? null : { startMs: legs[0]!.fromMs, endMs: legEnd(views[views.length - 1]!, nowMs) };

  return {
    formatVersion: 1,
    generatedAtMs: nowMs,
    shipment: {
      id: shipment.id,
      reference: shipment.reference,
      goods: shipment.goods,
      shipper: shipment.shipper,
      consignee: shipment.consignee,
      origin: shipment.origin,
      destination: shipment.destination,
      status: shipment.status,
      plannedDepartureMs: shipment.plannedDepartureMs,
      plannedArrivalMs: shipment.plannedArrivalMs,
      actualDepartureMs: shipment.actualDepartureMs,
      actualArrivalMs: shipment.actualArrivalMs,
    },
    profile: reportProfile,
    period,
    sensors: sensorStatistics(input, views),
    judged,
    excursions,
    earlyWarnings,
    otherAlerts: input.alerts
      .filter((a) => !matched.has(a.key))
      .sort((a, b) => a.id - b.id)
      .map(alertOf),
    custody: { ...custodyChain(legs), receipt: input.receipt ?? null },
    completeness,
    verdict: decideVerdict({
      status: shipment.status,
      profile: reportProfile,
      legs,
      compliance: evaluation.legs,
      excursions,
      judged,
      nowMs,
    }),
    chart: chartOf(input, reportProfile, views, excursions, completeness),
    evidence: {
      canonicalForm: 'coldchain-readings/1',
      algorithm: 'sha256',
      lineCount: lines.length,
      digest: readingsDigest(lines),
    },
  };
}

/** Where completeness and the chart end a leg: its end once ended, else the present (or its last reading). */
function legEnd(view: LegView, nowMs: number): number {
  if (view.compliance.legEnded && view.leg.toMs !== null) return view.leg.toMs;
  const last = view.readings[view.readings.length - 1]?.tsMs ?? view.leg.fromMs;
  return Math.max(nowMs, last, view.leg.fromMs);
}

function profileOf({ profile }: ReportInput): ReportProfile {
  const target = profile.temperature.targetC;
  return {
    id: profile.id,
    name: profile.name,
    source: profile.source,
    definition: profile,
    rangeC: temperatureRange(profile),
    targetC: target === undefined ? null : { lowC: target.lowC ?? null, highC: target.highC ?? null },
    recordingIntervalMs: profile.recordingIntervalMs ?? profile.maxGapMs,
    recordingIntervalDefaulted: profile.recordingIntervalMs === undefined,
    cumulativeBudgetMs: profile.cumulativeBudgetMs ?? null,
    mktLimitC: profile.mktLimitC ?? null,
    maxGapMs: profile.maxGapMs,
    settleMs: profile.settleMs,
  };
}

/** The sensor the engine judges: `product` where there is one, else `air`, else the first by name. */
function judgedSensor(names: readonly string[]): string | null {
  if (names.includes('product')) return 'product';
  if (names.includes('air')) return 'air';
  return names[0] ?? null;
}

function sensorStatistics(input: ReportInput, views: readonly LegView[]): SensorStatistics[] {
  const { profile } = input;
  const range = temperatureRange(profile);
  const target = profileOf(input).targetC;
  const names = temperatureSensors(views.flatMap((v) => v.readings));
  const judged = judgedSensor(names);
  const stats: SensorStatistics[] = names.map((sensor) => {
    const acc = createAccumulator(range, target, profile.temperature.boundaries, profile.maxGapMs);
    for (const view of views) accumulate(acc, seriesOf(view.readings, sensor), view.period);
    return {
      kind: 'temperature',
      sensor,
      judged: sensor === judged,
      sampleCount: acc.stats.sampleCount,
      min: acc.min,
      max: acc.max,
      mean: meanOf(acc),
      mktC: mktOf(acc),
      periodMs: acc.periodMs,
      timeInRangeMs: acc.stats.inRangeMs,
      timeOutsideRangeMs: acc.stats.outsideRangeMs,
      timeWithoutDataMs: withoutDataMs(acc),
      timeInTargetMs: target === null ? null : acc.stats.inTargetMs,
      boundaries: acc.boundaries,
      budget: budgetUse(profile, acc.stats.outsideRangeMs),
    };
  });
  if (views.some((v) => v.readings.some((r) => r.rh !== undefined && Number.isFinite(r.rh)))) {
    const h = profile.humidity;
    const acc = createAccumulator(
      { lowC: h?.lowPct ?? null, highC: h?.highPct ?? null },
      null,
      [],
      profile.maxGapMs,
    );
    for (const view of views) accumulate(acc, seriesOf(view.readings, 'rh'), view.period);
    stats.push({
      kind: 'humidity',
      sensor: 'rh',
      judged: false,
      sampleCount: acc.stats.sampleCount,
      min: acc.min,
      max: acc.max,
      mean: meanOf(acc),
      mktC: null,
      periodMs: acc.periodMs,
      timeInRangeMs: h === undefined ? null : acc.stats.inRangeMs,
      timeOutsideRangeMs: h === undefined ? null : acc.stats.outsideRangeMs,
      timeWithoutDataMs: withoutDataMs(acc),
      timeInTargetMs: null,
      boundaries: [],
      budget: null,
    });
  }
  return stats;
}

/** The engine's judged series over the journey; the per-leg figures are the engine's own summaries. */
function judgedStatistics(input: ReportInput, views: readonly LegView[]): JudgedStatistics {
  const { profile } = input;
  const acc = createAccumulator(temperatureRange(profile), profileOf(input).targetC, [], profile.maxGapMs);
  for (const view of views) accumulate(acc, judgedSamples(view.engineReadings), view.period);
  return {
    legs: views.map(({ leg, compliance: { summary, legEnded, asOfMs } }) => ({
      legId: leg.id,
      fromMs: summary.fromMs,
      toMs: asOfMs,
      legEnded,
      sampleCount: summary.sampleCount,
      minC: summary.minC,
      maxC: summary.maxC,
      meanC: summary.meanC,
      mktC: summary.mktC,
      timeInRangeMs: summary.timeInRangeMs,
      timeOutsideRangeMs: summary.timeOutsideRangeMs,
      timeWithoutDataMs: summary.timeWithoutDataMs,
      verdict: summary.verdict,
    })),
    sampleCount: acc.stats.sampleCount,
    min: acc.min,
    max: acc.max,
    meanC: meanOf(acc),
    mktC: mktOf(acc),
    timeInRangeMs: acc.stats.inRangeMs,
    timeOutsideRangeMs: acc.stats.outsideRangeMs,
    timeWithoutDataMs: withoutDataMs(acc),
    budget: budgetUse(profile, acc.stats.outsideRangeMs),
  };
}

function judgedSamples(readings: readonly Reading[]): SeriesSample[] {
  const samples: SeriesSample[] = [];
  for (const r of readings) if (r.tempC !== undefined) samples.push({ tsMs: r.tsMs, value: r.tempC });
  return samples;
}

function excursionsOf(
  input: ReportInput,
  found: ReturnType<typeof evaluateLegs>['excursions'],
  legs: readonly LegCompliance[],
): ReportExcursion[] {
  // What fails is what the engine's summary of the leg says fails, so the two can never disagree.
  const failing = new Set(
    legs.flatMap((leg) =>
      leg.summary.reasons
        .filter((r) => r.excursionKey !== null)
        .map((r) => `${leg.legId}\u0000${r.excursionKey}`),
    ),
  );
  const alerts = alertsByKey(input);
  return found.map((e) => ({
    ...legFinding(e, alerts),
    rule: e.rule,
    severity: e.severity,
    failing: failing.has(`${e.legId}\u0000${e.key}`),
  }));
}

function earlyWarningsOf(
  input: ReportInput,
  found: ReturnType<typeof evaluateLegs>['earlyWarnings'],
): ReportEarlyWarning[] {
  const alerts = alertsByKey(input);
  return found.map((e) => ({ ...legFinding(e, alerts), projectedBreachMs: e.projectedBreachMs }));
}

const alertsByKey = (input: ReportInput) => new Map(input.alerts.map((a) => [a.key, a]));

/** What an excursion and an early warning of a leg both report: where and when, its peak and its alert. */
function legFinding(e: LegExcursion, alerts: ReadonlyMap<string, ReportAlertInput>): ReportLegFinding {
  const alert = alerts.get(e.alertKey);
  return {
    key: e.key,
    alertKey: e.alertKey,
    boundary: e.boundary,
    limit: e.limit,
    startMs: e.startMs,
    endMs: e.endMs,
    durationMs: e.durationMs,
    peak: e.peak === null ? null : { value: e.peak.value, tsMs: e.peak.tsMs },
    legId: e.legId,
    holder: e.holder,
    deviceId: e.deviceId,
    alert: alert === undefined ? null : alertOf(alert),
  };
}

function alertOf(a: ReportAlertInput): ReportAlert {
  return {
    id: a.id,
    key: a.key,
    rule: a.rule,
    severity: a.severity,
    status: a.status,
    acknowledgedBy: a.acknowledgedBy,
    acknowledgedAtMs: a.acknowledgedAtMs,
    acknowledgementNote: a.note,
    resolvedBy: a.resolvedBy,
    resolvedAtMs: a.resolvedAtMs,
    resolutionNote: a.resolutionNote,
  };
}

function custodyChain(legs: readonly ReportLegInput[]): Omit<ReportCustodyChain, 'receipt'> {
  const last = legs[legs.length - 1];
  const unloaded =
    last !== undefined &&
    last.toMs !== null &&
    (last.endedBy !== null || last.endTempC !== null || last.endPlace !== null || last.endNote !== null);
  return {
    legs: legs.map((leg) => ({
      legId: leg.id,
      holder: leg.holder,
      deviceId: leg.deviceId,
      fromMs: leg.fromMs,
      toMs: leg.toMs,
      handedOverBy: leg.handedOverBy,
      handoverTempC: leg.handoverTempC,
      place: leg.place,
      note: leg.note,
    })),
    unloading:
      unloaded && last.toMs !== null
        ? {
            legId: last.id,
            atMs: last.toMs,
            endedBy: last.endedBy,
            endTempC: last.endTempC,
            endPlace: last.endPlace,
            endNote: last.endNote,
          }
        : null,
  };
}

function chartOf(
  input: ReportInput,
  profile: ReportProfile,
  views: readonly LegView[],
  excursions: readonly ReportExcursion[],
  completeness: DataCompleteness,
): ReportChart {
  const { nowMs } = input;
  const fromMs = views[0]?.leg.fromMs ?? nowMs;
  const toMs = views.length === 0 ? nowMs : legEnd(views[views.length - 1]!, nowMs);
  const all = views.flatMap((v) =>
    judgedSamples(v.engineReadings).map((s) => ({ tsMs: s.tsMs, tempC: s.value })),
  );
  const { points, downsampled } = downsample(all, fromMs, toMs, CHART_MAX_POINTS);
  const asOf = new Map(views.map((v) => [v.leg.id, v.compliance.asOfMs]));
  return {
    fromMs,
    toMs,
    maxPoints: CHART_MAX_POINTS,
    points,
    downsampled,
    gaps: completeness.gaps.map((g) => ({ startMs: g.startMs, endMs: g.endMs })),
    settle: views.map((v) => ({
      startMs: v.leg.fromMs,
      endMs: Math.min(v.leg.fromMs + profile.settleMs, legEnd(v, nowMs)),
    })),
    rangeC: profile.rangeC,
    targetC: profile.targetC,
    limits: input.profile.temperature.boundaries.map((b) => ({
      boundaryId: b.id,
      limitC: b.limitC,
      severity: b.severity,
      direction: b.direction,
    })),
    excursions: excursions.map((e) => ({
      startMs: e.startMs,
      endMs: e.endMs ?? asOf.get(e.legId) ?? e.startMs,
      alertKey: e.alertKey,
      rule: e.rule,
      severity: e.severity,
      open: e.endMs === null,
    })),
    handovers: views.map((v) => ({
      tsMs: v.leg.fromMs,
      legId: v.leg.id,
      holder: v.leg.holder,
      handedOverBy: v.leg.handedOverBy,
    })),
    doorOpen: views.flatMap((v) => doorOpenSpans(v.engineReadings, legEnd(v, nowMs), profile.maxGapMs)),
  };
}
