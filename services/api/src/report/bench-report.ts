/**
 * How long rendering takes for the 30-day report (about 43,000 readings summarised into the chart): p50 and
 * p95 of each format after a warm-up. Run: `npx tsx --conditions=source services/api/src/report/bench-report.ts`.
 */
import { renderReportCsv } from './report-csv.js';
import { renderReportHtml } from './report-html.js';
import { renderReportPdf } from './report-pdf.js';
import { sampleMonthReport } from './sample-report.js';

const RUNS = 20;

async function measure(name: string, run: () => unknown) {
  await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(0);
  console.log(`${name.padEnd(6)} p50 ${p(0.5)} ms  p95 ${p(0.95)} ms`);
}

let start = performance.now();
const report = sampleMonthReport();
console.log(
  `model  ${(performance.now() - start).toFixed(0)} ms (${report.completeness.receivedReadings} readings)`,
);
start = performance.now();
await renderReportPdf(report);
console.log(`first PDF ${(performance.now() - start).toFixed(0)} ms (fonts and modules cold)`);
await measure('PDF', () => renderReportPdf(report, { verifyUrl: 'https://coldchain.example/v1/verify/x' }));
await measure('HTML', () => renderReportHtml(report, { verifyUrl: 'https://coldchain.example/v1/verify/x' }));
await measure('CSV', () => renderReportCsv(report));
