import type { ComplianceReport, SensorStatistics, VerdictStatus } from '@coldchain/coldchain';
import { NO_VALUE, type ReportFormat, reportFormat } from './report-format.js';
import { type ReportLabels, type ReportLang, reportLabels } from './report-labels.js';
import type { ResolvedRenderOptions } from './report-options.js';
import { reasonText } from './report-reasons.js';

/*
 * The printed report as a sequence of titled sections of label/value lists and tables, every value already
 * formatted for the reader. The HTML page and the PDF both lay out this one structure, which is how they show
 * the same content; only the layout is theirs. A cell may hold a line break (`\n`): local time above UTC.
 */

export interface ViewFields {
  kind: 'fields';
  rows: { label: string; value: string }[];
}

export interface ViewColumn {
  label: string;
  /** Relative width. */
  width: number;
  align: 'left' | 'right';
}

export interface ViewTable {
  kind: 'table';
  caption: string | null;
  columns: ViewColumn[];
  rows: string[][];
  /** Said instead of the table when it has no rows: a report never leaves a reader guessing. */
  empty: string;
}

/** Where the journey chart goes. */
export interface ViewChart {
  kind: 'chart';
}

/** The verification URL with its QR code. */
export interface ViewVerification {
  kind: 'verification';
  url: string;
  caption: string;
}

export type ViewBlock = ViewFields | ViewTable | ViewChart | ViewVerification;

export interface ViewSection {
  id: string;
  title: string;
  blocks: ViewBlock[];
}

export interface ReportView {
  lang: ReportLang;
  title: string;
  /** Shipment id and reference. */
  subtitle: string;
  generated: string;
  timesIn: string;
  /** `heading` is `Verdict: FAIL`; each reason is prefixed with its effect. */
  verdict: { status: VerdictStatus; label: string; heading: string; reasons: string[] };
  sections: ViewSection[];
}

const col = (label: string, width = 1, align: 'left' | 'right' = 'left'): ViewColumn => ({
  label,
  width,
  align,
});
const num = (label: string, width = 1): ViewColumn => col(label, width, 'right');

const orNone = (value: string | null) => (value === null || value === '' ? NO_VALUE : value);

export function buildReportView(report: ComplianceReport, options: ResolvedRenderOptions): ReportView {
  const labels = reportLabels(options.lang);
  const format = reportFormat(options.lang, options.timeZone);
  const shipment = report.shipment;
  return {
    lang: options.lang,
    title: labels.title,
    subtitle: `${shipment.id} · ${shipment.reference}`,
    generated: `${labels.generatedAt}: ${format.inline(report.generatedAtMs)}`,
    timesIn: labels.timesIn(options.timeZone),
    verdict: {
      status: report.verdict.status,
      label: labels.verdictStatus[report.verdict.status],
      heading: `${labels.verdict.status}: ${labels.verdictStatus[report.verdict.status]}`,
      reasons:
        report.verdict.reasons.length === 0
          ? [labels.verdict.noReasons]
          : report.verdict.reasons.map(
              (r) => `${labels.reasonEffect[r.effect]}: ${reasonText(r, report, labels, format)}`,
            ),
    },
    sections: [
      shipmentSection(report, labels, format),
      { id: 'chart', title: labels.section.chart, blocks: [{ kind: 'chart' }] },
      profileSection(report, labels, format),
      sensorsSection(report, labels, format),
      judgedSection(report, labels, format),
      excursionsSection(report, labels, format),
      earlyWarningsSection(report, labels, format),
      custodySection(report, labels, format),
      completenessSection(report, labels, format),
      integritySection(report, labels, options),
    ],
  };
}

function shipmentSection(report: ComplianceReport, labels: ReportLabels, f: ReportFormat): ViewSection {
  const s = report.shipment;
  const l = labels.shipment;
  return {
    id: 'shipment',
    title: labels.section.shipment,
    blocks: [
      {
        kind: 'fields',
        rows: [
          { label: l.id, value: s.id },
          { label: l.reference, value: s.reference },
          { label: l.goods, value: s.goods },
          { label: l.shipper, value: s.shipper },
          { label: l.consignee, value: s.consignee },
          { label: l.origin, value: orNone(s.origin) },
          { label: l.destination, value: orNone(s.destination) },
          { label: l.status, value: labels.shipmentStatus[s.status] },
          { label: l.plannedDeparture, value: f.inline(s.plannedDepartureMs) },
          { label: l.plannedArrival, value: f.inline(s.plannedArrivalMs) },
          { label: l.actualDeparture, value: f.inline(s.actualDepartureMs) },
          { label: l.actualArrival, value: f.inline(s.actualArrivalMs) },
          { label: l.periodFrom, value: f.inline(report.period?.startMs ?? null) },
          { label: l.periodTo, value: f.inline(report.period?.endMs ?? null) },
        ],
      },
    ],
  };
}

function profileSection(report: ComplianceReport, labels: ReportLabels, f: ReportFormat): ViewSection {
  const p = report.profile;
  const l = labels.profile;
  const bound = (value: number | null) => (value === null ? l.unbounded : f.tempC(value));
  const humidity = p.definition.humidity;
  const interval = f.duration(p.recordingIntervalMs);
  const rows = [
    { label: l.name, value: p.name },
    { label: l.id, value: p.id },
    { label: l.source, value: p.source },
    { label: l.rangeLow, value: bound(p.rangeC.lowC) },
    { label: l.rangeHigh, value: bound(p.rangeC.highC) },
    ...(p.targetC === null
      ? []
      : [
          { label: l.targetLow, value: bound(p.targetC.lowC) },
          { label: l.targetHigh, value: bound(p.targetC.highC) },
        ]),
    {
      label: l.recordingInterval,
      value: p.recordingIntervalDefaulted ? `${interval} (${l.recordingIntervalDefaulted})` : interval,
    },
    { label: l.maxGap, value: f.duration(p.maxGapMs) },
    {
      label: l.cumulativeBudget,
      value: p.cumulativeBudgetMs === null ? l.unbounded : f.duration(p.cumulativeBudgetMs),
    },
    { label: l.mktLimit, value: p.mktLimitC === null ? l.unbounded : f.tempC(p.mktLimitC) },
    { label: l.settle, value: f.duration(p.settleMs) },
    { label: l.hysteresis, value: f.tempC(p.definition.hysteresisC) },
    ...(p.definition.doorOpenMaxMs === undefined
      ? []
      : [{ label: l.doorOpenMax, value: f.duration(p.definition.doorOpenMaxMs) }]),
    ...(p.definition.earlyWarning === undefined
      ? []
      : [
          { label: l.earlyWarningAirDelay, value: f.duration(p.definition.earlyWarning.airDelayMs) },
          { label: l.earlyWarningTrend, value: f.duration(p.definition.earlyWarning.trendWindowMs) },
        ]),
    ...(humidity === undefined
      ? []
      : [
          {
            label: l.humidityLow,
            value: humidity.lowPct === undefined ? l.unbounded : f.pct(humidity.lowPct),
          },
          {
            label: l.humidityHigh,
            value: humidity.highPct === undefined ? l.unbounded : f.pct(humidity.highPct),
          },
        ]),
  ];
  const b = labels.boundary;
  return {
    id: 'profile',
    title: labels.section.profile,
    blocks: [
      { kind: 'fields', rows },
      {
        kind: 'table',
        caption: labels.section.boundaries,
        columns: [
          col(b.id, 1.4),
          col(b.direction),
          col(b.severity),
          num(b.limit),
          num(b.delay),
          num(b.budget),
        ],
        rows: p.definition.temperature.boundaries.map((x) => [
          x.id,
          labels.direction[x.direction],
          labels.severity[x.severity],
          f.tempC(x.limitC),
          f.duration(x.delayMs),
          x.budgetMs === undefined ? NO_VALUE : f.duration(x.budgetMs),
        ]),
        empty: NO_VALUE,
      },
    ],
  };
}

function sensorValue(s: SensorStatistics, f: ReportFormat, value: number | null): string {
  return s.kind === 'humidity' ? f.pct(value) : f.tempC(value);
}

function sensorsSection(report: ComplianceReport, labels: ReportLabels, f: ReportFormat): ViewSection {
  const l = labels.stats;
  const name = (s: SensorStatistics) =>
    s.judged ? `${labels.sensorName(s.sensor)} *` : labels.sensorName(s.sensor);
  const timed = (s: SensorStatistics, v: { value: number; tsMs: number } | null) =>
    v === null ? NO_VALUE : `${sensorValue(s, f, v.value)}\n${f.instant(v.tsMs)}`;
  const b = labels.boundary;
  return {
    id: 'sensors',
    title: labels.section.sensors,
    blocks: [
      {
        kind: 'table',
        caption: `* ${l.judged}`,
        columns: [
          col(l.sensor, 1.1),
          num(l.samples, 0.7),
          num(l.min, 1.5),
          num(l.max, 1.5),
          num(l.mean, 0.8),
          num(l.mkt, 0.8),
          num(l.inRange),
          num(l.outsideRange),
          num(l.withoutData),
          num(`${l.budgetUsed} / ${l.budget}`, 1.1),
        ],
        rows: report.sensors.map((s) => [
          name(s),
          String(s.sampleCount),
          timed(s, s.min),
          timed(s, s.max),
          sensorValue(s, f, s.mean),
          f.tempC(s.mktC),
          f.duration(s.timeInRangeMs),
          f.duration(s.timeOutsideRangeMs),
          f.duration(s.timeWithoutDataMs),
          s.budget === null
            ? NO_VALUE
            : `${f.duration(s.budget.usedMs)} / ${f.duration(s.budget.budgetMs)}${s.budget.overBudget ? ` (${l.overBudget})` : ''}`,
        ]),
        empty: NO_VALUE,
      },
      {
        kind: 'table',
        caption: labels.section.boundaryTimes,
        columns: [
          col(l.sensor, 1.2),
          col(b.id, 1.2),
          num(b.limit),
          num(b.timeAbove),
          num(b.timeBelow),
          num(b.timeBeyond),
        ],
        rows: report.sensors.flatMap((s) =>
          s.boundaries.map((x) => [
            labels.sensorName(s.sensor),
            `${x.boundaryId} (${labels.direction[x.direction]}, ${labels.severity[x.severity]})`,
            f.tempC(x.limitC),
            f.duration(x.timeAboveMs),
            f.duration(x.timeBelowMs),
            f.duration(x.timeBeyondMs),
          ]),
        ),
        empty: NO_VALUE,
      },
    ],
  };
}

function judgedSection(report: ComplianceReport, labels: ReportLabels, f: ReportFormat): ViewSection {
  const j = report.judged;
  const l = labels.stats;
  const timed = (v: { value: number; tsMs: number } | null) =>
    v === null ? NO_VALUE : `${f.tempC(v.value)} · ${f.inline(v.tsMs)}`;
  return {
    id: 'judged',
    title: labels.section.judged,
    blocks: [
      {
        kind: 'fields',
        rows: [
          { label: l.samples, value: String(j.sampleCount) },
          { label: l.min, value: timed(j.min) },
          { label: l.max, value: timed(j.max) },
          { label: l.mean, value: f.tempC(j.meanC) },
          { label: l.mkt, value: f.tempC(j.mktC) },
          { label: l.inRange, value: f.duration(j.timeInRangeMs) },
          { label: l.outsideRange, value: f.duration(j.timeOutsideRangeMs) },
          { label: l.withoutData, value: f.duration(j.timeWithoutDataMs) },
          {
            label: `${l.budgetUsed} / ${l.budget}`,
            value:
              j.budget === null
                ? NO_VALUE
                : `${f.duration(j.budget.usedMs)} / ${f.duration(j.budget.budgetMs)} (${l.budgetRemaining} ${f.duration(j.budget.remainingMs)})${j.budget.overBudget ? ` · ${l.overBudget}` : ''}`,
          },
        ],
      },
      {
        kind: 'table',
        caption: labels.section.judgedLegs,
        columns: [
          num(l.leg, 0.4),
          col(l.from, 1.3),
          col(l.to, 1.3),
          num(l.samples, 0.7),
          num(l.min, 0.7),
          num(l.max, 0.7),
          num(l.mean, 0.7),
          num(l.mkt, 0.7),
          num(l.outsideRange),
          num(l.withoutData),
          col(l.verdict, 0.7),
        ],
        rows: j.legs.map((leg) => [
          String(leg.legId),
          f.instant(leg.fromMs),
          `${f.instant(leg.toMs)}${leg.legEnded ? '' : `\n(${labels.open})`}`,
          String(leg.sampleCount),
          f.tempC(leg.minC),
          f.tempC(leg.maxC),
          f.tempC(leg.meanC),
          f.tempC(leg.mktC),
          f.duration(leg.timeOutsideRangeMs),
          f.duration(leg.timeWithoutDataMs),
          labels.verdictStatus[leg.verdict],
        ]),
        empty: NO_VALUE,
      },
    ],
  };
}

function excursionsSection(report: ComplianceReport, labels: ReportLabels, f: ReportFormat): ViewSection {
  const l = labels.excursion;
  const alertColumn = (a: ComplianceReport['otherAlerts'][number] | null) => alertText(a, labels, f);
  return {
    id: 'excursions',
    title: labels.section.excursions,
    blocks: [
      {
        kind: 'table',
        caption: null,
        columns: [
          col(l.rule, 1.3),
          col(l.start, 1.3),
          col(l.end, 1.3),
          num(l.duration, 0.8),
          num(l.peak, 1.3),
          col(l.holder, 1.1),
          col(l.alert, 2),
        ],
        rows: report.excursions.map((e) => [
          [
            labels.rule[e.rule],
            `${labels.severity[e.severity]}${e.limit === null ? '' : ` · ${e.rule === 'humidity' ? f.pct(e.limit) : f.tempC(e.limit)}`}`,
            `${l.failing}: ${e.failing ? labels.yes : labels.no}`,
          ].join('\n'),
          f.instant(e.startMs),
          e.endMs === null ? labels.open : f.instant(e.endMs),
          e.durationMs === null ? labels.open : f.duration(e.durationMs),
          e.peak === null
            ? NO_VALUE
            : `${e.rule === 'humidity' ? f.pct(e.peak.value) : f.tempC(e.peak.value)}\n${f.instant(e.peak.tsMs)}`,
          `${e.holder}\n${l.leg} ${e.legId} · ${e.deviceId}`,
          alertColumn(e.alert),
        ]),
        empty: l.none,
      },
      ...(report.otherAlerts.length === 0
        ? []
        : [
            {
              kind: 'table' as const,
              caption: labels.section.otherAlerts,
              columns: [col(l.rule, 1.3), col(l.severity), col(l.alert, 3)],
              rows: report.otherAlerts.map((a) => [a.rule, labels.severity[a.severity], alertColumn(a)]),
              empty: NO_VALUE,
            },
          ]),
    ],
  };
}

/** An alert's handling, for the alert column of the excursions and the early warnings. */
function alertText(
  a: ComplianceReport['otherAlerts'][number] | null,
  labels: ReportLabels,
  f: ReportFormat,
): string {
  const l = labels.excursion;
  if (a === null) return l.noAlert;
  const lines = [`#${a.id} ${labels.alertStatus[a.status]}`];
  if (a.acknowledgedBy !== null) {
    lines.push(
      `${l.acknowledgedBy}: ${a.acknowledgedBy}${a.acknowledgedAtMs === null ? '' : ` (${f.local(a.acknowledgedAtMs)})`}`,
    );
  }
  if (a.acknowledgementNote !== null) lines.push(`${l.acknowledgementNote}: ${a.acknowledgementNote}`);
  if (a.resolvedBy !== null) {
    lines.push(
      `${l.resolvedBy}: ${a.resolvedBy}${a.resolvedAtMs === null ? '' : ` (${f.local(a.resolvedAtMs)})`}`,
    );
  }
  if (a.resolutionNote !== null) lines.push(`${l.resolutionNote}: ${a.resolutionNote}`);
  return lines.join('\n');
}

function earlyWarningsSection(report: ComplianceReport, labels: ReportLabels, f: ReportFormat): ViewSection {
  const l = labels.excursion;
  const w = labels.earlyWarning;
  return {
    id: 'early-warnings',
    title: labels.section.earlyWarnings,
    blocks: [
      {
        kind: 'table',
        caption: w.note,
        columns: [
          col(w.limit, 1.1),
          col(l.start, 1.3),
          col(l.end, 1.3),
          num(l.duration, 0.8),
          num(w.airPeak, 1.2),
          col(w.projectedBreach, 1.3),
          col(l.holder, 1.1),
          col(l.alert, 2),
        ],
        rows: report.earlyWarnings.map((e) => [
          `${e.boundary ?? NO_VALUE}${e.limit === null ? '' : ` · ${f.tempC(e.limit)}`}`,
          f.instant(e.startMs),
          e.endMs === null ? labels.open : f.instant(e.endMs),
          e.durationMs === null ? labels.open : f.duration(e.durationMs),
          e.peak === null ? NO_VALUE : `${f.tempC(e.peak.value)}\n${f.instant(e.peak.tsMs)}`,
          e.projectedBreachMs === null ? w.noProjection : f.instant(e.projectedBreachMs),
          `${e.holder}\n${l.leg} ${e.legId} · ${e.deviceId}`,
          alertText(e.alert, labels, f),
        ]),
        empty: w.none,
      },
    ],
  };
}

function custodySection(report: ComplianceReport, labels: ReportLabels, f: ReportFormat): ViewSection {
  const l = labels.custody;
  const unloading = report.custody.unloading;
  const receipt = report.custody.receipt;
  return {
    id: 'custody',
    title: labels.section.custody,
    blocks: [
      {
        kind: 'table',
        caption: null,
        columns: [
          num(l.leg, 0.4),
          col(l.holder, 1.2),
          col(l.device),
          col(l.from, 1.3),
          col(l.to, 1.3),
          col(l.handedOverBy),
          num(l.handoverTemp, 0.8),
          col(l.place, 1.2),
        ],
        rows: report.custody.legs.map((leg) => [
          String(leg.legId),
          leg.note === null ? leg.holder : `${leg.holder}\n${l.note}: ${leg.note}`,
          leg.deviceId,
          f.instant(leg.fromMs),
          leg.toMs === null ? labels.open : f.instant(leg.toMs),
          orNone(leg.handedOverBy),
          f.tempC(leg.handoverTempC),
          orNone(leg.place),
        ]),
        empty: l.none,
      },
      ...(unloading === null
        ? []
        : [
            {
              kind: 'fields' as const,
              rows: [
                { label: `${labels.section.unloading} · ${l.leg}`, value: String(unloading.legId) },
                { label: l.at, value: f.inline(unloading.atMs) },
                { label: l.endedBy, value: orNone(unloading.endedBy) },
                { label: l.endTemp, value: f.tempC(unloading.endTempC) },
                { label: l.place, value: orNone(unloading.endPlace) },
                { label: l.note, value: orNone(unloading.endNote) },
              ],
            },
          ]),
      ...(receipt === null
        ? []
        : [
            {
              kind: 'fields' as const,
              rows: [
                { label: l.receipt, value: l.decision[receipt.decision] },
                { label: l.at, value: f.inline(receipt.arrivedAtMs) },
                { label: l.receivedBy, value: receipt.receivedBy },
                { label: l.arrivalTemp, value: f.tempC(receipt.arrivalTempC) },
                { label: l.place, value: orNone(receipt.place) },
                { label: l.reason, value: orNone(receipt.reason) },
              ],
            },
          ]),
    ],
  };
}

/** `98.6 %`, to one decimal: a completeness of 99.96 % must not read as 100 %. */
/**
 * The share of interval slots that hold a reading, in % (one decimal, rounded down): a logger that
 * records more often than the interval is complete, not above 100 %; the slots missing are those the
 * gaps count.
 */
export function completenessRatio(part: {
  expectedReadings: number;
  gaps: ReadonlyArray<{ missingReadings: number }>;
}): number | null {
  if (part.expectedReadings === 0) return null;
  const missing = part.gaps.reduce((n, g) => n + g.missingReadings, 0);
  const recorded = Math.max(0, part.expectedReadings - missing);
  return Math.floor((recorded / part.expectedReadings) * 1000) / 10;
}

function completenessSection(report: ComplianceReport, labels: ReportLabels, f: ReportFormat): ViewSection {
  const c = report.completeness;
  const l = labels.completeness;
  const ratio = completenessRatio(c);
  return {
    id: 'completeness',
    title: labels.section.completeness,
    blocks: [
      {
        kind: 'fields',
        rows: [
          { label: l.recordingInterval, value: f.duration(c.recordingIntervalMs) },
          { label: l.expected, value: String(c.expectedReadings) },
          { label: l.received, value: String(c.receivedReadings) },
          { label: l.ratio, value: f.pct(ratio) },
          { label: l.gapCount, value: String(c.gaps.length) },
          { label: l.timeInGaps, value: f.duration(c.timeInGapsMs) },
        ],
      },
      {
        kind: 'table',
        caption: labels.section.completenessLegs,
        columns: [
          num(labels.stats.leg, 0.4),
          col(labels.custody.device),
          col(labels.stats.from, 1.3),
          col(labels.stats.to, 1.3),
          num(l.expected, 0.8),
          num(l.received, 0.8),
          num(l.ratio, 0.8),
          num(l.settleReadings, 0.8),
          num(l.duplicates, 0.8),
          num(l.gapCount, 0.6),
        ],
        rows: c.legs.map((leg) => [
          String(leg.legId),
          leg.deviceId,
          f.instant(leg.fromMs),
          f.instant(leg.toMs),
          String(leg.expectedReadings),
          String(leg.receivedReadings),
          f.pct(completenessRatio(leg)),
          String(leg.settleReadings),
          String(leg.duplicateReadings),
          String(leg.gaps.length),
        ]),
        empty: labels.custody.none,
      },
      {
        kind: 'table',
        caption: labels.section.gaps,
        columns: [
          num(labels.stats.leg, 0.4),
          col(labels.custody.device),
          col(l.kind),
          col(l.start, 1.3),
          col(l.end, 1.3),
          num(l.duration, 0.8),
          num(l.missing, 0.8),
        ],
        rows: c.gaps.map((g) => [
          String(g.legId),
          g.deviceId,
          labels.gapKind[g.kind],
          f.instant(g.startMs),
          f.instant(g.endMs),
          f.duration(g.durationMs),
          String(g.missingReadings),
        ]),
        empty: l.noGaps,
      },
    ],
  };
}

function integritySection(
  report: ComplianceReport,
  labels: ReportLabels,
  options: ResolvedRenderOptions,
): ViewSection {
  const l = labels.integrity;
  const e = report.evidence;
  const i = options.integrity;
  const rows = [
    { label: l.digest, value: `${e.algorithm}: ${e.digest}` },
    { label: l.canonicalForm, value: e.canonicalForm },
    { label: l.lineCount, value: String(e.lineCount) },
    ...(i.revision === undefined ? [] : [{ label: l.revision, value: String(i.revision) }]),
    ...(i.digest === undefined || i.digest === e.digest ? [] : [{ label: l.signedDigest, value: i.digest }]),
    { label: l.signature, value: i.signature ?? l.unsigned },
    ...(i.keyUrl === undefined ? [] : [{ label: l.keyUrl, value: i.keyUrl }]),
    ...(options.verifyUrl === null ? [] : [{ label: l.verifyUrl, value: options.verifyUrl }]),
  ];
  return {
    id: 'integrity',
    title: labels.section.integrity,
    blocks: [
      { kind: 'fields', rows },
      ...(options.verifyUrl === null
        ? []
        : [{ kind: 'verification' as const, url: options.verifyUrl, caption: l.scanToVerify }]),
    ],
  };
}
