import type { AlertEvent } from '@coldchain/schema';
import type { Alert, MetadataStore } from '@coldchain/store';
import type { Context } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import type { Logger } from 'pino';
import type { AlertFeed } from './alert-feed.js';

export interface AlertStreamOptions {
  feed: Pick<AlertFeed, 'subscribe'>;
  store: Pick<MetadataStore, 'listAlerts'>;
  /** Whether the caller may see this alert (a shipper: only its own shipments'). */
  visible: (alert: Alert) => boolean | Promise<boolean>;
  /** Where the client resumes; unset: its `Last-Event-ID` header. */
  lastEventId?: string;
  /** Default 15 s: proxies close a connection that is silent for long. */
  heartbeatMs?: number;
  /**
   * Live events held for a client that does not read them; past this it is let go, and resumes
   * from the store when it reconnects with its `Last-Event-ID`. Default 1,000.
   */
  maxQueued?: number;
  /** Alerts per store read while catching up. Default 100. */
  pageSize?: number;
  log?: Logger;
}

/** A point in the order of alert changes, `(updatedAtMs, id)`: what an event id names. */
export interface AlertPosition {
  updatedAtMs: number;
  id: number;
}

/** `${updatedAtMs}-${alertId}`: a client that resumes with it gets every change after it. */
export const alertEventId = (alert: AlertPosition): string => `${alert.updatedAtMs}-${alert.id}`;

/** The position an event id names, or null for anything else. */
export function parseAlertEventId(eventId: string): AlertPosition | null {
  const match = /^(\d{1,16})-(\d{1,16})$/.exec(eventId);
  if (!match) return null;
  const updatedAtMs = Number(match[1]);
  const id = Number(match[2]);
  return Number.isSafeInteger(updatedAtMs) && Number.isSafeInteger(id) ? { updatedAtMs, id } : null;
}

const isAfter = (a: AlertPosition, b: AlertPosition) =>
  a.updatedAtMs > b.updatedAtMs || (a.updatedAtMs === b.updatedAtMs && a.id > b.id);

/**
 * `GET /v1/alerts/stream` as Server-Sent Events: each alert change the caller may see, as
 * `event: alert.created|alert.updated`, `id: ${updatedAtMs}-${alertId}`, and the `AlertEvent` as data.
 *
 * A client resuming with `Last-Event-ID` first gets, from the store, every alert changed after that
 * point (`alert.created` when it was detected after it, else `alert.updated`), then the live events,
 * with no gap and no duplicate: the feed is listened to before the store is read, and what it
 * delivers meanwhile is held and sent afterwards unless the store's answer already covered it. A
 * malformed id starts at the live events, and a comment says so.
 */
export function streamAlerts(c: Context, opts: AlertStreamOptions): Response {
  const lastEventId = opts.lastEventId ?? c.req.header('last-event-id');
  return streamSSE(c, async (stream) => {
    const live = listen(opts.feed, opts.maxQueued ?? 1_000);
    stream.onAbort(live.wake);
    const heartbeat = setInterval(() => void stream.write(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000);
    try {
      const send = (event: AlertEvent) =>
        stream.writeSSE({ event: event.event, id: alertEventId(event.alert), data: JSON.stringify(event) });
      const cursor = lastEventId ? parseAlertEventId(lastEventId) : null;
      if (lastEventId && !cursor)
        await stream.write(': Last-Event-ID is not an alert event id; starting from live events\n\n');
      const caughtUp = cursor ? await catchUp(stream, opts, cursor, send) : new Map<number, number>();
      const isNew = (event: AlertEvent) => {
        const { alert } = event;
        // From before the point the client resumes at: it had it. Already sent from the store: a copy.
        if (cursor && !isAfter(alert, cursor)) return false;
        const sentMs = caughtUp.get(alert.id);
        return sentMs === undefined || alert.updatedAtMs > sentMs;
      };
      for (;;) {
        if (stream.aborted) return;
        if (live.overflowed()) {
          await stream.write(': too far behind; reconnect with Last-Event-ID to catch up\n\n');
          return;
        }
        const event = live.next();
        if (!event) {
          await live.arrival();
          continue;
        }
        if (isNew(event) && (await opts.visible(event.alert))) await send(event);
      }
    } catch (err) {
      // The client reconnects and resumes from its last event id; what went wrong stays here.
      opts.log?.error({ err }, 'alert stream failed');
      await stream.write(': the stream failed; reconnect to resume\n\n');
    } finally {
      clearInterval(heartbeat);
      live.stop();
    }
  });
}

/**
 * Sends every alert changed after `cursor` from the store, page by page; returns, per alert sent,
 * the `updatedAtMs` it was sent with.
 */
async function catchUp(
  stream: SSEStreamingApi,
  opts: AlertStreamOptions,
  cursor: AlertPosition,
  send: (event: AlertEvent) => Promise<void>,
): Promise<Map<number, number>> {
  const pageSize = opts.pageSize ?? 100;
  const sent = new Map<number, number>();
  let position = cursor;
  for (;;) {
    const page = await opts.store.listAlerts({ changedAfter: position, limit: pageSize });
    for (const alert of page) {
      if (stream.aborted) return sent;
      position = { updatedAtMs: alert.updatedAtMs, id: alert.id };
      if (!(await opts.visible(alert))) continue;
      await send({
        event: alert.detectedAtMs > cursor.updatedAtMs ? 'alert.created' : 'alert.updated',
        alert,
      });
      sent.set(alert.id, alert.updatedAtMs);
    }
    if (page.length < pageSize) return sent;
  }
}

/** The feed's events for one client, queued from the moment it is called until `stop`. */
function listen(feed: AlertStreamOptions['feed'], maxQueued: number) {
  const queue: AlertEvent[] = [];
  let overflowed = false;
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const unsubscribe = feed.subscribe((event) => {
    if (queue.length >= maxQueued) overflowed = true;
    else queue.push(event);
    signal();
  });
  return {
    next: () => queue.shift(),
    overflowed: () => overflowed,
    /** Resolves at the next event, or when `wake` is called (the client went away). */
    arrival: () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      }),
    wake: signal,
    stop: unsubscribe,
  };
}
