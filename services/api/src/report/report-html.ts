import type { ComplianceReport } from '@coldchain/coldchain';
import { renderReportChartSvg } from './report-chart.js';
import { REPORT_FONT_FAMILY } from './report-font.js';
import { type ReportRenderOptions, resolveRenderOptions } from './report-options.js';
import { VERDICT_COLOURS } from './report-pdf.js';
import { verificationQrSvg } from './report-qr.js';
import { buildReportView, type ViewBlock } from './report-view.js';

/** The chart's size in SVG units: A4's printable width at 96 dpi, scaled to the page by CSS. */
const CHART_WIDTH = 690;
const CHART_HEIGHT = 330;

const escapeHtml = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

/** Escaped, with the view's line breaks (local time above UTC) as `<br>`. */
const cell = (text: string) => escapeHtml(text).replaceAll('\n', '<br>');

/**
 * The report as one printable HTML page (A4 print CSS), with the same sections as the PDF. Self-contained: the
 * chart and the QR code are inline SVG and the styles inline, so the page makes no request and can be saved,
 * mailed and printed as it is. The verification URL is printed as text, not as a link to follow.
 */
export function renderReportHtml(report: ComplianceReport, options: ReportRenderOptions = {}): string {
  const resolved = resolveRenderOptions(options);
  const view = buildReportView(report, resolved);
  const colours = VERDICT_COLOURS[view.verdict.status];

  const block = (b: ViewBlock): string => {
    switch (b.kind) {
      case 'fields':
        return `<table class="fields"><tbody>${b.rows
          .map((r) => `<tr><th scope="row">${cell(r.label)}</th><td>${cell(r.value)}</td></tr>`)
          .join('')}</tbody></table>`;
      case 'table': {
        const caption = b.caption === null ? '' : `<caption>${cell(b.caption)}</caption>`;
        if (b.rows.length === 0) {
          return `${b.caption === null ? '' : `<h3>${cell(b.caption)}</h3>`}<p class="empty">${cell(b.empty)}</p>`;
        }
        const total = b.columns.reduce((sum, c) => sum + c.width, 0);
        const cols = b.columns
          .map((c) => `<col style="width:${((100 * c.width) / total).toFixed(1)}%">`)
          .join('');
        const head = b.columns
          .map((c) => `<th scope="col" class="${c.align}">${cell(c.label)}</th>`)
          .join('');
        const rows = b.rows
          .map(
            (row) =>
              `<tr>${row.map((v, i) => `<td class="${b.columns[i]?.align ?? 'left'}">${cell(v)}</td>`).join('')}</tr>`,
          )
          .join('');
        return `<table class="data">${caption}<colgroup>${cols}</colgroup><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
      }
      case 'chart':
        return `<figure class="chart">${renderReportChartSvg(report.chart, {
          lang: resolved.lang,
          timeZone: resolved.timeZone,
          width: CHART_WIDTH,
          height: CHART_HEIGHT,
        })}</figure>`;
      case 'verification':
        return `<div class="verify"><div class="qr">${verificationQrSvg(b.url)}</div><div><p><strong>${cell(
          b.caption,
        )}</strong></p><p class="url">${cell(b.url)}</p></div></div>`;
    }
  };

  const sections = view.sections
    .map((s) => `<section id="${s.id}"><h2>${cell(s.title)}</h2>${s.blocks.map(block).join('')}</section>`)
    .join('\n');

  return `<!DOCTYPE html>
<html lang="${view.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${cell(`${view.title} ${report.shipment.id}`)}</title>
<style>
@page { size: A4; margin: 14mm 14mm 16mm; }
* { box-sizing: border-box; }
body { font-family: "${REPORT_FONT_FAMILY}", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; font-size: 9.5pt; color: #000; margin: 0 auto; max-width: 182mm; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; break-after: avoid; }
h3, caption { font-size: 9.5pt; font-weight: bold; text-align: left; margin: 3mm 0 1mm; }
.sub { margin: 0; }
.meta { color: #555; font-size: 8pt; margin: 1mm 0 4mm; }
.verdict { background: ${colours.fill}; padding: 3mm 4mm; margin-bottom: 4mm; }
.verdict .status { color: ${colours.text}; font-size: 14pt; font-weight: bold; margin: 0 0 1mm; }
.verdict ul { margin: 0; padding-left: 5mm; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2mm; }
th, td { border: 0.5pt solid #c8c8c8; padding: 1mm 1.5mm; vertical-align: top; }
table.fields th { width: 30%; text-align: left; font-weight: normal; color: #444; }
table.data { table-layout: fixed; font-size: 7.5pt; }
table.data thead th { background: #eef1f5; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.right { text-align: right; }
.left { text-align: left; }
.empty { color: #444; }
figure.chart { margin: 0; break-inside: avoid; }
figure.chart svg { width: 100%; height: auto; }
.verify { display: flex; gap: 4mm; align-items: flex-start; break-inside: avoid; }
.verify .qr svg { width: 30mm; height: 30mm; }
.url { word-break: break-all; font-family: monospace; }
@media print { body { padding: 0; max-width: none; } .verdict { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
</style>
</head>
<body>
<header>
<h1>${cell(view.title)}</h1>
<p class="sub">${cell(view.subtitle)}</p>
<p class="meta">${cell(view.generated)} · ${cell(view.timesIn)}</p>
</header>
<div class="verdict"><p class="status">${cell(view.verdict.heading)}</p><ul>${view.verdict.reasons
    .map((r) => `<li>${cell(r)}</li>`)
    .join('')}</ul></div>
${sections}
</body>
</html>
`;
}
