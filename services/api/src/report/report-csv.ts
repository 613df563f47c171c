import type { ComplianceReport, ReportAlert } from '@coldchain/coldchain';
import { localIsoTime } from '@coldchain/influx';
import { stringify } from 'csv-stringify/sync';
import { reportFormat } from './report-format.js';
import { reportLabels } from './report-labels.js';
import { type ReportRenderOptions, resolveRenderOptions } from './report-options.js';
import { reasonText } from './report-reasons.js';

/*
 * The report as CSV: one table per section, a blank line between sections. Every record of a section, its
 * header row included, starts with the section's id (`shipment`, `sensors`, `excursions`, …, stable in every
 * language), so that a spreadsheet filter on the first column shows one table and a program splits the file
 * on that column; within a section every record has the same number of fields. The header row is in the
 * reader's language.
 *
 * Values: numbers are written as numbers (°C, %RH and counts as the report has them; durations in minutes),
 * instants twice, in the reader's zone (ISO 8601 with offset) and in UTC, absent values as empty fields.
 */

type Value = string | number | boolean | null;

const CSV_OPTIONS = {
  record_delimiter: 'windows',
  quote_record_delimiter: true,
  // Holder names and notes are typed by people: one starting with `=`, `+`, `-` or `@` would run as a formula.
  escape_formulas: true,
  cast: { boolean: (value: boolean) => String(value) },
} as const;

const minutes = (ms: number | null) => (ms === null ? null : ms / 60_000);

export function renderReportCsv(report: ComplianceReport, options: ReportRenderOptions = {}): string {
  const { lang, timeZone } = resolveRenderOptions(options);
  const labels = reportLabels(lang);
  const format = reportFormat(lang, timeZone);
  const c = labels.csv;
  const local = (ms: number | null) => (ms === null ? null : localIsoTime(ms, timeZone));
  const utc = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  /** A time column's two headers: local and UTC. */
  const timeHeaders = (label: string) => [c.local(label, timeZone), c.utc(label)];
  const time = (ms: number | null) => [local(ms), utc(ms)];

  const sections: string[] = [];
  const section = (id: string, header: string[], rows: Value[][]) => {
    sections.push(stringify([[id, ...header], ...rows.map((r) => [id, ...r])], CSV_OPTIONS));
  };
  /** A section of label/value pairs; an instant gives its UTC value in the third column. */
  const fields = (id: string, rows: [string, Value, Value?][]) =>
    section(
      id,
      [c.field, c.value, c.utc(c.value)],
      rows.map(([label, value, utcValue]) => [label, value, utcValue ?? null]),
    );

  const s = report.shipment;
  const sl = labels.shipment;
  fields('shipment', [
    [sl.id, s.id],
    [sl.reference, s.reference],
    [sl.goods, s.goods],
    [sl.shipper, s.shipper],
    [sl.consignee, s.consignee],
    [sl.origin, s.origin],
    [sl.destination, s.destination],
    [sl.status, labels.shipmentStatus[s.status]],
    [sl.plannedDeparture, ...time(s.plannedDepartureMs)] as [string, Value, Value],
    [sl.plannedArrival, ...time(s.plannedArrivalMs)] as [string, Value, Value],
    [sl.actualDeparture, ...time(s.actualDepartureMs)] as [string, Value, Value],
    [sl.actualArrival, ...time(s.actualArrivalMs)] as [string, Value, Value],
    [sl.periodFrom, ...time(report.period?.startMs ?? null)] as [string, Value, Value],
    [sl.periodTo, ...time(report.period?.endMs ?? null)] as [string, Value, Value],
    [labels.generatedAt, ...time(report.generatedAtMs)] as [string, Value, Value],
  ]);

  const v = report.verdict;
  section(
    'verdict',
    [
      labels.verdict.status,
      labels.verdict.effect,
      c.code,
      labels.stats.leg,
      labels.excursion.alert,
      c.message,
    ],
    [
      [labels.verdictStatus[v.status], null, v.status, null, null, null],
      ...v.reasons.map((r) => [
        labels.verdictStatus[v.status],
        labels.reasonEffect[r.effect],
        r.code,
        r.legId,
        r.alertKey,
        reasonText(r, report, labels, format),
      ]),
    ],
  );

  const p = report.profile;
  const pl = labels.profile;
  fields('profile', [
    [pl.id, p.id],
    [pl.name, p.name],
    [pl.source, p.source],
    [c.celsius(pl.rangeLow), p.rangeC.lowC],
    [c.celsius(pl.rangeHigh), p.rangeC.highC],
    [c.celsius(pl.targetLow), p.targetC?.lowC ?? null],
    [c.celsius(pl.targetHigh), p.targetC?.highC ?? null],
    [c.minutes(pl.recordingInterval), minutes(p.recordingIntervalMs)],
    [pl.recordingIntervalDefaulted, p.recordingIntervalDefaulted],
    [c.minutes(pl.maxGap), minutes(p.maxGapMs)],
    [c.minutes(pl.cumulativeBudget), minutes(p.cumulativeBudgetMs)],
    [c.celsius(pl.mktLimit), p.mktLimitC],
    [c.minutes(pl.settle), minutes(p.settleMs)],
    [c.celsius(pl.hysteresis), p.definition.hysteresisC],
    [c.minutes(pl.doorOpenMax), minutes(p.definition.doorOpenMaxMs ?? null)],
    [c.minutes(pl.earlyWarningAirDelay), minutes(p.definition.earlyWarning?.airDelayMs ?? null)],
    [c.minutes(pl.earlyWarningTrend), minutes(p.definition.earlyWarning?.trendWindowMs ?? null)],
    [pl.humidityLow, p.definition.humidity?.lowPct ?? null],
    [pl.humidityHigh, p.definition.humidity?.highPct ?? null],
  ]);

  const b = labels.boundary;
  section(
    'boundaries',
    [b.id, b.direction, b.severity, c.celsius(b.limit), c.minutes(b.delay), c.minutes(b.budget)],
    p.definition.temperature.boundaries.map((x) => [
      x.id,
      x.direction,
      x.severity,
      x.limitC,
      minutes(x.delayMs),
      minutes(x.budgetMs ?? null),
    ]),
  );

  const st = labels.stats;
  section(
    'sensors',
    [
      st.sensor,
      st.judged,
      st.samples,
      st.min,
      ...timeHeaders(st.minAt),
      st.max,
      ...timeHeaders(st.maxAt),
      st.mean,
      c.celsius(st.mkt),
      c.minutes(st.period),
      c.minutes(st.inRange),
      c.minutes(st.outsideRange),
      c.minutes(st.withoutData),
      c.minutes(st.inTarget),
      c.minutes(st.budget),
      c.minutes(st.budgetUsed),
      c.minutes(st.budgetRemaining),
      st.overBudget,
    ],
    report.sensors.map((x) => [
      x.sensor,
      x.judged,
      x.sampleCount,
      x.min?.value ?? null,
      ...time(x.min?.tsMs ?? null),
      x.max?.value ?? null,
      ...time(x.max?.tsMs ?? null),
      x.mean,
      x.mktC,
      minutes(x.periodMs),
      minutes(x.timeInRangeMs),
      minutes(x.timeOutsideRangeMs),
      minutes(x.timeWithoutDataMs),
      minutes(x.timeInTargetMs),
      minutes(x.budget?.budgetMs ?? null),
      minutes(x.budget?.usedMs ?? null),
      minutes(x.budget?.remainingMs ?? null),
      x.budget?.overBudget ?? null,
    ]),
  );

  section(
    'boundary_times',
    [
      st.sensor,
      b.id,
      b.direction,
      b.severity,
      c.celsius(b.limit),
      c.minutes(b.timeAbove),
      c.minutes(b.timeBelow),
      c.minutes(b.timeBeyond),
    ],
    report.sensors.flatMap((x) =>
      x.boundaries.map((t) => [
        x.sensor,
        t.boundaryId,
        t.direction,
        t.severity,
        t.limitC,
        minutes(t.timeAboveMs),
        minutes(t.timeBelowMs),
        minutes(t.timeBeyondMs),
      ]),
    ),
  );

  const j = report.judged;
  section(
    'judged',
    [
      st.leg,
      ...timeHeaders(st.from),
      ...timeHeaders(st.to),
      st.legEnded,
      st.samples,
      c.celsius(st.min),
      c.celsius(st.max),
      c.celsius(st.mean),
      c.celsius(st.mkt),
      c.minutes(st.inRange),
      c.minutes(st.outsideRange),
      c.minutes(st.withoutData),
      st.verdict,
    ],
    [
      ...j.legs.map((l) => [
        l.legId,
        ...time(l.fromMs),
        ...time(l.toMs),
        l.legEnded,
        l.sampleCount,
        l.minC,
        l.maxC,
        l.meanC,
        l.mktC,
        minutes(l.timeInRangeMs),
        minutes(l.timeOutsideRangeMs),
        minutes(l.timeWithoutDataMs),
        l.verdict,
      ]),
      // The journey, under an empty leg number.
      [
        null,
        ...time(report.period?.startMs ?? null),
        ...time(report.period?.endMs ?? null),
        null,
        j.sampleCount,
        j.min?.value ?? null,
        j.max?.value ?? null,
        j.meanC,
        j.mktC,
        minutes(j.timeInRangeMs),
        minutes(j.timeOutsideRangeMs),
        minutes(j.timeWithoutDataMs),
        v.status,
      ],
    ],
  );

  const e = labels.excursion;
  const alertHeaders = [
    e.alert,
    e.alertStatus,
    e.acknowledgedBy,
    ...timeHeaders(e.acknowledgedAt),
    e.acknowledgementNote,
    e.resolvedBy,
    ...timeHeaders(e.resolvedAt),
    e.resolutionNote,
  ];
  const alertValues = (a: ReportAlert | null): Value[] => [
    a?.id ?? null,
    a?.status ?? null,
    a?.acknowledgedBy ?? null,
    ...time(a?.acknowledgedAtMs ?? null),
    a?.acknowledgementNote ?? null,
    a?.resolvedBy ?? null,
    ...time(a?.resolvedAtMs ?? null),
    a?.resolutionNote ?? null,
  ];
  section(
    'excursions',
    [
      c.code,
      e.rule,
      e.severity,
      e.boundary,
      e.limit,
      ...timeHeaders(e.start),
      ...timeHeaders(e.end),
      c.minutes(e.duration),
      e.peak,
      ...timeHeaders(e.peakAt),
      e.failing,
      e.leg,
      e.holder,
      e.device,
      ...alertHeaders,
    ],
    report.excursions.map((x) => [
      x.alertKey,
      x.rule,
      x.severity,
      x.boundary,
      x.limit,
      ...time(x.startMs),
      ...time(x.endMs),
      minutes(x.durationMs),
      x.peak?.value ?? null,
      ...time(x.peak?.tsMs ?? null),
      x.failing,
      x.legId,
      x.holder,
      x.deviceId,
      ...alertValues(x.alert),
    ]),
  );
  const w = labels.earlyWarning;
  section(
    'early_warnings',
    [
      c.code,
      e.boundary,
      c.celsius(w.limit),
      ...timeHeaders(e.start),
      ...timeHeaders(e.end),
      c.minutes(e.duration),
      c.celsius(w.airPeak),
      ...timeHeaders(e.peakAt),
      ...timeHeaders(w.projectedBreach),
      e.leg,
      e.holder,
      e.device,
      ...alertHeaders,
    ],
    report.earlyWarnings.map((x) => [
      x.alertKey,
      x.boundary,
      x.limit,
      ...time(x.startMs),
      ...time(x.endMs),
      minutes(x.durationMs),
      x.peak?.value ?? null,
      ...time(x.peak?.tsMs ?? null),
      ...time(x.projectedBreachMs),
      x.legId,
      x.holder,
      x.deviceId,
      ...alertValues(x.alert),
    ]),
  );
  section(
    'other_alerts',
    [c.code, e.rule, e.severity, ...alertHeaders],
    report.otherAlerts.map((a) => [a.key, a.rule, a.severity, ...alertValues(a)]),
  );

  const cu = labels.custody;
  section(
    'custody',
    [
      cu.leg,
      cu.holder,
      cu.device,
      ...timeHeaders(cu.from),
      ...timeHeaders(cu.to),
      cu.handedOverBy,
      c.celsius(cu.handoverTemp),
      cu.place,
      cu.note,
    ],
    report.custody.legs.map((l) => [
      l.legId,
      l.holder,
      l.deviceId,
      ...time(l.fromMs),
      ...time(l.toMs),
      l.handedOverBy,
      l.handoverTempC,
      l.place,
      l.note,
    ]),
  );
  const u = report.custody.unloading;
  section(
    'unloading',
    [cu.leg, ...timeHeaders(cu.at), cu.endedBy, c.celsius(cu.endTemp), cu.place, cu.note],
    u === null ? [] : [[u.legId, ...time(u.atMs), u.endedBy, u.endTempC, u.endPlace, u.endNote]],
  );
  const rc = report.custody.receipt;
  section(
    'receipt',
    [cu.receipt, ...timeHeaders(cu.at), cu.receivedBy, c.celsius(cu.arrivalTemp), cu.place, cu.reason],
    rc === null
      ? []
      : [
          [
            cu.decision[rc.decision],
            ...time(rc.arrivedAtMs),
            rc.receivedBy,
            rc.arrivalTempC,
            rc.place,
            rc.reason,
          ],
        ],
  );

  const co = report.completeness;
  const cl = labels.completeness;
  section(
    'completeness',
    [
      st.leg,
      cu.device,
      ...timeHeaders(st.from),
      ...timeHeaders(st.to),
      c.minutes(cl.recordingInterval),
      cl.expected,
      cl.received,
      cl.settleReadings,
      cl.duplicates,
      cl.gapCount,
      c.minutes(cl.timeInGaps),
    ],
    [
      ...co.legs.map((l) => [
        l.legId,
        l.deviceId,
        ...time(l.fromMs),
        ...time(l.toMs),
        minutes(co.recordingIntervalMs),
        l.expectedReadings,
        l.receivedReadings,
        l.settleReadings,
        l.duplicateReadings,
        l.gaps.length,
        minutes(l.gaps.reduce((sum, g) => sum + g.durationMs, 0)),
      ]),
      // The journey, under an empty leg number.
      [
        null,
        null,
        ...time(report.period?.startMs ?? null),
        ...time(report.period?.endMs ?? null),
        minutes(co.recordingIntervalMs),
        co.expectedReadings,
        co.receivedReadings,
        co.legs.reduce((sum, l) => sum + l.settleReadings, 0),
        co.legs.reduce((sum, l) => sum + l.duplicateReadings, 0),
        co.gaps.length,
        minutes(co.timeInGapsMs),
      ],
    ],
  );
  section(
    'gaps',
    [
      st.leg,
      cu.device,
      cl.kind,
      ...timeHeaders(cl.start),
      ...timeHeaders(cl.end),
      c.minutes(cl.duration),
      cl.missing,
    ],
    co.gaps.map((g) => [
      g.legId,
      g.deviceId,
      g.kind,
      ...time(g.startMs),
      ...time(g.endMs),
      minutes(g.durationMs),
      g.missingReadings,
    ]),
  );

  const il = labels.integrity;
  const integrity = resolveRenderOptions(options).integrity;
  fields('integrity', [
    [il.canonicalForm, report.evidence.canonicalForm],
    [il.algorithm, report.evidence.algorithm],
    [il.lineCount, report.evidence.lineCount],
    [il.digest, report.evidence.digest],
    [il.signedDigest, integrity.digest ?? null],
    [il.signature, integrity.signature ?? null],
    [il.revision, integrity.revision ?? null],
    [il.keyUrl, integrity.keyUrl ?? null],
    [il.verifyUrl, options.verifyUrl ?? null],
  ]);

  // A byte order mark, so that a spreadsheet opens the Chinese as UTF-8 rather than in the system code page.
  return `\uFEFF${sections.join('\r\n')}`;
}
