import type { alertSchema } from '@coldchain/schema';
import { CUSTODY_TOPIC_FILTER, parseCustodyChange, parseCustodyTopic } from '@coldchain/schema';
import type { Alert } from '@coldchain/store';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { type AlertFeed, type AlertFeedOptions, createAlertFeed } from './alert-feed.js';
import { publishAlertEvent, sampleAlert, startTestBroker, type TestBroker } from './testing.js';

// The schema is the wire's truth and the store does not import it: the two must stay one type.
type WireAlert = z.infer<typeof alertSchema>;
const toWire = (alert: Alert): WireAlert => alert;
const toStore = (alert: WireAlert): Alert => alert;
void [toWire, toStore];

describe('the alert feed', () => {
  let broker: TestBroker;
  let ingest: MqttClient;
  const feeds: AlertFeed[] = [];
  const logLines: Array<{ msg?: string }> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  let instance = 0;

  const openFeed = async (options: Partial<AlertFeedOptions> = {}) => {
    const feed = createAlertFeed({
      mqttUrl: broker.url,
      username: 'api',
      password: broker.secrets.api as string,
      clientId: `api:feed-${++instance}`,
      log,
      ...options,
    });
    feeds.push(feed);
    await vi.waitFor(() => expect(feed.connected()).toBe(true), { timeout: 5_000 });
    return feed;
  };
  const record = (feed: AlertFeed) => {
    const events: Array<[string, number, number]> = [];
    const stop = feed.subscribe((e) => events.push([e.event, e.alert.id, e.alert.updatedAtMs]));
    return { events, stop };
  };

  beforeAll(async () => {
    broker = await startTestBroker(['truck-1', 'room-2']);
    ingest = await broker.connectAs('ingest');
  });
  afterAll(async () => {
    for (const feed of feeds) await feed.close();
    await broker?.close();
  });

  it('delivers each alert change once, although the ingest publishes it on two topics', async () => {
    const feed = await openFeed();
    const { events } = record(feed);
    const created = sampleAlert({ id: 1, updatedAtMs: 1_000 });
    await publishAlertEvent(ingest, created);
    // A QoS 1 redelivery of the same change, then a real change.
    await publishAlertEvent(ingest, created);
    await publishAlertEvent(ingest, { ...created, peakValue: -8, updatedAtMs: 2_000 }, 'alert.updated');
    await vi.waitFor(() => expect(events).toHaveLength(2));
    await publishAlertEvent(ingest, sampleAlert({ id: 2, updatedAtMs: 2_500 }));
    await vi.waitFor(() => expect(events).toHaveLength(3));
    expect(events).toEqual([
      ['alert.created', 1, 1_000],
      ['alert.updated', 1, 2_000],
      ['alert.created', 2, 2_500],
    ]);
  });

  it('remembers a bounded number of changes: one older than the window is delivered again', async () => {
    const feed = await openFeed({ dedupeWindow: 2 });
    const { events } = record(feed);
    for (const id of [11, 12, 13, 11])
      await publishAlertEvent(ingest, sampleAlert({ id, updatedAtMs: 5_000 }));
    await publishAlertEvent(ingest, sampleAlert({ id: 13, updatedAtMs: 5_000 }));
    await publishAlertEvent(ingest, sampleAlert({ id: 14, updatedAtMs: 5_000 }));
    await vi.waitFor(() => expect(events.at(-1)?.[1]).toBe(14));
    expect(events.map(([, id]) => id)).toEqual([11, 12, 13, 11, 14]);
  });

  it('drops an alert event it cannot read, logs it, and carries on', async () => {
    const feed = await openFeed();
    const { events } = record(feed);
    await ingest.publishAsync('coldchain/v1/alerts/SH-1', 'not json', { qos: 1 });
    await ingest.publishAsync(
      'coldchain/v1/alerts/SH-1',
      JSON.stringify({ event: 'alert.created', alert: { id: 'x' } }),
      { qos: 1 },
    );
    await publishAlertEvent(ingest, sampleAlert({ id: 21, updatedAtMs: 7_000 }));
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events).toEqual([['alert.created', 21, 7_000]]);
    expect(logLines.filter((l) => l.msg === 'invalid alert event dropped').length).toBeGreaterThanOrEqual(2);
  });

  it('stops calling a listener once it unsubscribes, and calls the others', async () => {
    const feed = await openFeed();
    const first = record(feed);
    const second = record(feed);
    first.stop();
    await publishAlertEvent(ingest, sampleAlert({ id: 31, updatedAtMs: 8_000 }));
    await vi.waitFor(() => expect(second.events).toHaveLength(1));
    expect(first.events).toEqual([]);
  });

  it("keeps each device's status from the broker's retained status messages", async () => {
    let clock = 100_000;
    const feed = await openFeed({ now: () => clock, clientId: 'api:status-feed' });
    expect(feed.deviceStatus('truck-1')).toBeUndefined();
    const truck = await broker.connectAs('truck-1');
    await vi.waitFor(() =>
      expect(feed.deviceStatus('truck-1')).toEqual({ status: 'online', sinceMs: 100_000 }),
    );

    // A feed that connects later learns it from the retained message.
    const later = await openFeed({ now: () => clock });
    await vi.waitFor(() => expect(later.deviceStatus('truck-1')?.status).toBe('online'));

    // The feed's connection drops (another client takes its id) and it connects again: subscribed
    // anew, it gets the retained `online` again, which changes nothing. (An alert event published
    // after that comes behind it on the feed's connection.)
    clock = 150_000;
    const { events } = record(feed);
    const intruder = await broker.connectAs('api', 'api:status-feed');
    await vi.waitFor(() => expect(feed.connected()).toBe(false));
    await intruder.endAsync();
    await vi.waitFor(() => expect(feed.connected()).toBe(true), { timeout: 5_000 });
    await publishAlertEvent(ingest, sampleAlert({ id: 41, updatedAtMs: 9_000 }));
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(feed.deviceStatus('truck-1')).toEqual({ status: 'online', sinceMs: 100_000 });

    clock = 200_000;
    await truck.endAsync();
    await vi.waitFor(() =>
      expect(feed.deviceStatus('truck-1')).toEqual({ status: 'offline', sinceMs: 200_000 }),
    );
    expect(feed.deviceStatus('room-2')).toBeUndefined();
  });

  it('tells the ingest of a custody change, acknowledged by the broker', async () => {
    const feed = await openFeed();
    const received: unknown[] = [];
    const listener = await broker.connectAs('ingest', 'ingest:custody-test');
    listener.on('message', (topic, payload) => {
      const shipmentId = parseCustodyTopic(topic);
      if (shipmentId) received.push(parseCustodyChange(payload, shipmentId));
    });
    await listener.subscribeAsync(CUSTODY_TOPIC_FILTER, { qos: 1 });

    await feed.publishCustodyChange('SH-2026-0042');
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received).toEqual([{ ok: true, value: { event: 'custody.changed', shipmentId: 'SH-2026-0042' } }]);
    await expect(feed.publishCustodyChange('a/#')).rejects.toThrow(/invalid shipment id/);
  });

  it('can be closed twice, and refuses to publish once closed', async () => {
    const feed = await openFeed();
    await feed.close();
    await feed.close();
    expect(feed.connected()).toBe(false);
    await expect(feed.publishCustodyChange('SH-1')).rejects.toThrow(/closed/);
  });
});
