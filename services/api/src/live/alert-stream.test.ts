import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertEvent } from '@coldchain/schema';
import { type Alert, type AlertInput, createSqliteStore, type MetadataStore } from '@coldchain/store';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AlertFeed, createAlertFeed } from './alert-feed.js';
import { type AlertStreamOptions, streamAlerts } from './alert-stream.js';
import {
  publishAlertEvent,
  readSse,
  type SseMessage,
  sampleAlert,
  startTestBroker,
  type TestBroker,
} from './testing.js';

const excursion = (key: string, shipmentId: string): AlertInput => ({
  key,
  rule: 'critical',
  severity: 'critical',
  shipmentId,
  deviceId: 'truck-1',
  holder: 'Haiyun Logistics',
  startMs: 1_000,
  endMs: null,
  limit: -15,
  peakValue: -10,
  peakTsMs: 1_000,
  detail: null,
});

/** Whether the store answers `listAlerts({ changedAfter })` in change order, as resuming needs. */
async function storeResumesByChange(): Promise<boolean> {
  let clock = 1;
  const store = createSqliteStore({ file: ':memory:', now: () => clock });
  try {
    const { alert: first } = await store.upsertAlert(excursion('probe-1', 'SH-1'));
    clock = 2;
    const { alert: second } = await store.upsertAlert(excursion('probe-2', 'SH-1'));
    const after = await store.listAlerts({ changedAfter: { updatedAtMs: first.updatedAtMs, id: first.id } });
    return after.length === 1 && after[0]?.id === second.id;
  } finally {
    await store.close();
  }
}
const resumable = await storeResumesByChange();

describe('the alert stream (SSE)', () => {
  let broker: TestBroker;
  let ingest: MqttClient;
  let feed: AlertFeed;
  let dataDir: string;
  let store: MetadataStore;
  let clock = 1_000_000;
  let base: string;
  let closeServer: () => Promise<void>;
  /** Subscriptions of streams to the feed that are still open. */
  let listening = 0;
  /** What each request's stream gets, set per test. */
  let options: Partial<AlertStreamOptions> = {};
  const log = pino({ level: 'silent' });

  beforeAll(async () => {
    broker = await startTestBroker();
    ingest = await broker.connectAs('ingest');
    feed = createAlertFeed({
      mqttUrl: broker.url,
      username: 'api',
      password: broker.secrets.api as string,
      clientId: 'api:stream-test',
      log,
    });
    await vi.waitFor(() => expect(feed.connected()).toBe(true), { timeout: 5_000 });
    dataDir = mkdtempSync(join(tmpdir(), 'coldchain-alert-stream-'));
    store = createSqliteStore({ file: join(dataDir, 'metadata.db'), now: () => clock });
    const counted: AlertStreamOptions['feed'] = {
      subscribe(listener) {
        listening++;
        const stop = feed.subscribe(listener);
        return () => {
          listening--;
          stop();
        };
      },
    };
    const app = new Hono();
    app.get('/v1/alerts/stream', (c) => {
      const only = c.req.query('shipment');
      return streamAlerts(c, {
        feed: counted,
        store,
        visible: (alert) => only === undefined || alert.shipmentId === only,
        log,
        ...options,
      });
    });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  });

  afterAll(async () => {
    await feed?.close();
    await closeServer?.();
    await store?.close();
    await broker?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const streams: AbortController[] = [];
  async function open(path = '/v1/alerts/stream', headers: Record<string, string> = {}) {
    const controller = new AbortController();
    streams.push(controller);
    const res = await fetch(`${base}${path}`, { headers, signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { messages, ended } = readSse(res.body as ReadableStream<Uint8Array>);
    return { messages, ended, close: () => controller.abort() };
  }
  const events = (messages: SseMessage[]) => messages.filter((m) => m.data !== undefined);
  const summary = (messages: SseMessage[]) =>
    events(messages).map((m) => {
      const body = JSON.parse(m.data as string) as AlertEvent;
      expect(m.event).toBe(body.event);
      expect(m.id).toBe(`${body.alert.updatedAtMs}-${body.alert.id}`);
      return [m.event, body.alert.id, body.alert.updatedAtMs] as const;
    });

  it('sends each live alert change once, named by its change, with an id to resume from', async () => {
    options = {};
    const client = await open();
    const alert = sampleAlert({ id: 501, updatedAtMs: 10_000 });
    await publishAlertEvent(ingest, alert);
    await publishAlertEvent(ingest, { ...alert, updatedAtMs: 11_000, endMs: 10_500 }, 'alert.updated');
    await vi.waitFor(() => expect(events(client.messages)).toHaveLength(2));
    expect(summary(client.messages)).toEqual([
      ['alert.created', 501, 10_000],
      ['alert.updated', 501, 11_000],
    ]);
    expect(JSON.parse(events(client.messages)[0]?.data as string)).toEqual({ event: 'alert.created', alert });
    client.close();
  });

  it('sends only the alerts the caller may see', async () => {
    options = {};
    const client = await open('/v1/alerts/stream?shipment=SH-A');
    await publishAlertEvent(ingest, sampleAlert({ id: 511, updatedAtMs: 12_000, shipmentId: 'SH-B' }));
    await publishAlertEvent(ingest, sampleAlert({ id: 512, updatedAtMs: 12_000, shipmentId: 'SH-A' }));
    await vi.waitFor(() => expect(events(client.messages)).toHaveLength(1));
    expect(summary(client.messages)).toEqual([['alert.created', 512, 12_000]]);
    client.close();
  });

  it('says so in a comment and starts at the live events when Last-Event-ID is not an event id', async () => {
    options = {};
    const client = await open('/v1/alerts/stream', { 'Last-Event-ID': 'yesterday' });
    await vi.waitFor(() => expect(client.messages[0]?.comment).toMatch(/not an alert event id/));
    await publishAlertEvent(ingest, sampleAlert({ id: 521, updatedAtMs: 13_000 }));
    await vi.waitFor(() => expect(events(client.messages)).toHaveLength(1));
    client.close();
  });

  it('sends a heartbeat comment while nothing happens', async () => {
    options = { heartbeatMs: 50 };
    const client = await open();
    await vi.waitFor(() => expect(client.messages.some((m) => m.comment === 'heartbeat')).toBe(true));
    client.close();
  });

  it('lets go of the feed when the client goes away', async () => {
    options = {};
    await vi.waitFor(() => expect(listening).toBe(0)); // the streams of earlier tests
    const first = await open();
    const second = await open();
    expect(listening).toBe(2);
    first.close();
    await vi.waitFor(() => expect(listening).toBe(1));
    second.close();
    await vi.waitFor(() => expect(listening).toBe(0));
  });

  it('lets a client that keeps events waiting go, to catch up from the store when it returns', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    options = { maxQueued: 2, visible: () => held.then(() => true) };
    const client = await open();
    for (const id of [531, 532, 533, 534])
      await publishAlertEvent(ingest, sampleAlert({ id, updatedAtMs: 14_000 }));
    await vi.waitFor(() => expect(listening).toBe(1));
    release();
    await client.ended;
    expect(client.messages.at(-1)?.comment).toMatch(/too far behind; reconnect with Last-Event-ID/);
    await vi.waitFor(() => expect(listening).toBe(0));
  });

  // Needs the store's `listAlerts({ changedAfter })` (alerts changed after a point, in change order).
  it.skipIf(!resumable)(
    'resumes at Last-Event-ID: what changed meanwhile from the store, then the live events, each once',
    async () => {
      const at = async (ms: number, input: AlertInput) => {
        clock = ms;
        return (await store.upsertAlert(input)).alert;
      };
      const a1 = await at(2_000_000, excursion('R-1', 'SH-R'));
      const a2 = await at(2_001_000, excursion('R-2', 'SH-R'));
      const a3 = await at(2_002_000, excursion('R-3', 'SH-R'));
      await at(2_002_500, excursion('R-hidden', 'SH-OTHER'));
      const a1Later = await at(2_003_000, { ...excursion('R-1', 'SH-R'), peakValue: -5 });
      expect(a1Later.id).toBe(a1.id);

      // While the stream reads the store: a change it finds there and hears live too, and one made
      // after its last read, which it hears only live.
      const heard: Alert[] = [];
      const stopHearing = feed.subscribe((e) => heard.push(e.alert));
      let a4: Alert | undefined;
      let a5: Alert | undefined;
      options = {
        pageSize: 2,
        store: {
          async listAlerts(filter) {
            if (!a4) {
              a4 = await at(2_004_000, excursion('R-4', 'SH-R'));
              await publishAlertEvent(ingest, a4);
            }
            const page = await store.listAlerts(filter);
            if (page.length < (filter?.limit ?? 100) && !a5) {
              a5 = await at(2_005_000, excursion('R-5', 'SH-R'));
              await publishAlertEvent(ingest, a5);
              await vi.waitFor(() => expect(heard.map((a) => a.id)).toEqual([a4?.id, a5?.id]));
            }
            return page;
          },
        },
      };
      const client = await open('/v1/alerts/stream?shipment=SH-R', { 'Last-Event-ID': `2001000-${a2.id}` });
      await vi.waitFor(() => expect(events(client.messages)).toHaveLength(4));
      // Live again: a copy of a change already sent, then a new one.
      await publishAlertEvent(ingest, a1Later, 'alert.updated');
      const a6 = await at(2_006_000, excursion('R-6', 'SH-R'));
      await publishAlertEvent(ingest, a6);
      await vi.waitFor(() => expect(events(client.messages)).toHaveLength(5));
      stopHearing();
      expect(summary(client.messages)).toEqual([
        ['alert.created', a3.id, 2_002_000],
        ['alert.updated', a1.id, 2_003_000],
        ['alert.created', a4?.id, 2_004_000],
        ['alert.created', a5?.id, 2_005_000],
        ['alert.created', a6.id, 2_006_000],
      ]);
      client.close();
    },
  );
});
