import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pdfText } from '../../services/api/src/report/pdf-text.js';
import { type ApiProcess, eventually, startApiProcess } from '../support/api.js';
import { connectDevice, type Pipeline, type SimDevice, startPipeline } from '../support/pipeline.js';

// The compliance report of a shipment recorded through the real pipeline: two legs on two
// devices, one reading every 5 minutes (the GSP transport interval of pharma-2-8), a 35-minute
// hole in the second leg, then 25 minutes at 9.5 °C.
const MIN = 60_000;

describe('the compliance report', () => {
  const influx = inject('influx');
  let pipeline: Pipeline;
  let api: ApiProcess;
  const t0 = Math.floor(Date.now() / (60 * MIN)) * 60 * MIN - 6 * 60 * MIN;
  const leg2From = t0 + 120 * MIN;
  const endMs = t0 + 240 * MIN;
  const missing = (m: number) => m > 145 && m < 180;
  const hot = (m: number) => m >= 180 && m < 205;
  const readings = (fromMin: number, toMin: number) =>
    Array.from({ length: (toMin - fromMin) / 5 }, (_, i) => fromMin + i * 5)
      .filter((m) => !missing(m))
      .map((m) => ({ ts: t0 + m * MIN, temp: { product: hot(m) ? 9.5 : 5 + (m % 15) / 10 } }));

  beforeAll(async () => {
    pipeline = await startPipeline({ influx, devices: ['REP-1', 'REP-2'] });
    api = await startApiProcess(pipeline, influx);
    const body = {
      id: 'S-REP',
      profileId: 'pharma-2-8',
      shipper: 'Shenyang Pharma',
      consignee: 'Dalian Central Hospital',
      goods: 'influenza vaccine, 400 doses',
    };
    expect((await api.call('/v1/shipments', { body })).status).toBe(201);
    expect(
      (await api.call('/v1/shipments/S-REP/status', { body: { status: 'in_transit', at: t0 } })).status,
    ).toBe(200);
    for (const leg of [
      { holder: 'Shenyang precooling room', deviceId: 'REP-1', at: t0, tempC: 4.8 },
      {
        holder: 'Liaoning Cold Express',
        deviceId: 'REP-2',
        at: leg2From,
        tempC: 5.1,
        handedOverBy: 'Shenyang precooling room',
      },
    ])
      expect((await api.call('/v1/shipments/S-REP/handovers', { body: leg })).status).toBe(201);
    for (const [id, rs] of [
      ['REP-1', readings(0, 120)],
      ['REP-2', readings(120, 240)],
    ] as const) {
      const device: SimDevice = await connectDevice(pipeline.broker.url, pipeline.creds[id] as never);
      await device.sendAll([JSON.stringify({ v: 1, readings: rs })], 1);
      await device.close();
    }
    expect(
      (
        await api.call('/v1/shipments/S-REP/unload', {
          body: { at: endMs, tempC: 9.1, handedOverBy: 'Liaoning Cold Express' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await api.call('/v1/shipments/S-REP/status', { body: { status: 'delivered', at: endMs } })).status,
    ).toBe(200);
    await eventually(
      async () => {
        const page = (await (await api.call('/v1/shipments/S-REP/history?limit=1000')).json()) as {
          points: unknown[];
        };
        return page.points.length === 24 + 18 ? true : undefined;
      },
      30_000,
      'readings stored',
    );
  });

  afterAll(async () => {
    await api?.stop();
    await pipeline?.stop();
  });

  it('says what the record shows: completeness with the gap, the excursion with its holder, a failing verdict', async () => {
    const res = await api.call('/v1/shipments/S-REP/report?format=json');
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      shipment: { id: string; consignee: string };
      completeness: {
        recordingIntervalMs: number;
        expectedReadings: number;
        receivedReadings: number;
        gaps: Array<{ kind: string; startMs: number; endMs: number; missingReadings: number }>;
      };
      excursions: Array<{ rule: string; startMs: number; holder: string }>;
      verdict: { status: string; reasons: Array<{ code: string }> };
      custody: unknown;
      evidence: { digest: string; lineCount: number };
      judged: { min: { value: number } | null; max: { value: number; tsMs: number } | null };
    };
    expect(report.shipment).toMatchObject({ id: 'S-REP', consignee: 'Dalian Central Hospital' });
    expect(report.completeness.recordingIntervalMs).toBe(5 * MIN);
    expect(report.completeness.expectedReadings).toBe(48);
    expect(report.completeness.receivedReadings).toBe(42);
    expect(report.completeness.gaps).toContainEqual(
      expect.objectContaining({
        kind: 'between',
        startMs: t0 + 145 * MIN,
        endMs: t0 + 180 * MIN,
        missingReadings: 6,
      }),
    );
    const range = report.excursions.find((e) => e.rule === 'range');
    expect(range).toMatchObject({ startMs: t0 + 180 * MIN, holder: 'Liaoning Cold Express' });
    expect(report.excursions.some((e) => e.rule === 'gap')).toBe(true);
    expect(report.verdict.status).toBe('fail');
    expect(report.verdict.reasons.map((r) => r.code)).toContain('excursion');
    expect(report.judged.max).toMatchObject({ value: 9.5, tsMs: t0 + 180 * MIN });
    expect(report.evidence.lineCount).toBe(42);
    expect(report.evidence.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('says the same in CSV, in a Chinese PDF and an English one, and on a printable page', async () => {
    const json = (await (await api.call('/v1/shipments/S-REP/report')).json()) as {
      judged: { mktC: number };
      completeness: { expectedReadings: number; receivedReadings: number };
    };
    const csvRes = await api.call('/v1/shipments/S-REP/report', { headers: { accept: 'text/csv' } });
    expect(csvRes.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parse((await csvRes.text()).replace(/^\uFEFF/, ''), {
      relax_column_count: true,
    }) as string[][];
    const completeness = rows.filter((r) => r[0] === 'completeness');
    const numbers = completeness
      .flat()
      .map(Number)
      .filter((n) => Number.isFinite(n));
    expect(numbers).toEqual(
      expect.arrayContaining([json.completeness.expectedReadings, json.completeness.receivedReadings]),
    );

    const zh = await api.call('/v1/shipments/S-REP/report?format=pdf&lang=zh-CN');
    expect(zh.headers.get('content-type')).toBe('application/pdf');
    const zhText = (await pdfText(Buffer.from(await zh.arrayBuffer()))).text;
    for (const label of ['结论', '不合格', '数据完整性', '应有读数', '实收读数', 'Liaoning Cold Express'])
      expect(zhText).toContain(label);
    expect(zhText).toContain(`MKT ${Number(json.judged.mktC.toFixed(2))} °C`);
    const en = await api.call('/v1/shipments/S-REP/report?format=pdf&lang=en');
    const enText = (await pdfText(Buffer.from(await en.arrayBuffer()))).text;
    expect(enText).not.toContain('不合格');
    expect(enText).toMatch(/fail/i);

    const html = await (
      await api.call('/v1/shipments/S-REP/report', { headers: { accept: 'text/html' } })
    ).text();
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('opens to the consignee through a share link, records the rejection, and verifies', async () => {
    const issued = (await (
      await api.call('/v1/shipments/S-REP/share-links', { body: { label: 'Dalian Central Hospital' } })
    ).json()) as { token: string };
    const shared = (path: string, init: { body?: unknown } = {}) =>
      api.call(`/v1/shared/${issued.token}${path}`, { token: null, ...init });
    expect((await shared('/report')).status).toBe(200);
    const tampered = `${issued.token.slice(0, -2)}${issued.token.endsWith('A') ? 'B' : 'A'}A`;
    expect((await api.call(`/v1/shared/${tampered}/report`, { token: null })).status).toBe(401);
    const receipt = await shared('/receipt', {
      body: {
        arrivedAt: endMs,
        tempC: 9.1,
        decision: 'rejected',
        reason: '到货温度 9.1 °C，高于 8 °C',
        receivedBy: '李医生',
      },
    });
    expect(receipt.status).toBe(201);
    const report = (await (await shared('/report')).json()) as {
      custody: { receipt: { decision: string; receivedBy: string; arrivalTempC: number } | null };
      integrity: { revision: number; digest: string };
    };
    expect(report.custody.receipt).toMatchObject({
      decision: 'rejected',
      receivedBy: '李医生',
      arrivalTempC: 9.1,
    });
    const pdf = await shared('/report?format=pdf');
    expect((await pdfText(Buffer.from(await pdf.arrayBuffer()))).text).toContain('拒收');

    // The report as the consignee keeps it checks out against the stored readings.
    const verified = (await (await api.call('/v1/verify', { body: report })).json()) as { valid: boolean };
    expect(verified.valid).toBe(true);
    const forged = (await (
      await api.call('/v1/verify', {
        body: { ...report, integrity: { ...report.integrity, digest: '0'.repeat(64) } },
      })
    ).json()) as { valid: boolean };
    expect(forged.valid).toBe(false);
  });

  it('hides another shipper’s report as 404', async () => {
    await api.call('/v1/users', {
      body: { id: 'other', name: 'Other', role: 'shipper', shipper: 'Other Shipper' },
    });
    const { token } = (await (await api.call('/v1/users/other/tokens', { body: {} })).json()) as {
      token: string;
    };
    expect((await api.call('/v1/shipments/S-REP/report', { token })).status).toBe(404);
  });
});
