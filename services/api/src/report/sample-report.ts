import {
  buildComplianceReport,
  type ChartPoint,
  type ComplianceReport,
  type MeasuredReading,
  type Profile,
  type ReportInput,
} from '@coldchain/coldchain';

/*
 * A hand-built report for the renderers' tests and benchmark: a vaccine shipment Dalian → Shenyang in two
 * legs, an early warning (the air out while the product was still inside) followed by a high excursion
 * acknowledged by an operator, one door opening, one data gap, failed. The numbers
 * are chosen, not computed: the renderers show what a report says, and the tests look for these values.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 2026-06-01 08:00 in Shanghai. */
export const SAMPLE_START_MS = Date.UTC(2026, 5, 1, 0, 0);

const PHARMA: Profile = {
  id: 'pharma-2-8',
  name: 'Pharmaceuticals 2–8 °C (vaccines, insulin, biologics)',
  source:
    'USP <659> controlled cold temperature; MKT per USP <1079>; China GSP appendix: transport records every 5 min',
  temperature: {
    targetC: { lowC: 2, highC: 8 },
    boundaries: [
      { id: 'high', direction: 'upper', limitC: 8, severity: 'warning', delayMs: 15 * MIN },
      { id: 'low', direction: 'lower', limitC: 2, severity: 'warning', delayMs: 15 * MIN },
      { id: 'critical-high', direction: 'upper', limitC: 15, severity: 'critical', delayMs: 0 },
      { id: 'critical-low', direction: 'lower', limitC: 0, severity: 'critical', delayMs: 0 },
    ],
  },
  cumulativeBudgetMs: HOUR,
  maxGapMs: 10 * MIN,
  doorOpenMaxMs: 5 * MIN,
  mktLimitC: 8,
  hysteresisC: 0.5,
  settleMs: 15 * MIN,
  earlyWarning: { airDelayMs: 15 * MIN, trendWindowMs: 30 * MIN },
};

/** The values the tests look for. */
export const SAMPLE = {
  shipmentId: 'SHP-20260601-001',
  mktC: 5.84,
  peakC: 9.4,
  peakAtMs: SAMPLE_START_MS + 3 * HOUR + 40 * MIN,
  excursionStartMs: SAMPLE_START_MS + 3 * HOUR + 20 * MIN,
  excursionEndMs: SAMPLE_START_MS + 4 * HOUR + 5 * MIN,
  earlyWarningStartMs: SAMPLE_START_MS + 2 * HOUR + 50 * MIN,
  airPeakC: 11.6,
  projectedBreachMs: SAMPLE_START_MS + 3 * HOUR + 25 * MIN,
  gapStartMs: SAMPLE_START_MS + 6 * HOUR,
  gapEndMs: SAMPLE_START_MS + 6 * HOUR + 35 * MIN,
  handoverMs: SAMPLE_START_MS + 5 * HOUR,
  endMs: SAMPLE_START_MS + 10 * HOUR,
  holders: ['大连冷链物流有限公司', 'Shenyang Pharma Distribution'],
  acknowledgedBy: 'operator-li',
  acknowledgementNote: '车门密封条破损，已更换 (door seal replaced)',
} as const;

/** The judged temperature of the sample journey: 4–6 °C, rising to the peak during the excursion. */
function samplePoints(fromMs: number, toMs: number, stepMs: number): ChartPoint[] {
  const points: ChartPoint[] = [];
  for (let t = fromMs; t < toMs; t += stepMs) {
    if (t > SAMPLE.gapStartMs && t < SAMPLE.gapEndMs) continue;
    let tempC = 5 + Math.sin((t - fromMs) / (2 * HOUR));
    if (t >= SAMPLE.excursionStartMs && t < SAMPLE.excursionEndMs) {
      const into = (t - SAMPLE.excursionStartMs) / (SAMPLE.excursionEndMs - SAMPLE.excursionStartMs);
      tempC = 8.2 + (SAMPLE.peakC - 8.2) * (1 - Math.abs(into * 2 - 1) ** 2);
    }
    if (t === SAMPLE.peakAtMs) tempC = SAMPLE.peakC;
    points.push({ tsMs: t, tempC: Math.round(tempC * 100) / 100 });
  }
  return points;
}

export function sampleReport(): ComplianceReport {
  const s = SAMPLE;
  const leg1 = { fromMs: SAMPLE_START_MS, toMs: s.handoverMs };
  const leg2 = { fromMs: s.handoverMs, toMs: s.endMs };
  const excursionKey = `range:high:${s.excursionStartMs}`;
  const alertKey = `${s.shipmentId}:1:${excursionKey}`;
  const gapKey = `gap:-:${s.gapStartMs}`;
  const gapAlertKey = `${s.shipmentId}:2:${gapKey}`;
  return {
    formatVersion: 1,
    generatedAtMs: s.endMs + 2 * HOUR,
    shipment: {
      id: s.shipmentId,
      reference: 'PO-88231',
      goods: '流感疫苗 Influenza vaccine, 1,200 doses',
      shipper: '辽宁生物制品有限公司',
      consignee: '沈阳市疾病预防控制中心',
      origin: '大连',
      destination: '沈阳',
      status: 'delivered',
      plannedDepartureMs: SAMPLE_START_MS,
      plannedArrivalMs: s.endMs,
      actualDepartureMs: SAMPLE_START_MS,
      actualArrivalMs: s.endMs,
    },
    profile: {
      id: PHARMA.id,
      name: PHARMA.name,
      source: PHARMA.source,
      definition: PHARMA,
      rangeC: { lowC: 2, highC: 8 },
      targetC: { lowC: 2, highC: 8 },
      recordingIntervalMs: 5 * MIN,
      recordingIntervalDefaulted: false,
      cumulativeBudgetMs: HOUR,
      mktLimitC: 8,
      maxGapMs: 10 * MIN,
      settleMs: 15 * MIN,
    },
    period: { startMs: leg1.fromMs, endMs: leg2.toMs },
    sensors: [
      {
        kind: 'temperature',
        sensor: 'product',
        judged: true,
        sampleCount: 107,
        min: { value: 4.01, tsMs: SAMPLE_START_MS + 8 * HOUR + 25 * MIN },
        max: { value: s.peakC, tsMs: s.peakAtMs },
        mean: 5.62,
        mktC: s.mktC,
        periodMs: 9.5 * HOUR,
        timeInRangeMs: 8 * HOUR + 10 * MIN,
        timeOutsideRangeMs: 45 * MIN,
        timeWithoutDataMs: 35 * MIN,
        timeInTargetMs: 8 * HOUR + 10 * MIN,
        boundaries: [
          {
            boundaryId: 'high',
            direction: 'upper',
            severity: 'warning',
            limitC: 8,
            timeAboveMs: 45 * MIN,
            timeBelowMs: 8 * HOUR + 10 * MIN,
            timeBeyondMs: 45 * MIN,
          },
          {
            boundaryId: 'low',
            direction: 'lower',
            severity: 'warning',
            limitC: 2,
            timeAboveMs: 8 * HOUR + 55 * MIN,
            timeBelowMs: 0,
            timeBeyondMs: 0,
          },
          {
            boundaryId: 'critical-high',
            direction: 'upper',
            severity: 'critical',
            limitC: 15,
            timeAboveMs: 0,
            timeBelowMs: 8 * HOUR + 55 * MIN,
            timeBeyondMs: 0,
          },
          {
            boundaryId: 'critical-low',
            direction: 'lower',
            severity: 'critical',
            limitC: 0,
            timeAboveMs: 8 * HOUR + 55 * MIN,
            timeBelowMs: 0,
            timeBeyondMs: 0,
          },
        ],
        budget: { budgetMs: HOUR, usedMs: 45 * MIN, remainingMs: 15 * MIN, overBudget: false },
      },
      {
        kind: 'temperature',
        sensor: 'air',
        judged: false,
        sampleCount: 107,
        min: { value: 3.2, tsMs: SAMPLE_START_MS + 8 * HOUR + 20 * MIN },
        max: { value: 11.3, tsMs: s.peakAtMs - 5 * MIN },
        mean: 5.35,
        mktC: 5.71,
        periodMs: 9.5 * HOUR,
        timeInRangeMs: 8 * HOUR,
        timeOutsideRangeMs: 55 * MIN,
        timeWithoutDataMs: 35 * MIN,
        timeInTargetMs: 8 * HOUR,
        boundaries: [],
        budget: { budgetMs: HOUR, usedMs: 55 * MIN, remainingMs: 5 * MIN, overBudget: false },
      },
    ],
    judged: {
      legs: [
        {
          legId: 1,
          fromMs: leg1.fromMs + 15 * MIN,
          toMs: leg1.toMs,
          legEnded: true,
          sampleCount: 57,
          minC: 4.05,
          maxC: s.peakC,
          meanC: 5.91,
          mktC: 6.2,
          timeInRangeMs: 4 * HOUR,
          timeOutsideRangeMs: 45 * MIN,
          timeWithoutDataMs: 0,
          verdict: 'fail',
        },
        {
          legId: 2,
          fromMs: leg2.fromMs + 15 * MIN,
          toMs: leg2.toMs,
          legEnded: true,
          sampleCount: 50,
          minC: 4.01,
          maxC: 6.0,
          meanC: 5.3,
          mktC: 5.41,
          timeInRangeMs: 4 * HOUR + 10 * MIN,
          timeOutsideRangeMs: 0,
          timeWithoutDataMs: 35 * MIN,
          verdict: 'fail',
        },
      ],
      sampleCount: 107,
      min: { value: 4.01, tsMs: SAMPLE_START_MS + 8 * HOUR + 25 * MIN },
      max: { value: s.peakC, tsMs: s.peakAtMs },
      meanC: 5.62,
      mktC: s.mktC,
      timeInRangeMs: 8 * HOUR + 10 * MIN,
      timeOutsideRangeMs: 45 * MIN,
      timeWithoutDataMs: 35 * MIN,
      budget: { budgetMs: HOUR, usedMs: 45 * MIN, remainingMs: 15 * MIN, overBudget: false },
    },
    excursions: [
      {
        key: excursionKey,
        alertKey,
        rule: 'range',
        severity: 'warning',
        boundary: 'high',
        limit: 8,
        startMs: s.excursionStartMs,
        endMs: s.excursionEndMs,
        durationMs: s.excursionEndMs - s.excursionStartMs,
        peak: { value: s.peakC, tsMs: s.peakAtMs },
        failing: true,
        legId: 1,
        holder: s.holders[0],
        deviceId: 'truck-liao-b-1234',
        alert: {
          id: 41,
          key: alertKey,
          rule: 'range',
          severity: 'warning',
          status: 'acknowledged',
          acknowledgedBy: s.acknowledgedBy,
          acknowledgedAtMs: s.excursionStartMs + 22 * MIN,
          acknowledgementNote: s.acknowledgementNote,
          resolvedBy: null,
          resolvedAtMs: null,
          resolutionNote: null,
        },
      },
      {
        key: gapKey,
        alertKey: gapAlertKey,
        rule: 'gap',
        severity: 'warning',
        boundary: null,
        limit: null,
        startMs: s.gapStartMs,
        endMs: s.gapEndMs,
        durationMs: s.gapEndMs - s.gapStartMs,
        peak: null,
        failing: true,
        legId: 2,
        holder: s.holders[1],
        deviceId: 'van-shenyang-07',
        alert: null,
      },
    ],
    earlyWarnings: [
      {
        key: `early_warning:high:${s.earlyWarningStartMs}`,
        alertKey: `${s.shipmentId}:1:early_warning:high:${s.earlyWarningStartMs}`,
        boundary: 'high',
        limit: 8,
        startMs: s.earlyWarningStartMs,
        // Ended when the product itself left the range: the excursion above took over.
        endMs: s.excursionStartMs,
        durationMs: s.excursionStartMs - s.earlyWarningStartMs,
        peak: { value: s.airPeakC, tsMs: s.excursionStartMs - 5 * MIN },
        projectedBreachMs: s.projectedBreachMs,
        legId: 1,
        holder: s.holders[0],
        deviceId: 'truck-liao-b-1234',
        alert: {
          id: 40,
          key: `${s.shipmentId}:1:early_warning:high:${s.earlyWarningStartMs}`,
          rule: 'early_warning',
          severity: 'warning',
          status: 'resolved',
          acknowledgedBy: null,
          acknowledgedAtMs: null,
          acknowledgementNote: null,
          resolvedBy: 'system',
          resolvedAtMs: s.excursionStartMs + MIN,
          resolutionNote: null,
        },
      },
    ],
    otherAlerts: [],
    custody: {
      legs: [
        {
          legId: 1,
          holder: s.holders[0],
          deviceId: 'truck-liao-b-1234',
          fromMs: leg1.fromMs,
          toMs: leg1.toMs,
          handedOverBy: '辽宁生物制品有限公司',
          handoverTempC: 4.6,
          place: '大连金州仓库',
          note: null,
        },
        {
          legId: 2,
          holder: s.holders[1],
          deviceId: 'van-shenyang-07',
          fromMs: leg2.fromMs,
          toMs: leg2.toMs,
          handedOverBy: s.holders[0],
          handoverTempC: 5.2,
          place: 'Shenyang cross-dock, gate 3',
          note: 'seal 0042 intact',
        },
      ],
      unloading: {
        legId: 2,
        atMs: s.endMs,
        endedBy: '王芳',
        endTempC: 4.8,
        endPlace: '沈阳市疾控中心冷库',
        endNote: null,
      },
      receipt: {
        arrivedAtMs: s.endMs,
        arrivalTempC: 4.8,
        decision: 'accepted',
        reason: null,
        receivedBy: '王芳',
        place: '沈阳市疾控中心冷库',
        recordedAtMs: s.endMs + 10 * MIN,
      },
    },
    completeness: {
      recordingIntervalMs: 5 * MIN,
      legs: [
        {
          legId: 1,
          deviceId: 'truck-liao-b-1234',
          fromMs: leg1.fromMs,
          toMs: leg1.toMs,
          expectedReadings: 60,
          receivedReadings: 60,
          settleReadings: 3,
          duplicateReadings: 2,
          gaps: [],
        },
        {
          legId: 2,
          deviceId: 'van-shenyang-07',
          fromMs: leg2.fromMs,
          toMs: leg2.toMs,
          expectedReadings: 60,
          receivedReadings: 54,
          settleReadings: 3,
          duplicateReadings: 0,
          gaps: [
            {
              legId: 2,
              deviceId: 'van-shenyang-07',
              kind: 'between',
              startMs: s.gapStartMs,
              endMs: s.gapEndMs,
              durationMs: s.gapEndMs - s.gapStartMs,
              missingReadings: 6,
            },
          ],
        },
      ],
      expectedReadings: 120,
      receivedReadings: 114,
      gaps: [
        {
          legId: 2,
          deviceId: 'van-shenyang-07',
          kind: 'between',
          startMs: s.gapStartMs,
          endMs: s.gapEndMs,
          durationMs: s.gapEndMs - s.gapStartMs,
          missingReadings: 6,
        },
      ],
      timeInGapsMs: s.gapEndMs - s.gapStartMs,
    },
    verdict: {
      status: 'fail',
      reasons: [
        { code: 'excursion', effect: 'fail', message: 'range excursion above 8 °C', legId: 1, alertKey },
        { code: 'excursion', effect: 'fail', message: 'data gap of 35 min', legId: 2, alertKey: gapAlertKey },
      ],
    },
    chart: {
      fromMs: leg1.fromMs,
      toMs: leg2.toMs,
      maxPoints: 2000,
      points: samplePoints(leg1.fromMs, leg2.toMs, 5 * MIN),
      downsampled: false,
      gaps: [{ startMs: s.gapStartMs, endMs: s.gapEndMs }],
      settle: [
        { startMs: leg1.fromMs, endMs: leg1.fromMs + 15 * MIN },
        { startMs: leg2.fromMs, endMs: leg2.fromMs + 15 * MIN },
      ],
      rangeC: { lowC: 2, highC: 8 },
      targetC: { lowC: 2, highC: 8 },
      limits: PHARMA.temperature.boundaries.map((b) => ({
        boundaryId: b.id,
        limitC: b.limitC,
        severity: b.severity,
        direction: b.direction,
      })),
      excursions: [
        {
          startMs: s.excursionStartMs,
          endMs: s.excursionEndMs,
          alertKey,
          rule: 'range',
          severity: 'warning',
          open: false,
        },
      ],
      handovers: [
        { tsMs: leg1.fromMs, legId: 1, holder: s.holders[0], handedOverBy: '辽宁生物制品有限公司' },
        { tsMs: leg2.fromMs, legId: 2, holder: s.holders[1], handedOverBy: s.holders[0] },
      ],
      doorOpen: [{ startMs: leg2.fromMs - 4 * MIN, endMs: leg2.fromMs + 2 * MIN }],
    },
    evidence: {
      canonicalForm: 'coldchain-readings/1',
      algorithm: 'sha256',
      lineCount: 114,
      digest: '9f2c1e7a4b0d6c3e8f5a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e',
    },
  };
}

/**
 * A 30-day journey as the model's input: two legs, one product and air reading a minute (43,200), a door opened
 * twice a day, a 40-minute warm spell on day 12 and a 2-hour hole in the data on day 20.
 */
export function sampleMonthInput(days = 30): ReportInput {
  const fromMs = SAMPLE_START_MS;
  const toMs = fromMs + days * 24 * HOUR;
  const handoverMs = fromMs + Math.floor(days / 2) * 24 * HOUR;
  const warmFromMs = fromMs + 12 * 24 * HOUR;
  const holeFromMs = fromMs + 20 * 24 * HOUR;
  const readings = (legFromMs: number, legToMs: number): MeasuredReading[] => {
    const out: MeasuredReading[] = [];
    for (let t = legFromMs; t < legToMs; t += MIN) {
      if (t >= holeFromMs && t < holeFromMs + 2 * HOUR) continue;
      const j = (t - fromMs) / MIN;
      const warm = t >= warmFromMs && t < warmFromMs + 40 * MIN ? 4.2 : 0;
      const product = Math.round((5 + 1.5 * Math.sin(j / 240) + 0.3 * Math.sin(j / 7) + warm) * 100) / 100;
      const minuteOfDay = j % 1440;
      out.push({
        tsMs: t,
        temp: { product, air: product - 0.4 },
        door: minuteOfDay === 600 || minuteOfDay === 960,
      });
    }
    return out;
  };
  const leg = (id: number, legFromMs: number, legToMs: number, holder: string, by: string | null) => ({
    id,
    deviceId: `logger-${id}`,
    holder,
    fromMs: legFromMs,
    toMs: legToMs,
    handedOverBy: by,
    handoverTempC: 5,
    place: null,
    note: null,
    endedBy: id === 2 ? '王芳' : null,
    endTempC: id === 2 ? 4.9 : null,
    endPlace: null,
    endNote: null,
    readings: readings(legFromMs, legToMs),
  });
  return {
    shipment: {
      id: 'SHP-20260601-030',
      reference: 'PO-90001',
      shipper: '辽宁生物制品有限公司',
      consignee: '沈阳市疾病预防控制中心',
      goods: '胰岛素 Insulin, 40 cartons',
      profileId: PHARMA.id,
      origin: '大连',
      destination: '沈阳',
      status: 'delivered',
      plannedDepartureMs: fromMs,
      plannedArrivalMs: toMs,
      actualDepartureMs: fromMs,
      actualArrivalMs: toMs,
    },
    profile: PHARMA,
    legs: [
      leg(1, fromMs, handoverMs, SAMPLE.holders[0], null),
      leg(2, handoverMs, toMs, SAMPLE.holders[1], SAMPLE.holders[0]),
    ],
    alerts: [],
    nowMs: toMs + 24 * HOUR,
  };
}

/** The 30-day journey's report, computed by the model: what the benchmark and the size test render. */
export function sampleMonthReport(days = 30): ComplianceReport {
  return buildComplianceReport(sampleMonthInput(days));
}
