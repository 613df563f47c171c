import { describe, expect, it } from 'vitest';
import { renderReportHtml } from './report-html.js';
import { SAMPLE, sampleReport } from './sample-report.js';

const VERIFY_URL = 'https://coldchain.example/v1/verify/SHP-20260601-001?revision=1';

describe('renderReportHtml', () => {
  it('references no external asset: chart and QR code are inline SVG, styles inline', () => {
    const html = renderReportHtml(sampleReport(), { verifyUrl: VERIFY_URL });
    // XML namespaces name, they do not fetch; everything else with a scheme would be a request.
    const withoutNamespaces = html.replaceAll(/xmlns(:\w+)?="[^"]*"/g, '');
    expect(withoutNamespaces).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(withoutNamespaces).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
    expect(withoutNamespaces).not.toMatch(/@import|<link|<script/i);
    expect(html.match(/<svg/g)?.length).toBe(2);
  });

  it('is printable on A4 and says the same as the PDF in Chinese', () => {
    const html = renderReportHtml(sampleReport(), { verifyUrl: VERIFY_URL });
    expect(html).toContain('@page { size: A4');
    expect(html).toContain('<html lang="zh-CN">');
    for (const text of [
      '结论: 不合格',
      '交接链',
      '数据缺口',
      '5.84 °C',
      '9.4 °C',
      '扫码核验本报告',
      SAMPLE.holders[0],
      VERIFY_URL,
    ]) {
      expect(html).toContain(text);
    }
  });

  it('lists early warnings in a section of their own, in Chinese and in English', () => {
    const zh = renderReportHtml(sampleReport());
    const en = renderReportHtml(sampleReport(), { lang: 'en' });
    const after = (html: string, heading: string) => html.slice(html.indexOf(heading));
    expect(after(zh, '早期预警（不计入结论）')).toContain('预计货品超限时间');
    expect(after(zh, '早期预警（不计入结论）')).toContain('11.6 °C');
    expect(after(en, 'Early warnings (not counted in the verdict)')).toContain('Projected product breach');
    expect(after(en, 'Early warnings (not counted in the verdict)')).toContain('11.6 °C');
    // The excursions section lists the range excursion and the gap, not the early warning.
    const excursions = en.slice(en.indexOf('Excursions and their alerts'), en.indexOf('Early warnings ('));
    expect(excursions).toContain('outside the range');
    expect(excursions).not.toContain('11.6 °C');
  });

  it('escapes what people typed', () => {
    const report = sampleReport();
    report.shipment.goods = '<script>alert(1)</script>';
    const html = renderReportHtml(report, { lang: 'en' });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});
