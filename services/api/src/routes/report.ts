import {
  buildComplianceReport,
  type ComplianceReport,
  canonicalReadings,
  type ReportInput,
} from '@coldchain/coldchain';
import { shareTokenParamSchema, shipmentIdParamSchema, timeZoneSchema } from '@coldchain/schema';
import type { ReportRevision, Shipment } from '@coldchain/store';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import type { ApiContext } from '../api-deps.js';
import { ApiError } from '../http/api-error.js';
import type { AppEnv } from '../http/app-env.js';
import { commonErrors, notFoundError } from '../http/responses.js';
import { visibleShipment } from '../http/shipment-access.js';
import { revisionExcursionOf } from '../http/shipment-excursions.js';
import { issueReportRevision } from '../integrity/report-issuer.js';
import { type ReportSigningKey, SIGNING_KEY_PATH } from '../integrity/signing-key.js';
import { renderReportCsv } from '../report/report-csv.js';
import { renderReportHtml } from '../report/report-html.js';
import type { ReportRenderOptions } from '../report/report-options.js';
import { renderReportPdf } from '../report/report-pdf.js';
import type { ShareScope } from '../sharing/share-scope.js';

const tags = ['Report'];
const security = [{ bearer: [] }];

export const REPORT_FORMATS = ['json', 'csv', 'pdf', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const reportQuerySchema = z.object({
  format: z
    .enum(REPORT_FORMATS)
    .optional()
    .meta({ description: 'Or by Accept: application/pdf, text/csv, text/html' }),
  lang: z.enum(['zh-CN', 'en']).default('zh-CN'),
  tz: timeZoneSchema.default('Asia/Shanghai'),
});

const complianceReportSchema = z.record(z.string(), z.unknown()).meta({
  id: 'ComplianceReport',
  description:
    'Shipment, profile and limits with their sources; per-sensor statistics (min/max with times, mean, MKT, time above/below each boundary, time outside against the budget); every excursion with its holder and alert; the custody chain; data completeness with every gap; the verdict with its reasons; the chart series; the evidence (digest of the readings).',
});

/** The report's inputs: the shipment, its profile, its legs with their devices' readings, its alerts. */
async function loadReportInput(
  deps: ApiContext,
  shipment: Shipment,
  nowMs: number,
): Promise<{ input: ReportInput; readingsVersion: string }> {
  const profile = deps.profiles.get(shipment.profileId);
  if (!profile) throw new ApiError('internal', `profile ${shipment.profileId} is not configured`);
  const [legs, alerts, receipt] = await Promise.all([
    deps.store.legsOfShipment(shipment.id),
    deps.store.listAlerts({ shipmentId: shipment.id, limit: 1000 }),
    deps.store.getReceipt(shipment.id),
  ]);
  // An open leg's window ends at the report's instant, as the revision's (see `legsAsOf`), so that
  // a verification later asks for exactly these readings.
  const read = await Promise.all(
    legs.map((leg) => deps.readings(leg.deviceId, leg.fromMs, leg.toMs ?? nowMs + 1)),
  );
  return {
    input: {
      shipment,
      profile,
      legs: legs.map((leg, i) => ({ ...leg, readings: read[i]?.readings ?? [] })),
      alerts,
      receipt,
      nowMs,
    },
    readingsVersion: read.map((r) => r.version).join('|'),
  };
}

export interface IssuedReport {
  report: ComplianceReport;
  revision: ReportRevision;
  /** True when the latest revision already said all this. */
  reused: boolean;
}

/**
 * Computes a shipment's report and issues it as a signed revision: the latest one when its readings,
 * excursions and verdict are unchanged, else the next, listing what changed since (a backlog, a late
 * handover). One code path for the report in every format and for `POST …/revisions`.
 */
export async function issueReport(
  deps: ApiContext,
  key: ReportSigningKey,
  shipment: Shipment,
  nowMs: number,
): Promise<IssuedReport> {
  const { input, readingsVersion } = await loadReportInput(deps, shipment, nowMs);
  const { report, lines } = memoised(deps, input, readingsVersion);
  const { revision, reused } = await issueReportRevision(
    { store: deps.store, key, now: () => nowMs },
    {
      shipmentId: shipment.id,
      lines: [...lines],
      digest: report.evidence.digest,
      verdict: report.verdict.status,
      excursions: report.excursions.map(revisionExcursionOf),
    },
  );
  return { report, revision, reused };
}

/** Reports kept for shipments asked for again over an unchanged record. */
const MAX_MEMOISED_REPORTS = 200;

/**
 * The report of `input` and its canonical reading lines, computed, or those computed before from
 * exactly the same record: the same readings (by the version they were read at), shipment, legs,
 * alerts and receipt. Only a report that does not depend on the clock is kept: every leg handed
 * over, and the last one long enough ago (`maxGapMs`) that no upload is still expected; an open
 * journey is computed every time.
 */
function memoised(
  deps: ApiContext,
  input: ReportInput,
  readingsVersion: string,
): { report: ComplianceReport; lines: readonly string[] } {
  const compute = () => {
    const lines = canonicalReadings(input);
    return { report: buildComplianceReport(input, lines), lines };
  };
  const lastEnd = Math.max(...input.legs.map((l) => l.toMs ?? Number.POSITIVE_INFINITY));
  const settled =
    input.legs.length > 0 && Number.isFinite(lastEnd) && input.nowMs - lastEnd >= input.profile.maxGapMs;
  if (!settled) return compute();
  const key = JSON.stringify([
    readingsVersion,
    input.shipment,
    input.legs.map(({ readings: _, ...leg }) => leg),
    input.alerts,
    input.receipt ?? null,
  ]);
  const kept = deps.reports.get(input.shipment.id);
  if (kept?.key === key) return { report: { ...kept.report, generatedAtMs: input.nowMs }, lines: kept.lines };
  const fresh = compute();
  deps.reports.delete(input.shipment.id);
  if (deps.reports.size >= MAX_MEMOISED_REPORTS) {
    const oldest = deps.reports.keys().next().value;
    if (oldest !== undefined) deps.reports.delete(oldest);
  }
  deps.reports.set(input.shipment.id, { key, ...fresh });
  return fresh;
}

/** The format asked for: `format=`, else the Accept header, else JSON. */
export function reportFormat(format: ReportFormat | undefined, accept: string | undefined): ReportFormat {
  if (format) return format;
  const a = accept ?? '';
  if (a.includes('application/pdf')) return 'pdf';
  if (a.includes('text/csv')) return 'csv';
  if (a.includes('text/html')) return 'html';
  return 'json';
}

export function reportRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: ApiContext,
  key: ReportSigningKey,
  shareScope: (token: string) => Promise<ShareScope>,
) {
  const now = deps.now ?? Date.now;

  /** The report in the format asked for, with its integrity block (the revision it was issued as). */
  const answer = async (c: Context, shipment: Shipment, q: z.infer<typeof reportQuerySchema>) => {
    const { report, revision } = await issueReport(deps, key, shipment, now());
    const origin = new URL(c.req.url).origin;
    const integrity = {
      shipmentId: revision.shipmentId,
      revision: revision.revision,
      issuedAtMs: revision.issuedAtMs,
      verdict: revision.verdict,
      digest: revision.digest,
      signature: revision.signature,
      keyId: revision.keyId,
      keyUrl: `${origin}${SIGNING_KEY_PATH}`,
    };
    const format = reportFormat(q.format, c.req.header('accept'));
    if (format === 'json') return c.json({ ...report, integrity, changes: revision.changes }, 200);
    const options: ReportRenderOptions = {
      lang: q.lang,
      timeZone: q.tz,
      verifyUrl: `${origin}/v1/verify`,
      integrity: {
        digest: integrity.digest,
        signature: integrity.signature,
        revision: integrity.revision,
        keyUrl: integrity.keyUrl,
      },
    };
    const name = `${shipment.id}-report-r${revision.revision}-${q.lang}`;
    if (format === 'csv')
      return c.body(renderReportCsv(report, options), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${name}.csv"`,
      });
    if (format === 'html')
      return c.body(renderReportHtml(report, options), 200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
      });
    const pdf = await renderReportPdf(report, options);
    return c.body(new Uint8Array(pdf), 200, {
      'content-type': 'application/pdf',
      'content-disposition': `inline; filename="${name}.pdf"`,
    });
  };

  const responses = {
    200: {
      description: 'The report, issued as a signed revision',
      content: {
        'application/json': { schema: complianceReportSchema },
        'text/csv': { schema: z.string() },
        'application/pdf': { schema: z.string().meta({ format: 'binary' }) },
        'text/html': { schema: z.string() },
      },
    },
    ...commonErrors,
    ...notFoundError,
  };
  const description =
    'JSON, CSV, PDF or a printable HTML page (`format=` or Accept), labels in zh-CN or en, times in `tz` with UTC alongside. Each answer is issued as a signed revision (the same one while nothing changed; the next, with what changed, after late data); `POST /v1/verify` checks it against the stored readings.';

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments/{id}/report',
      tags,
      security,
      summary: 'The compliance report of a shipment',
      description,
      request: { params: shipmentIdParamSchema, query: reportQuerySchema },
      responses,
    }),
    async (c) => {
      const shipment = await visibleShipment(deps.store, c.get('caller'), c.req.valid('param').id);
      return answer(c, shipment, c.req.valid('query')) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shared/{token}/report',
      tags: ['Share links'],
      security: [],
      summary: 'The report of the shipment a share link opens',
      description,
      request: { params: shareTokenParamSchema, query: reportQuerySchema },
      responses: { ...responses, 401: commonErrors[401] },
    }),
    async (c) => {
      const scope = await shareScope(c.req.valid('param').token);
      const shipment = await deps.store.getShipment(scope.shipmentId);
      if (!shipment) throw new ApiError('not_found', `shipment ${scope.shipmentId} not found`);
      return answer(c, shipment, c.req.valid('query')) as never;
    },
  );
}
