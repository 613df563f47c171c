import type { ComplianceReport, VerdictStatus } from '@coldchain/coldchain';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { renderReportChartSvg } from './report-chart.js';
import { reportFontPath } from './report-font.js';
import { reportLabels } from './report-labels.js';
import { type ReportRenderOptions, resolveRenderOptions } from './report-options.js';
import { verificationQrSvg } from './report-qr.js';
import {
  buildReportView,
  type ReportView,
  type ViewBlock,
  type ViewFields,
  type ViewTable,
} from './report-view.js';

type Doc = PDFKit.PDFDocument;

const REGULAR = reportFontPath('regular');
const BOLD = reportFontPath('bold');
/** A4 portrait with 40 pt margins: 515 pt of usable width. */
const MARGIN = 40;
const CHART_HEIGHT = 250;
const QR_SIZE = 96;

export const VERDICT_COLOURS: Record<VerdictStatus, { fill: string; text: string }> = {
  pass: { fill: '#e3f4e6', text: '#16692b' },
  fail: { fill: '#fbe3e6', text: '#a3142a' },
  pending: { fill: '#fdf1d8', text: '#8a5a00' },
};

/**
 * The report as a PDF (A4): the same sections as the printable HTML page, the journey chart drawn as vectors
 * from ECharts' SVG, and the verification URL with its QR code. Noto Sans SC is embedded as a subset (only
 * the glyphs used), so Chinese renders on any reader and the text stays extractable and searchable.
 */
export async function renderReportPdf(
  report: ComplianceReport,
  options: ReportRenderOptions = {},
): Promise<Buffer> {
  const resolved = resolveRenderOptions(options);
  const view = buildReportView(report, resolved);
  const labels = reportLabels(resolved.lang);
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    lang: resolved.lang,
    displayTitle: true,
    info: {
      Title: `${view.title} ${report.shipment.id}`,
      Subject: report.shipment.goods,
      Creator: 'coldchain',
      CreationDate: new Date(report.generatedAtMs),
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const width = doc.page.width - 2 * MARGIN;

  doc.font(BOLD).fontSize(16).fillColor('#000000').text(view.title);
  doc.font(REGULAR).fontSize(10).text(view.subtitle);
  doc.fontSize(8).fillColor('#555555').text(`${view.generated} · ${view.timesIn}`);
  doc.moveDown(0.6);

  verdictBox(doc, view.verdict, width);

  for (const section of view.sections) {
    ensureSpace(doc, 60);
    doc.moveDown(0.5);
    doc.font(BOLD).fontSize(11).fillColor('#000000').text(section.title, MARGIN);
    doc.moveDown(0.2);
    for (const block of section.blocks) drawBlock(doc, block, report, resolved, width);
  }

  footers(doc, (n, of) => `${report.shipment.id} · ${labels.page(n, of)}`);
  doc.end();
  return ended;
}

function verdictBox(doc: Doc, verdict: ReportView['verdict'], width: number) {
  const colours = VERDICT_COLOURS[verdict.status];
  const text = verdict.reasons.map((r) => `• ${r}`).join('\n');
  doc.font(REGULAR).fontSize(8.5);
  const height = 30 + doc.heightOfString(text, { width: width - 20 });
  const top = doc.y;
  doc.save().rect(MARGIN, top, width, height).fill(colours.fill).restore();
  doc
    .font(BOLD)
    .fontSize(13)
    .fillColor(colours.text)
    .text(verdict.heading, MARGIN + 10, top + 7, { width: width - 20 });
  doc
    .font(REGULAR)
    .fontSize(8.5)
    .fillColor('#000000')
    .text(text, MARGIN + 10, doc.y + 2, { width: width - 20 });
  doc.x = MARGIN;
  doc.y = top + height + 4;
}

function drawBlock(
  doc: Doc,
  block: ViewBlock,
  report: ComplianceReport,
  options: ReturnType<typeof resolveRenderOptions>,
  width: number,
) {
  switch (block.kind) {
    case 'fields':
      return fieldsTable(doc, block, width);
    case 'table':
      return dataTable(doc, block, width);
    case 'chart': {
      ensureSpace(doc, CHART_HEIGHT + 10);
      const svg = renderReportChartSvg(report.chart, {
        lang: options.lang,
        timeZone: options.timeZone,
        width,
        height: CHART_HEIGHT,
      });
      const top = doc.y;
      SVGtoPDF(doc as unknown as typeof PDFDocument, svg, MARGIN, top, {
        width,
        height: CHART_HEIGHT,
        assumePt: true,
        // Every text of the chart in the embedded font, whatever family the SVG names.
        fontCallback: (_family, bold) => (bold ? BOLD : REGULAR),
      });
      doc.x = MARGIN;
      doc.y = top + CHART_HEIGHT + 6;
      return;
    }
    case 'verification': {
      ensureSpace(doc, QR_SIZE + 10);
      const top = doc.y + 4;
      SVGtoPDF(doc as unknown as typeof PDFDocument, verificationQrSvg(block.url), MARGIN, top, {
        width: QR_SIZE,
        height: QR_SIZE,
      });
      doc.font(BOLD).fontSize(9).fillColor('#000000');
      doc.text(block.caption, MARGIN + QR_SIZE + 12, top + 8, { width: width - QR_SIZE - 12 });
      doc
        .font(REGULAR)
        .fontSize(8.5)
        .text(block.url, { width: width - QR_SIZE - 12, link: block.url });
      doc.x = MARGIN;
      doc.y = top + QR_SIZE + 6;
      return;
    }
  }
}

const LINE = '#c8c8c8';

function fieldsTable(doc: Doc, block: ViewFields, width: number) {
  doc.font(REGULAR).fontSize(8.5).fillColor('#000000');
  doc.table({
    position: { x: MARGIN },
    maxWidth: width,
    columnStyles: [width * 0.3, width * 0.7],
    defaultStyle: { border: { bottom: 0.5 }, borderColor: LINE, padding: [2, 4] },
    data: block.rows.map((r) => [{ text: r.label, textColor: '#444444' }, r.value]),
  });
  doc.x = MARGIN;
  doc.moveDown(0.4);
}

function dataTable(doc: Doc, block: ViewTable, width: number) {
  // The caption, the header row and a first row together, never a header alone at the foot of a page.
  ensureSpace(doc, 70);
  if (block.caption !== null) {
    doc.font(BOLD).fontSize(8.5).fillColor('#000000').text(block.caption, MARGIN);
    doc.moveDown(0.15);
  }
  doc.font(REGULAR).fontSize(7).fillColor('#000000');
  if (block.rows.length === 0) {
    doc.text(block.empty, MARGIN);
    doc.moveDown(0.4);
    return;
  }
  const total = block.columns.reduce((sum, c) => sum + c.width, 0);
  doc.table({
    position: { x: MARGIN },
    maxWidth: width,
    columnStyles: block.columns.map((c) => ({
      width: (width * c.width) / total,
      align: { x: c.align, y: 'top' },
    })),
    defaultStyle: { border: 0.5, borderColor: LINE, padding: [2, 3] },
    data: [
      block.columns.map((c) => ({
        text: c.label,
        type: 'TH' as const,
        backgroundColor: '#eef1f5',
        font: { src: BOLD },
      })),
      ...block.rows,
    ],
  });
  doc.x = MARGIN;
  doc.moveDown(0.4);
}

/** Starts a new page unless `height` points fit above the bottom margin, so no title is left alone at a foot. */
function ensureSpace(doc: Doc, height: number) {
  if (doc.y + height > doc.page.height - MARGIN) doc.addPage();
}

/** Page numbers once the page count is known (the pages are buffered until the end). */
function footers(doc: Doc, text: (n: number, of: number) => string) {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Writing below the bottom margin would make PDFKit open a new page: lift it for the footer.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font(REGULAR)
      .fontSize(7)
      .fillColor('#777777')
      .text(text(i - range.start + 1, range.count), MARGIN, doc.page.height - MARGIN + 12, {
        width: doc.page.width - 2 * MARGIN,
        align: 'right',
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
  }
}
