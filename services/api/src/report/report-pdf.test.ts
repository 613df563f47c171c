import { describe, expect, it } from 'vitest';
import { pdfText } from './pdf-text.js';
import { renderReportPdf } from './report-pdf.js';
import { SAMPLE, sampleMonthReport, sampleReport } from './sample-report.js';

const VERIFY_URL = 'https://coldchain.example/v1/verify/SHP-20260601-001?revision=1';

// Laying out a PDF with an embedded CJK font takes seconds on a busy machine.
describe('renderReportPdf', { timeout: 30_000 }, () => {
  it('writes the Chinese labels, the verdict and the key numbers as extractable text for zh-CN', async () => {
    const pdf = await renderReportPdf(sampleReport(), { lang: 'zh-CN', verifyUrl: VERIFY_URL });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const { text } = await pdfText(pdf);
    for (const label of [
      '冷链运输温度合规报告',
      '结论: 不合格',
      '传感器统计',
      '温度偏移及告警处理',
      '交接链',
      '数据完整性',
      '数据缺口',
      '全程温度曲线',
      '扫码核验本报告',
    ]) {
      expect(text).toContain(label);
    }
    expect(text).toContain('5.84 °C'); // MKT
    expect(text).toContain('9.4 °C'); // the excursion's peak
    expect(text).toContain(SAMPLE.holders[0]);
    expect(text).toContain(SAMPLE.acknowledgementNote.slice(0, 8));
    expect(text).toContain(VERIFY_URL);
    expect(text).not.toContain('Custody chain');
  });

  it('writes the English labels for en', async () => {
    const { text } = await pdfText(
      await renderReportPdf(sampleReport(), { lang: 'en', verifyUrl: VERIFY_URL }),
    );
    for (const label of [
      'Cold-chain temperature compliance report',
      'Verdict: FAIL',
      'Sensor statistics',
      'Custody chain',
      'Data completeness',
      'Data gaps',
      'Scan to verify this report',
    ]) {
      expect(text).toContain(label);
    }
    expect(text).toContain('5.84 °C');
    expect(text).toContain('9.4 °C');
    expect(text).not.toContain('交接链');
  });

  it('states local time with UTC alongside, in the zone asked for', async () => {
    const shanghai = (await pdfText(await renderReportPdf(sampleReport(), { lang: 'en' }))).text;
    // The excursion started at 03:20 UTC: 11:20 in Shanghai, 05:20 in Berlin (summer time).
    expect(shanghai).toContain('2026-06-01 11:20');
    expect(shanghai).toContain('UTC 03:20Z');
    const berlin = (
      await pdfText(await renderReportPdf(sampleReport(), { lang: 'en', timeZone: 'Europe/Berlin' }))
    ).text;
    expect(berlin).toContain('2026-06-01 05:20');
    expect(berlin).toContain('Times in Europe/Berlin');
  });

  it('renders the signature block when given, and says "not signed" otherwise', async () => {
    const unsigned = (await pdfText(await renderReportPdf(sampleReport(), { lang: 'en' }))).text;
    expect(unsigned).toContain('not signed');
    const signed = (
      await pdfText(
        await renderReportPdf(sampleReport(), {
          lang: 'en',
          integrity: { signature: 'c2lnbmF0dXJl', revision: 2, keyUrl: 'https://coldchain.example/v1/keys' },
        }),
      )
    ).text;
    expect(signed).toContain('c2lnbmF0dXJl');
    expect(signed).toContain('https://coldchain.example/v1/keys');
    expect(signed).not.toContain('not signed');
  });

  it('keeps a 30-day report small: the font is embedded as a subset', async () => {
    const pdf = await renderReportPdf(sampleMonthReport(), { lang: 'zh-CN', verifyUrl: VERIFY_URL });
    // The font files are about 10 MB each; the glyphs a report uses are a few hundred kilobytes at most.
    expect(pdf.length).toBeLessThan(1_000_000);
    expect((await pdfText(pdf)).text).toContain('冷链运输温度合规报告');
  });
});
