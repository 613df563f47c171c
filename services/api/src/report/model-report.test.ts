import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { pdfText } from './pdf-text.js';
import { renderReportCsv } from './report-csv.js';
import { trimmed } from './report-format.js';
import { renderReportHtml } from './report-html.js';
import { renderReportPdf } from './report-pdf.js';
import { sampleMonthReport } from './sample-report.js';

describe('a 30-day report computed by the model', () => {
  const report = sampleMonthReport();

  it('is a journey of about 43,000 readings summarised into the chart series', () => {
    expect(report.completeness.receivedReadings).toBeGreaterThan(43_000);
    expect(report.chart.downsampled).toBe(true);
    expect(report.excursions.some((e) => e.rule === 'range')).toBe(true);
    expect(report.completeness.gaps.length).toBeGreaterThan(0);
  });

  it('renders as PDF with its verdict, MKT and the excursion peak', async () => {
    const { text } = await pdfText(await renderReportPdf(report, { lang: 'en' }));
    const mkt = report.judged.mktC;
    const peak = report.excursions.find((e) => e.rule === 'range')?.peak?.value;
    if (mkt === null || peak === undefined) throw new Error('the journey has an MKT and a peak');
    expect(text).toContain(`Verdict: ${report.verdict.status.toUpperCase()}`);
    expect(text).toContain(`${trimmed(mkt)} °C`);
    expect(text).toContain(`${trimmed(peak)} °C`);
  });

  it('renders as CSV whose judged MKT is the model value', () => {
    const rows: (string | number)[][] = parse(renderReportCsv(report, { lang: 'en' }), {
      bom: true,
      cast: true,
      relax_column_count: true,
      skip_empty_lines: true,
    });
    const judged = rows.filter((r) => r[0] === 'judged');
    const mktColumn = judged[0]?.indexOf('MKT (°C)') ?? -1;
    expect(judged.at(-1)?.[mktColumn]).toBe(report.judged.mktC);
  });

  it('renders as HTML with every gap listed', () => {
    const html = renderReportHtml(report, { lang: 'en' });
    expect(
      html.match(
        /<tr><td class="right">\d+<\/td><td class="left">logger-\d<\/td><td class="left">(leg start|between readings|leg end|whole leg)/g,
      )?.length,
    ).toBe(report.completeness.gaps.length);
  });
});
