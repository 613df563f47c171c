import { buildComplianceReport, type ComplianceReport } from '@coldchain/coldchain';
import { readDeviceHistory } from '@coldchain/influx';
import { shipmentIdParamSchema, timeZoneSchema } from '@coldchain/schema';
import type { Shipment } from '@coldchain/store';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.js';
import { ApiError } from '../http/api-error.js';
import type { AppEnv } from '../http/app-env.js';
import { commonErrors, notFoundError } from '../http/responses.js';
import { visibleShipment } from '../http/shipment-access.js';
import { renderReportCsv } from '../report/report-csv.js';
import { renderReportHtml } from '../report/report-html.js';
import type { ReportRenderOptions } from '../report/report-options.js';
import { renderReportPdf } from '../report/report-pdf.js';

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
export async function loadReport(
  deps: ApiDeps,
  shipment: Shipment,
  nowMs: number,
): Promise<ComplianceReport> {
  const profile = deps.profiles.get(shipment.profileId);
  if (!profile) throw new ApiError('internal', `profile ${shipment.profileId} is not configured`);
  const [legs, alerts] = await Promise.all([
    deps.store.legsOfShipment(shipment.id),
    deps.store.listAlerts({ shipmentId: shipment.id, limit: 1000 }),
  ]);
  const withReadings = await Promise.all(
    legs.map(async (leg) => ({
      ...leg,
      readings: await readDeviceHistory(deps.influx, leg.deviceId, leg.fromMs, leg.toMs ?? nowMs + 1),
    })),
  );
  return buildComplianceReport({ shipment, profile, legs: withReadings, alerts, nowMs });
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

export function reportRoutes(app: OpenAPIHono<AppEnv>, deps: ApiDeps) {
  const now = deps.now ?? Date.now;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments/{id}/report',
      tags,
      security,
      summary: 'The compliance report of a shipment',
      description:
        'JSON, CSV, PDF or a printable HTML page (`format=` or Accept), labels in zh-CN or en, times in `tz` with UTC alongside.',
      request: { params: shipmentIdParamSchema, query: reportQuerySchema },
      responses: {
        200: {
          description: 'The report',
          content: {
            'application/json': { schema: complianceReportSchema },
            'text/csv': { schema: z.string() },
            'application/pdf': { schema: z.string().meta({ format: 'binary' }) },
            'text/html': { schema: z.string() },
          },
        },
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const shipment = await visibleShipment(deps.store, c.get('caller'), id);
      const report = await loadReport(deps, shipment, now());
      const format = reportFormat(q.format, c.req.header('accept'));
      if (format === 'json') return c.json(report as never, 200);
      const options: ReportRenderOptions = { lang: q.lang, timeZone: q.tz };
      const name = `${id}-report-${q.lang}`;
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
    },
  );
}
