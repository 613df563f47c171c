import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiProcess, eventually, readSse, startApiProcess } from '../support/api.js';
import { connect } from '../support/mqtt.js';
import { connectDevice, type Pipeline, type SimDevice, startPipeline } from '../support/pipeline.js';

// The HTTP API as its users meet it: its own process, talking to a real broker (over which it
// learns of alerts), the real ingest and breach engine, real InfluxDB and the SQLite store.
const MIN = 60_000;
const minute = (ms: number) => Math.floor(ms / MIN) * MIN;

interface Body {
  [key: string]: unknown;
}

describe('the HTTP API', () => {
  const influx = inject('influx');
  let pipeline: Pipeline;
  let api: ApiProcess;
  const devices: Record<string, SimDevice> = {};
  const tokens: Record<string, string> = {};
  const json = async (res: Response) => (await res.json()) as Body;
  const as = (who: string) => ({ token: tokens[who] as string });

  const publish = async (deviceId: string, readings: Array<{ ts: number; temp: Record<string, number> }>) => {
    const device = devices[deviceId] as SimDevice;
    const payloads: string[] = [];
    for (let i = 0; i < readings.length; i += 200)
      payloads.push(JSON.stringify({ v: 1, readings: readings.slice(i, i + 200) }));
    await device.sendAll(payloads, 1);
  };

  beforeAll(async () => {
    pipeline = await startPipeline({ influx, devices: ['API-A', 'API-B', 'API-C', 'API-D'] });
    api = await startApiProcess(pipeline, influx, {
      API_AUTH_FAILURES_PER_MIN: '10',
      API_STREAMS_PER_USER: '4',
    });
    for (const id of ['API-A', 'API-B', 'API-C', 'API-D'])
      devices[id] = await connectDevice(pipeline.broker.url, pipeline.creds[id] as never);
    const users = [
      { id: 'olga', name: 'Olga (operator)', role: 'operator' },
      { id: 'haiyun', name: 'Dalian Haiyun', role: 'shipper', shipper: 'Dalian Haiyun' },
      { id: 'berry', name: 'Dandong Berry', role: 'shipper', shipper: 'Dandong Berry' },
    ];
    for (const u of users) {
      expect((await api.call('/v1/users', { body: u })).status).toBe(201);
      const issued = await json(await api.call(`/v1/users/${u.id}/tokens`, { body: { label: 'test' } }));
      tokens[u.id] = issued.token as string;
    }
  });

  afterAll(async () => {
    for (const d of Object.values(devices)) await d.close();
    await api?.stop();
    await pipeline?.stop();
  });

  it('serves its OpenAPI 3.1 document and a reference page with no outside assets', async () => {
    const doc = await json(await api.call('/v1/openapi.json', { token: null }));
    expect(doc.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.paths as Body);
    for (const p of ['/v1/shipments', '/v1/shipments/{id}/history', '/v1/alerts/stream', '/v1/devices'])
      expect(paths).toContain(p);
    expect(Object.keys((doc.components as { schemas: Body }).schemas)).toEqual(
      expect.arrayContaining(['Shipment', 'CustodyLeg', 'Alert', 'Error', 'HistoryWindow']),
    );
    const page = await (await api.call('/v1/docs', { token: null })).text();
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const asset of page.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const res = await api.call(asset[1] as string, { token: null });
      expect(res.status, asset[1]).toBe(200);
    }
  });

  it('answers bad input with 400, the stable code and the path of each bad field', async () => {
    let res = await api.call('/v1/shipments', {
      body: { id: 'bad id!', profileId: 'pharma-2-8', consignee: '', goods: 'x' },
    });
    expect(res.status).toBe(400);
    let body = await json(res);
    const error = body.error as { code: string; details: { issues: Array<{ path: string }> } };
    expect(error.code).toBe('validation_failed');
    expect(error.details.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['body.id', 'body.consignee']),
    );
    res = await api.call('/v1/shipments', {
      body: { id: 'S-X', profileId: 'no-such-profile', shipper: 'a', consignee: 'b', goods: 'c' },
    });
    expect(res.status).toBe(400);
    expect(
      ((await json(res)).error as { details: { issues: Array<{ path: string }> } }).details.issues[0]?.path,
    ).toBe('body.profileId');
    res = await fetch(`${api.url}/v1/shipments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.olga}`, 'content-type': 'application/json' },
      body: '{"id": ',
    });
    expect(res.status).toBe(400);
    expect(((await json(res)).error as { code: string }).code).toBe('validation_failed');
    res = await api.call('/v1/shipments?limit=0&status=lost');
    body = await json(res);
    expect(res.status).toBe(400);
    expect(
      (body.error as { details: { issues: Array<{ path: string }> } }).details.issues
        .map((i) => i.path)
        .sort(),
    ).toEqual(['query.limit', 'query.status']);
    expect((await api.call('/v1/shipments/NOPE')).status).toBe(404);
    expect((await api.call('/v1/alerts/999999')).status).toBe(404);
    expect((await api.call('/v1/no-such-route')).status).toBe(404);
  });

  it('lets each role do only its own work, and hides other shippers’ shipments as 404', async () => {
    const create = (who: string, body: Body) => api.call('/v1/shipments', { body, ...as(who) });
    expect(
      (
        await create('olga', {
          id: 'S-OWN',
          profileId: 'sweet-cherries',
          shipper: 'Dalian Haiyun',
          consignee: 'Shenyang Market',
          goods: 'cherries',
        })
      ).status,
    ).toBe(201);
    // A shipper creates in its own name, whatever it says.
    expect(
      (
        await create('haiyun', {
          id: 'S-OWN2',
          profileId: 'sweet-cherries',
          consignee: 'Anshan',
          goods: 'cherries',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await create('haiyun', {
          id: 'S-FORGED',
          profileId: 'sweet-cherries',
          shipper: 'Dandong Berry',
          consignee: 'x',
          goods: 'y',
        })
      ).status,
    ).toBe(403);
    expect((await api.call('/v1/shipments/S-OWN', as('haiyun'))).status).toBe(200);
    expect((await api.call('/v1/shipments/S-OWN', as('berry'))).status).toBe(404);
    expect((await api.call('/v1/shipments/S-OWN/history', as('berry'))).status).toBe(404);
    expect((await api.call('/v1/shipments/S-OWN/custody', as('berry'))).status).toBe(404);
    const listed = await json(await api.call('/v1/shipments?limit=1000', as('berry')));
    expect(listed.items).toEqual([]);
    const own = await json(await api.call('/v1/shipments?limit=1000', as('haiyun')));
    expect((own.items as Body[]).map((s) => s.id).sort()).toEqual(['S-OWN', 'S-OWN2']);
    // Roles.
    expect(
      (await api.call('/v1/shipments/S-OWN/status', { body: { status: 'in_transit' }, ...as('haiyun') }))
        .status,
    ).toBe(403);
    expect((await api.call('/v1/devices', { body: { id: 'NOT-MINE' }, ...as('olga') })).status).toBe(403);
    expect(
      (await api.call('/v1/users', { body: { id: 'x', name: 'x', role: 'admin' }, ...as('olga') })).status,
    ).toBe(403);
    expect((await api.call('/v1/devices', as('haiyun'))).status).toBe(403);
    expect((await api.call('/v1/dead-letters', as('haiyun'))).status).toBe(403);
    expect((await api.call('/v1/me', as('haiyun'))).status).toBe(200);
  });

  it('moves a shipment only along its lifecycle, and pages through lists once each', async () => {
    for (let i = 1; i <= 5; i++)
      expect(
        (
          await api.call('/v1/shipments', {
            body: { id: `P-${i}`, profileId: 'frozen', shipper: 'Pager', consignee: 'c', goods: 'ice cream' },
            ...as('olga'),
          })
        ).status,
      ).toBe(201);
    expect(
      (
        await api.call('/v1/shipments', {
          body: { id: 'P-1', profileId: 'frozen', shipper: 'Pager', consignee: 'c', goods: 'x' },
        })
      ).status,
    ).toBe(409);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Body = await json(
        await api.call(`/v1/shipments?shipper=Pager&limit=2${cursor ? `&cursor=${cursor}` : ''}`),
      );
      seen.push(...(page.items as Body[]).map((s) => s.id as string));
      cursor = page.nextCursor as string | null;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['P-1', 'P-2', 'P-3', 'P-4', 'P-5']);
    expect((await api.call('/v1/shipments?cursor=garbage')).status).toBe(400);

    const move = (status: string) =>
      api.call('/v1/shipments/P-1/status', { body: { status }, ...as('olga') });
    expect((await move('delivered')).status).toBe(409);
    const departed = await json(await move('in_transit'));
    expect(departed.status).toBe('in_transit');
    expect(typeof departed.actualDepartureMs).toBe('number');
    expect((await move('delivered')).status).toBe(200);
    expect((await move('closed')).status).toBe(200);
    const refused = await move('cancelled');
    expect(refused.status).toBe(409);
    expect(((await json(refused)).error as { code: string }).code).toBe('conflict');
    const filtered = await json(await api.call('/v1/shipments?status=closed&shipper=Pager'));
    expect((filtered.items as Body[]).map((s) => s.id)).toEqual(['P-1']);
  });

  it('stitches history across three legs on two devices: exactly the readings inside each leg', async () => {
    // Hour-aligned, so that 15-minute windows (aligned to the epoch) fall on the legs' boundaries.
    const t0 = Math.floor(Date.now() / (60 * MIN)) * 60 * MIN - 5 * 60 * MIN;
    expect(
      (
        await api.call('/v1/shipments', {
          body: {
            id: 'S-HIST',
            profileId: 'pharma-2-8',
            shipper: 'Dalian Haiyun',
            consignee: 'Shenyang Clinic',
            goods: 'vaccines',
          },
          ...as('olga'),
        })
      ).status,
    ).toBe(201);
    // Both devices measure from 30 minutes before the first leg to 30 minutes after the last.
    const series = (offsetC: number) =>
      Array.from({ length: 240 }, (_, i) => ({
        ts: t0 - 30 * MIN + i * MIN,
        temp: { product: offsetC + (i % 10) / 10 },
      }));
    await publish('API-A', series(5));
    await publish('API-B', series(3));
    const legs = [
      { holder: 'Dalian precooling', deviceId: 'API-A', at: t0 },
      {
        holder: 'Liaoning Cold Express',
        deviceId: 'API-B',
        at: t0 + 60 * MIN,
        tempC: 4.1,
        handedOverBy: 'Dalian precooling',
      },
      { holder: 'Shenyang Clinic store', deviceId: 'API-A', at: t0 + 120 * MIN, place: 'Shenyang' },
    ];
    for (const leg of legs)
      expect((await api.call('/v1/shipments/S-HIST/handovers', { body: leg, ...as('olga') })).status).toBe(
        201,
      );
    expect(
      (
        await api.call('/v1/shipments/S-HIST/unload', {
          body: { at: t0 + 180 * MIN, tempC: 5.2 },
          ...as('olga'),
        })
      ).status,
    ).toBe(200);
    // A handover inside an earlier leg would overlap it.
    const overlap = await api.call('/v1/shipments/S-HIST/handovers', {
      body: { holder: 'x', deviceId: 'API-B', at: t0 + 30 * MIN },
      ...as('olga'),
    });
    expect(overlap.status).toBe(409);
    expect(((await json(overlap)).error as { code: string }).code).toBe('custody_overlap');

    const chain = await json(await api.call('/v1/shipments/S-HIST/custody', as('haiyun')));
    expect((chain.legs as Body[]).map((l) => [l.holder, l.fromMs, l.toMs])).toEqual([
      ['Dalian precooling', t0, t0 + 60 * MIN],
      ['Liaoning Cold Express', t0 + 60 * MIN, t0 + 120 * MIN],
      ['Shenyang Clinic store', t0 + 120 * MIN, t0 + 180 * MIN],
    ]);

    const expected = [
      ...series(5)
        .filter((r) => r.ts >= t0 && r.ts < t0 + 60 * MIN)
        .map((r) => [r.ts, 'Dalian precooling', r.temp.product]),
      ...series(3)
        .filter((r) => r.ts >= t0 + 60 * MIN && r.ts < t0 + 120 * MIN)
        .map((r) => [r.ts, 'Liaoning Cold Express', r.temp.product]),
      ...series(5)
        .filter((r) => r.ts >= t0 + 120 * MIN && r.ts < t0 + 180 * MIN)
        .map((r) => [r.ts, 'Shenyang Clinic store', r.temp.product]),
    ];
    // Paged raw history, 50 points a page, is exactly those readings, once each.
    const got: Array<[number, string, number]> = [];
    let cursor: string | null = null;
    await eventually(
      async () => {
        const first = await json(await api.call('/v1/shipments/S-HIST/history?limit=1000', as('haiyun')));
        return (first.points as Body[]).length === expected.length ? true : undefined;
      },
      30_000,
      'all readings stored',
    );
    do {
      const page: Body = await json(
        await api.call(
          `/v1/shipments/S-HIST/history?limit=50${cursor ? `&cursor=${cursor}` : ''}`,
          as('haiyun'),
        ),
      );
      for (const p of page.points as Array<{ tsMs: number; holder: string; temp: { product: number } }>)
        got.push([p.tsMs, p.holder, p.temp.product]);
      cursor = page.nextCursor as string | null;
    } while (cursor);
    expect(got).toEqual(expected);

    // 15-minute windows agree with the raw points they summarise.
    const windowed = await json(await api.call('/v1/shipments/S-HIST/history?every=15m', as('haiyun')));
    const windows = windowed.windows as Array<{
      windowStart: number;
      windowEnd: number;
      count: number;
      sensors: Record<string, { count: number; min: number; mean: number; max: number }>;
    }>;
    expect(windows).toHaveLength(12);
    for (const w of windows) {
      const inside = got.filter(([ts]) => ts >= w.windowStart && ts < w.windowEnd).map(([, , v]) => v);
      expect(w.windowEnd - w.windowStart).toBe(15 * MIN);
      expect(w.sensors.product?.count).toBe(inside.length);
      expect(w.sensors.product?.min).toBeCloseTo(Math.min(...inside), 9);
      expect(w.sensors.product?.max).toBeCloseTo(Math.max(...inside), 9);
      expect(w.sensors.product?.mean).toBeCloseTo(inside.reduce((a, b) => a + b, 0) / inside.length, 9);
    }
    // A window past the readings is there, and says it is empty.
    const beyond = await json(
      await api.call(
        `/v1/shipments/S-HIST/history?every=1h&from=${t0}&to=${t0 + 5 * 60 * MIN}`,
        as('haiyun'),
      ),
    );
    const hours = beyond.windows as Array<{ count: number }>;
    expect(hours).toHaveLength(5);
    expect(hours.slice(3).map((w) => w.count)).toEqual([0, 0]);
    // Day windows follow the reader's midnight.
    const DAY = 24 * 60 * MIN;
    const shanghaiMidnight = Math.floor((t0 + 8 * 60 * MIN) / DAY) * DAY - 8 * 60 * MIN;
    const days = await json(
      await api.call(
        `/v1/shipments/S-HIST/history?every=1d&tz=Asia/Shanghai&from=${shanghaiMidnight}&to=${shanghaiMidnight + 2 * DAY}`,
        as('haiyun'),
      ),
    );
    const dayWindows = days.windows as Array<{ windowStart: number; windowEnd: number; count: number }>;
    expect(dayWindows.map((w) => [w.windowStart, w.windowEnd])).toEqual([
      [shanghaiMidnight, shanghaiMidnight + DAY],
      [shanghaiMidnight + DAY, shanghaiMidnight + 2 * DAY],
    ]);
    for (const w of dayWindows) expect(new Date(w.windowStart + 8 * 60 * MIN).getUTCHours()).toBe(0);
    expect(dayWindows.reduce((n, w) => n + w.count, 0)).toBe(expected.length);

    // CSV says the same numbers as JSON.
    const csv = await (
      await api.call('/v1/shipments/S-HIST/history?limit=1000', {
        ...as('haiyun'),
        headers: { accept: 'text/csv' },
      })
    ).text();
    const [header, ...rows] = csv.trim().split(/\r?\n/);
    const cols = (header as string).split(',');
    const tsCol = cols.indexOf('time_utc');
    const productCol = cols.findIndex((c) => /product/.test(c));
    expect(tsCol).toBeGreaterThanOrEqual(0);
    expect(productCol).toBeGreaterThanOrEqual(0);
    expect(
      rows.map((r) => {
        const f = r.split(',');
        return [Date.parse(f[tsCol] as string), Number(f[productCol])];
      }),
    ).toEqual(expected.map(([ts, , v]) => [ts, v]));
  });

  it('streams a breach published through the broker as one alert.created, then the acknowledgement', async () => {
    const start = minute(Date.now()) - 90 * MIN;
    await api.call('/v1/shipments', {
      body: {
        id: 'S-LIVE',
        profileId: 'pharma-2-8',
        shipper: 'Dalian Haiyun',
        consignee: 'Clinic',
        goods: 'vaccines',
      },
      ...as('olga'),
    });
    expect(
      (
        await api.call('/v1/shipments/S-LIVE/handovers', {
          body: { holder: 'Cold Express', deviceId: 'API-C', at: start },
          ...as('olga'),
        })
      ).status,
    ).toBe(201);
    const open = (who: string) =>
      fetch(`${api.url}/v1/alerts/stream`, { headers: { authorization: `Bearer ${tokens[who]}` } });
    const operator = readSse(await open('olga'));
    const owner = readSse(await open('haiyun'));
    const other = readSse(await open('berry'));
    try {
      await new Promise((r) => setTimeout(r, 300));
      await publish(
        'API-C',
        Array.from({ length: 91 }, (_, i) => ({
          ts: start + i * MIN,
          temp: { product: i >= 40 && i < 44 ? 21 : 5 },
        })),
      );
      const ofShipment = (events: typeof operator.events) =>
        events.filter(
          (e) =>
            (JSON.parse(e.data) as { alert?: { shipmentId?: string }; shipmentId?: string }).alert
              ?.shipmentId === 'S-LIVE' ||
            (JSON.parse(e.data) as { shipmentId?: string }).shipmentId === 'S-LIVE',
        );
      // The leg opened before its backlog arrived, so a "no data" alert may come first.
      const created = await eventually(
        () =>
          ofShipment(operator.events).find(
            (e) => e.event === 'alert.created' && /"rule":"critical"/.test(e.data),
          ),
        20_000,
        'alert.created',
      );
      const alert =
        (JSON.parse(created.data) as { alert?: Body }).alert ?? (JSON.parse(created.data) as Body);
      expect(alert.rule).toBe('critical');
      expect(alert.holder).toBe('Cold Express');
      const ack = await api.call(`/v1/alerts/${alert.id}/acknowledge`, {
        body: { note: 'driver checks the reefer' },
        ...as('olga'),
      });
      expect(ack.status).toBe(200);
      const again = await api.call(`/v1/alerts/${alert.id}/acknowledge`, {
        body: { note: 'twice' },
        ...as('olga'),
      });
      expect(again.status).toBe(409);
      expect(((await json(again)).error as { code: string }).code).toBe('alert_conflict');
      await eventually(
        () =>
          ofShipment(operator.events).find((e) => e.event === 'alert.updated' && /acknowledged/.test(e.data)),
        10_000,
        'alert.updated',
      );
      expect(
        ofShipment(operator.events).filter(
          (e) =>
            e.event === 'alert.created' && (JSON.parse(e.data).alert ?? JSON.parse(e.data)).id === alert.id,
        ),
      ).toHaveLength(1);
      await eventually(
        () => ofShipment(owner.events).find((e) => e.event === 'alert.updated'),
        10_000,
        'owner sees it',
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(ofShipment(other.events)).toEqual([]);
      expect(other.events).toEqual([]);

      // Comments are an append-only trail with author and time; a shipper cannot acknowledge.
      expect(
        (
          await api.call(`/v1/alerts/${alert.id}/comments`, {
            body: { text: 'compressor restarted' },
            ...as('olga'),
          })
        ).status,
      ).toBe(201);
      const comments = await json(await api.call(`/v1/alerts/${alert.id}/comments`, as('haiyun')));
      expect((comments.items as Body[]).map((c) => [c.author, c.text])).toEqual([
        ['olga', 'compressor restarted'],
      ]);
      expect(
        (await api.call(`/v1/alerts/${alert.id}/resolve`, { body: { note: 'x' }, ...as('haiyun') })).status,
      ).toBe(403);
      expect((await api.call(`/v1/alerts/${alert.id}`, as('berry'))).status).toBe(404);
      expect(
        (await api.call(`/v1/alerts/${alert.id}/assign`, { body: { to: 'olga' }, ...as('olga') })).status,
      ).toBe(200);
      const resolved = await json(
        await api.call(`/v1/alerts/${alert.id}/resolve`, {
          body: { note: 'product checked, within limits' },
          ...as('olga'),
        }),
      );
      expect([resolved.status, resolved.resolvedBy, resolved.assignedTo]).toEqual([
        'resolved',
        'olga',
        'olga',
      ]);
      const listed = await json(await api.call('/v1/alerts?shipmentId=S-LIVE&status=resolved', as('haiyun')));
      expect((listed.items as Body[]).map((a) => a.id)).toContain(alert.id);
      expect((await json(await api.call('/v1/alerts?shipmentId=S-LIVE', as('berry')))).items).toEqual([]);

      // Resuming with Last-Event-ID replays what came after it.
      const firstId = created.id as string;
      const resumed = readSse(
        await fetch(`${api.url}/v1/alerts/stream`, {
          headers: { authorization: `Bearer ${tokens.olga}`, 'last-event-id': firstId },
        }),
      );
      try {
        await eventually(
          () => resumed.events.find((e) => /resolved/.test(e.data)),
          10_000,
          'replayed change',
        );
        expect(resumed.events.some((e) => e.id === firstId)).toBe(false);
      } finally {
        resumed.close();
      }
    } finally {
      operator.close();
      owner.close();
      other.close();
    }
  });

  it('evaluates a handover recorded late over the readings already stored', async () => {
    const start = minute(Date.now()) - 4 * 60 * MIN;
    await publish(
      'API-D',
      // The air at 9.5 °C from minute 80 to 100 while the product stays at 4 °C: an early warning.
      Array.from({ length: 121 }, (_, i) => ({
        ts: start + i * MIN,
        temp: { product: i >= 60 && i < 63 ? 19 : 4, air: i >= 80 && i <= 100 ? 9.5 : 4 },
      })),
    );
    await api.call('/v1/shipments', {
      body: {
        id: 'S-LATE',
        profileId: 'pharma-2-8',
        shipper: 'Dalian Haiyun',
        consignee: 'Clinic',
        goods: 'insulin',
      },
      ...as('olga'),
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(
      (
        await api.call('/v1/shipments/S-LATE/handovers', {
          body: { holder: 'Late Carrier', deviceId: 'API-D', at: start },
          ...as('olga'),
        })
      ).status,
    ).toBe(201);
    expect(
      (await api.call('/v1/shipments/S-LATE/unload', { body: { at: start + 120 * MIN }, ...as('olga') }))
        .status,
    ).toBe(200);
    const found = await json(await api.call('/v1/shipments/S-LATE/excursions', as('haiyun')));
    const critical = (found.excursions as Body[]).filter((e) => e.rule === 'critical');
    expect(critical).toHaveLength(1);
    expect(critical[0]).toMatchObject({
      startMs: start + 60 * MIN,
      holder: 'Late Carrier',
      peakValue: 19,
      deviceId: 'API-D',
    });
    // Listed apart, with the product's projection (none: the product is flat), never among the excursions.
    expect((found.excursions as Body[]).map((e) => e.rule)).not.toContain('early_warning');
    expect(found.earlyWarnings).toEqual([
      expect.objectContaining({
        rule: 'early_warning',
        severity: 'warning',
        startMs: start + 80 * MIN,
        endMs: start + 101 * MIN,
        limit: 8,
        peakValue: 9.5,
        holder: 'Late Carrier',
        projectedBreachMs: null,
      }),
    ]);
    // The ingest hears of the handover and raises the alert for it.
    const alert = await eventually(
      async () => {
        const page = await json(await api.call('/v1/alerts?shipmentId=S-LATE&rule=critical'));
        return (page.items as Body[])[0];
      },
      20_000,
      'alert of the late leg',
    );
    expect(alert).toMatchObject({ holder: 'Late Carrier', startMs: start + 60 * MIN });
    const excursions = await json(await api.call('/v1/shipments/S-LATE/excursions', as('haiyun')));
    expect((excursions.excursions as Body[]).find((e) => e.rule === 'critical')?.alertId).toBe(alert.id);
  });

  it('shows the fleet, provisions a device that can then log in, and lists dead letters', async () => {
    const fleet = await json(await api.call('/v1/devices', as('olga')));
    const a = (fleet.items as Body[]).find((d) => d.id === 'API-A') as Body;
    expect(a.online).toBe(true);
    expect(typeof a.lastSeenMs).toBe('number');
    const created = await api.call('/v1/devices', {
      body: { id: 'NEW-1', name: 'Cabinet 7', kind: 'cabinet' },
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };
    const client = await connect(pipeline.broker.url, {
      username: 'NEW-1',
      password: secret,
      clientId: 'NEW-1',
    });
    await client.endAsync();
    expect((await api.call('/v1/devices/NEW-1/disable', { method: 'POST' })).status).toBe(200);
    expect((await json(await api.call('/v1/devices/NEW-1'))).disabled).toBe(true);

    await (devices['API-C'] as SimDevice).client.publishAsync(
      'coldchain/v1/devices/API-C/telemetry',
      'not json',
      { qos: 1 },
    );
    const letter = await eventually(
      async () => {
        const list = await json(await api.call('/v1/dead-letters?deviceId=API-C', as('olga')));
        return (list.items as Body[])[0];
      },
      10_000,
      'dead letter',
    );
    expect(letter.reason).toBe('malformed_json');
  });

  it('holds a bounded number of alert streams per user, and frees one when it closes', async () => {
    const open = () =>
      fetch(`${api.url}/v1/alerts/stream`, { headers: { authorization: `Bearer ${tokens.berry}` } });
    const streams = [];
    for (let i = 0; i < 4; i++) {
      const res = await open();
      expect(res.status).toBe(200);
      streams.push(readSse(res));
    }
    const refused = await open();
    expect(refused.status).toBe(429);
    expect(((await json(refused)).error as { code: string }).code).toBe('rate_limited');
    streams.pop()?.close();
    const again = await eventually(
      async () => {
        const res = await open();
        if (res.status === 200) return res;
        await res.body?.cancel();
        return undefined;
      },
      10_000,
      'a freed stream',
    );
    streams.push(readSse(again));
    for (const s of streams) s.close();
  });

  it('reports its health and its request metrics', async () => {
    const health = await api.call('/healthz', { token: null });
    expect(health.status).toBe(200);
    expect(((await json(health)).checks as Record<string, { status: string }>).mqtt?.status).toBe('up');
    const metrics = await (await api.call('/metrics', { token: null })).text();
    expect(metrics).toMatch(
      /coldchain_api_requests_total\{method="GET",route="\/v1\/shipments\/:id",status="404"\} \d+/,
    );
    expect(metrics).toMatch(/process_cpu_seconds_total/);
  });

  it('refuses unknown tokens and then rate-limits the address that keeps guessing', async () => {
    const noToken = await api.call('/v1/shipments', { token: null });
    expect(noToken.status).toBe(401);
    expect(((await json(noToken)).error as { code: string }).code).toBe('unauthorized');
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await api.call('/v1/shipments', { token: `cct_guess${i}` })).status;
    expect(last).toBe(429);
  });
});
