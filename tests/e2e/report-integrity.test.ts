import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InfluxDB } from '@influxdata/influxdb-client';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiProcess, eventually, startApiProcess } from '../support/api.js';
import { connectDevice, type Pipeline, type SimDevice, startPipeline } from '../support/pipeline.js';

// Signed report revisions, their verification against what InfluxDB holds, share links for the
// consignee with receipt, and the EPCIS export: the API as its own process, with the real broker,
// ingest, InfluxDB and SQLite store.
const MIN = 60_000;

interface Body {
  [key: string]: unknown;
}

describe('report integrity, share links and EPCIS', () => {
  const influx = inject('influx');
  let pipeline: Pipeline;
  let api: ApiProcess;
  const devices: Record<string, SimDevice> = {};
  const tokens: Record<string, string> = {};
  const json = async (res: Response) => (await res.json()) as Body;
  const as = (who: string) => ({ token: tokens[who] as string });
  // Hour-aligned, three hours ago: every reading is history by the time a report is issued.
  const t0 = Math.floor(Date.now() / (60 * MIN)) * 60 * MIN - 3 * 60 * MIN;
  const at = (i: number) => t0 + i * MIN;
  const valueAt = (i: number) => (i === 50 ? 16 : 4 + (i % 10) / 10);
  /** Minutes 30 to 39 arrive later, as a backlog. */
  const backlog = (i: number) => i >= 30 && i < 40;

  const publish = async (deviceId: string, readings: Array<{ ts: number; temp: Record<string, number> }>) => {
    const device = devices[deviceId] as SimDevice;
    await device.sendAll([JSON.stringify({ v: 1, readings })], 1);
  };
  const storedCount = async (shipmentId: string) =>
    ((await json(await api.call(`/v1/shipments/${shipmentId}/history?limit=1000`))).points as Body[]).length;
  const integrityOf = (r: Body) => ({
    shipmentId: r.shipmentId,
    revision: r.revision,
    issuedAtMs: r.issuedAtMs,
    verdict: r.verdict,
    digest: r.digest,
    signature: r.signature,
  });
  const influxWrite = async (line: string) => {
    const writer = new InfluxDB({ url: influx.url, token: influx.token }).getWriteApi(
      influx.org,
      influx.bucket,
      'ms',
    );
    writer.writeRecord(line);
    await writer.close();
  };
  const influxDelete = async (device: string, tsMs: number) => {
    const iso = new Date(tsMs).toISOString();
    const res = await fetch(
      `${influx.url}/api/v2/delete?org=${encodeURIComponent(influx.org)}&bucket=${encodeURIComponent(influx.bucket)}`,
      {
        method: 'POST',
        headers: { authorization: `Token ${influx.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          start: iso,
          stop: iso,
          predicate: `_measurement="telemetry" AND device="${device}"`,
        }),
      },
    );
    expect(res.status).toBe(204);
  };

  beforeAll(async () => {
    pipeline = await startPipeline({ influx, devices: ['RI-A', 'RI-B'] });
    api = await startApiProcess(pipeline, influx);
    for (const id of ['RI-A', 'RI-B'])
      devices[id] = await connectDevice(pipeline.broker.url, pipeline.creds[id] as never);
    for (const u of [
      { id: 'olga', name: 'Olga', role: 'operator' },
      { id: 'haiyun', name: 'Dalian Haiyun', role: 'shipper', shipper: 'Dalian Haiyun' },
      { id: 'berry', name: 'Dandong Berry', role: 'shipper', shipper: 'Dandong Berry' },
    ]) {
      expect((await api.call('/v1/users', { body: u })).status).toBe(201);
      tokens[u.id] = (await json(await api.call(`/v1/users/${u.id}/tokens`, { body: {} }))).token as string;
    }
    for (const [id, shipper, device] of [
      ['S-RI', 'Dalian Haiyun', 'RI-A'],
      ['S-OTHER', 'Dandong Berry', 'RI-B'],
    ] as const) {
      const created = await api.call('/v1/shipments', {
        body: { id, profileId: 'pharma-2-8', shipper, consignee: 'Shenyang Clinic', goods: 'vaccines' },
        ...as('olga'),
      });
      expect(created.status).toBe(201);
      expect(
        (
          await api.call(`/v1/shipments/${id}/handovers`, {
            body: {
              holder: 'Liaoning Cold Express',
              deviceId: device,
              at: t0,
              tempC: 4.2,
              place: 'Dalian port',
            },
            ...as('olga'),
          })
        ).status,
      ).toBe(201);
      expect((await api.call(`/v1/shipments/${id}/status`, { body: { status: 'in_transit' } })).status).toBe(
        200,
      );
    }
    const readings = Array.from({ length: 90 }, (_, i) => i)
      .filter((i) => !backlog(i))
      .map((i) => ({ ts: at(i), temp: { product: valueAt(i) } }));
    await publish('RI-A', readings);
    await publish('RI-B', readings.slice(0, 5));
    await eventually(
      async () => ((await storedCount('S-RI')) === 80 ? true : undefined),
      30_000,
      'readings stored',
    );
  }, 120_000);

  afterAll(async () => {
    for (const d of Object.values(devices)) await d.close();
    await api?.stop();
    await pipeline?.stop();
  });

  let revision1: Body;

  it('issues a signed revision once for the same record, and verifies it with the published key', async () => {
    const issued = await api.call('/v1/shipments/S-RI/revisions', { method: 'POST', ...as('haiyun') });
    expect(issued.status).toBe(201);
    revision1 = await json(issued);
    expect(revision1).toMatchObject({ shipmentId: 'S-RI', revision: 1, readingCount: 80, changes: null });
    // The critical peak at minute 50 and the gap the backlog will fill (the open leg may add a
    // trailing gap up to the present).
    expect((revision1.excursions as Body[]).map((e) => e.rule)).toEqual(
      expect.arrayContaining(['critical', 'gap']),
    );
    const again = await api.call('/v1/shipments/S-RI/revisions', { method: 'POST', ...as('olga') });
    expect(again.status).toBe(200);
    expect((await json(again)).signature).toBe(revision1.signature);

    // Anyone may check the signature offline with the public key.
    const key = await json(await api.call('/v1/keys/report-signing', { token: null }));
    const payload = Buffer.from(
      `coldchain-report-v1\n${JSON.stringify({
        shipmentId: 'S-RI',
        revision: 1,
        issuedAtMs: revision1.issuedAtMs,
        verdict: revision1.verdict,
        digest: revision1.digest,
      })}`,
    );
    const signature = Buffer.from(revision1.signature as string, 'base64url');
    expect(verify(null, payload, createPublicKey(key.publicKeyPem as string), signature)).toBe(true);
    expect(verify(null, payload, createPublicKey({ key: key.jwk as never, format: 'jwk' }), signature)).toBe(
      true,
    );

    const checked = await json(await api.call('/v1/verify', { body: { integrity: integrityOf(revision1) } }));
    expect(checked).toMatchObject({ valid: true, signatureValid: true, problems: [], changes: null });
    // Another shipper cannot verify (nor learn of) this shipment's report.
    expect((await api.call('/v1/verify', { body: integrityOf(revision1), ...as('berry') })).status).toBe(404);
  });

  it('refuses a report whose fields were altered: the signature is not ours over them', async () => {
    const altered = await json(
      await api.call('/v1/verify', { body: { ...integrityOf(revision1), verdict: 'pass' } }),
    );
    expect(altered.valid).toBe(false);
    expect((altered.problems as Body[]).map((p) => p.code)).toEqual(['signature_invalid', 'not_as_issued']);
  });

  it('names the reading changed, then the reading removed, straight in InfluxDB since the revision', async () => {
    await influxWrite(`telemetry,device=RI-A temp_product=9.5 ${at(10)}`);
    let checked = await json(await api.call('/v1/verify', { body: integrityOf(revision1) }));
    expect(checked.valid).toBe(false);
    expect((checked.problems as Body[]).map((p) => p.code)).toEqual(['digest_mismatch', 'readings_changed']);
    const legId = (revision1.excursions as Body[])[0]?.legId;
    expect(checked.changes).toEqual({
      added: [],
      removed: [],
      changed: [
        {
          legId,
          deviceId: 'RI-A',
          tsMs: at(10),
          before: { 'temp.product': '4' },
          after: { 'temp.product': '9.5' },
        },
      ],
    });

    await influxDelete('RI-A', at(20));
    checked = await json(await api.call('/v1/verify', { body: integrityOf(revision1) }));
    expect(checked.valid).toBe(false);
    expect((checked.changes as Body).removed).toEqual([
      { legId, deviceId: 'RI-A', tsMs: at(20), values: { 'temp.product': '4' } },
    ]);
    expect(((checked.changes as Body).changed as Body[]).map((c) => c.tsMs)).toEqual([at(10)]);
  });

  it('says the same from the command line: pnpm verify-report names the changed reading and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldchain-verify-'));
    try {
      const file = join(dir, 'report.json');
      writeFileSync(file, JSON.stringify({ integrity: integrityOf(revision1) }));
      const run = promisify(execFile)(
        'npx',
        [
          'tsx',
          '--conditions=source',
          'scripts/verify-report.ts',
          file,
          '--api',
          api.url,
          '--token',
          tokens.olga as string,
        ],
        { cwd: new URL('../..', import.meta.url).pathname },
      );
      const failed = await run.then(
        () => undefined,
        (err: { code: number; stdout: string }) => err,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stdout).toContain('signature (key');
      expect(failed?.stdout).toContain('INVALID');
      expect(failed?.stdout).toContain(
        `~ leg ${(revision1.excursions as Body[])[0]?.legId} RI-A ${new Date(at(10)).toISOString()} temp.product=4 → temp.product=9.5`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes revision 2 when a late backlog arrives, listing the readings it added and the gap it closed', async () => {
    await publish(
      'RI-A',
      Array.from({ length: 10 }, (_, k) => 30 + k).map((i) => ({ ts: at(i), temp: { product: valueAt(i) } })),
    );
    await eventually(
      async () => ((await storedCount('S-RI')) === 89 ? true : undefined),
      30_000,
      'backlog stored',
    );
    const issued = await api.call('/v1/shipments/S-RI/revisions', { method: 'POST', ...as('haiyun') });
    expect(issued.status).toBe(201);
    const revision2 = await json(issued);
    expect(revision2.revision).toBe(2);
    const changes = revision2.changes as {
      sinceRevision: number;
      readings: { added: Body[]; removed: Body[]; changed: Body[] };
      excursions: { added: Body[]; changed: Body[]; removed: Body[] };
    };
    expect(changes.sinceRevision).toBe(1);
    expect(changes.readings.added.map((r) => r.tsMs)).toEqual(
      Array.from({ length: 10 }, (_, k) => at(30 + k)),
    );
    expect(changes.readings.removed.map((r) => r.tsMs)).toEqual([at(20)]);
    expect(changes.readings.changed.map((r) => r.tsMs)).toEqual([at(10)]);
    const closedGap = (e: Body) =>
      e.rule === 'gap' && (e.startMs as number) >= at(29) && (e.startMs as number) <= at(40);
    expect(changes.excursions.removed.filter(closedGap)).toHaveLength(1);
    expect((revision2.excursions as Body[]).filter(closedGap)).toEqual([]);
    const listed = await json(await api.call('/v1/shipments/S-RI/revisions', as('haiyun')));
    expect((listed.revisions as Body[]).map((r) => r.revision)).toEqual([1, 2]);
    expect((await json(await api.call('/v1/verify', { body: integrityOf(revision2) }))).valid).toBe(true);
  });

  let shareToken = '';

  it('opens one shipment to a share link holder without a token, and refuses a tampered link', async () => {
    expect(
      (await api.call('/v1/shipments/S-RI/share-links', { body: { label: 'clinic' }, ...as('berry') }))
        .status,
    ).toBe(404);
    const created = await api.call('/v1/shipments/S-RI/share-links', {
      body: { label: 'clinic' },
      ...as('haiyun'),
    });
    expect(created.status).toBe(201);
    const issued = await json(created);
    shareToken = issued.token as string;
    expect(issued.path).toBe(`/v1/shared/${shareToken}`);

    const summary = await json(await api.call(`/v1/shared/${shareToken}`, { token: null }));
    expect((summary.shipment as Body).id).toBe('S-RI');
    expect((summary.latestRevision as Body).revision).toBe(2);
    const history = await json(await api.call(`/v1/shared/${shareToken}/history`, { token: null }));
    expect((history.points as Body[]).length).toBe(89);
    expect(new Set((history.points as Body[]).map((p) => p.deviceId))).toEqual(new Set(['RI-A']));
    const excursions = await json(await api.call(`/v1/shared/${shareToken}/excursions`, { token: null }));
    expect((excursions.excursions as Body[]).map((e) => e.rule)).toContain('critical');

    // A changed character in the payload (another shipment, another expiry) or the MAC breaks it.
    const [payload = '', mac = ''] = shareToken.split('.');
    const claim = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Body;
    const forged = `${Buffer.from(JSON.stringify({ ...claim, s: 'S-OTHER' })).toString('base64url')}.${mac}`;
    for (const bad of [forged, `${payload}.${mac.slice(0, -2)}AA`, 'garbage'])
      expect((await api.call(`/v1/shared/${bad}`, { token: null })).status).toBe(401);
    // The link reaches nothing else: not as a bearer token, not another shipment's report.
    expect((await api.call('/v1/shipments/S-OTHER', { token: shareToken })).status).toBe(401);
    const otherRevision = await json(
      await api.call('/v1/shipments/S-OTHER/revisions', { method: 'POST', ...as('berry') }),
    );
    expect(
      (await api.call(`/v1/shared/${shareToken}/verify`, { body: integrityOf(otherRevision), token: null }))
        .status,
    ).toBe(404);
    expect(
      (
        await json(
          await api.call(`/v1/shared/${shareToken}/verify`, {
            body: integrityOf(summary.latestRevision as Body),
            token: null,
          }),
        )
      ).valid,
    ).toBe(true);
  });

  it('records the consignee receipt through the link as the final handover of the custody chain', async () => {
    const arrivedAt = at(90);
    const rejectWithoutReason = await api.call(`/v1/shared/${shareToken}/receipt`, {
      body: { arrivedAt, tempC: 5.1, decision: 'rejected', receivedBy: 'pharmacist Liu' },
      token: null,
    });
    expect(rejectWithoutReason.status).toBe(400);
    const recorded = await api.call(`/v1/shared/${shareToken}/receipt`, {
      body: {
        arrivedAt,
        tempC: 5.1,
        decision: 'accepted',
        receivedBy: 'pharmacist Liu',
        place: 'Shenyang Clinic',
      },
      token: null,
    });
    expect(recorded.status).toBe(201);
    const chain = await json(await api.call('/v1/shipments/S-RI/custody', as('haiyun')));
    expect((chain.legs as Body[]).at(-1)).toMatchObject({
      toMs: arrivedAt,
      endedBy: 'Liaoning Cold Express',
      endTempC: 5.1,
      endPlace: 'Shenyang Clinic',
      endNote: 'received by pharmacist Liu: accepted',
    });
    expect((await json(await api.call('/v1/shipments/S-RI'))).status).toBe('delivered');
    const summary = await json(await api.call(`/v1/shared/${shareToken}`, { token: null }));
    expect(summary.receipt).toMatchObject({
      decision: 'accepted',
      receivedBy: 'pharmacist Liu',
      arrivalTempC: 5.1,
    });
    const twice = await api.call(`/v1/shared/${shareToken}/receipt`, {
      body: { arrivedAt, tempC: 5.1, decision: 'accepted', receivedBy: 'pharmacist Liu' },
      token: null,
    });
    expect(twice.status).toBe(409);
  });

  it('lists links active, expired and revoked; a revoked or expired link gets 401', async () => {
    const soon = await json(
      await api.call('/v1/shipments/S-RI/share-links', {
        body: { expiresAt: Date.now() + 3_000 },
        ...as('olga'),
      }),
    );
    expect((await api.call(`/v1/shared/${soon.token as string}`, { token: null })).status).toBe(200);
    const linkId = (
      (await json(await api.call('/v1/shipments/S-RI/share-links', as('haiyun')))).links as Body[]
    )[0]?.id as string;
    expect(
      (await api.call(`/v1/share-links/${linkId}/revoke`, { method: 'POST', ...as('berry') })).status,
    ).toBe(404);
    expect(
      (await api.call(`/v1/share-links/${linkId}/revoke`, { method: 'POST', ...as('haiyun') })).status,
    ).toBe(200);
    expect((await api.call(`/v1/shared/${shareToken}`, { token: null })).status).toBe(401);
    await eventually(
      async () =>
        (await api.call(`/v1/shared/${soon.token as string}`, { token: null })).status === 401
          ? true
          : undefined,
      15_000,
      'the link to expire',
    );
    const listed = await json(await api.call('/v1/shipments/S-RI/share-links', as('haiyun')));
    expect((listed.links as Body[]).map((l) => l.state)).toEqual(['revoked', 'expired']);
    const revoked = await json(await api.call('/v1/shipments/S-RI/share-links?state=revoked', as('haiyun')));
    expect((revoked.links as Body[]).map((l) => l.id)).toEqual([linkId]);
  });

  it('exports the shipment as an EPCIS 2.0 document that validates against the schema', async () => {
    const res = await api.call('/v1/shipments/S-RI/epcis', as('haiyun'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/ld\+json/);
    const doc = await json(res);
    const schema = JSON.parse(
      readFileSync(
        new URL('../../services/api/src/epcis/epcis-document.schema.json', import.meta.url),
        'utf8',
      ),
    );
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const events = (doc.epcisBody as { eventList: Body[] }).eventList;
    const hourly = events.filter(
      (e) => e.bizStep === 'sensor_reporting' && !JSON.stringify(e).includes('ALARM'),
    );
    // The leg ran 90 minutes: a full hour and half of the next, both with readings.
    expect(hourly).toHaveLength(2);
    const element = ((hourly[0] as Body).sensorElementList as Body[])[0] as {
      sensorMetadata: Body;
      sensorReport: Body[];
    };
    expect(element.sensorMetadata).toEqual({
      deviceID: 'urn:coldchain:device:RI-A',
      startTime: new Date(t0).toISOString(),
      endTime: new Date(t0 + 60 * MIN).toISOString(),
    });
    expect(element.sensorReport[0]).toMatchObject({
      type: 'Temperature',
      uom: 'CEL',
      minValue: 4,
      maxValue: 16,
    });
    const alarms = events.filter((e) => JSON.stringify(e).includes('ALARM_CONDITION'));
    expect(alarms.map((e) => e['cc:rule'])).toEqual(['critical']);
    expect(events.map((e) => e.bizStep)).toEqual(
      expect.arrayContaining(['receiving', 'arriving', 'accepting']),
    );
    // A document that breaks the standard is refused by the same schema.
    expect(validate({ ...doc, type: 'EPCISQueryDocument' })).toBe(false);
  });
});
