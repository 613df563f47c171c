import type { AlertEvent } from '@coldchain/schema';
import { ApiFailure, failureOf } from './api-client.js';
import { session } from './session.js';
import { createSseParser } from './sse-parser.js';

export interface AlertStreamHandlers {
  onEvent(event: AlertEvent): void;
  onConnection(connected: boolean): void;
  /** The token was refused (revoked, expired): retrying would not help. */
  onRefused(failure: ApiFailure): void;
}

/**
 * Follows `GET /v1/alerts/stream` with fetch rather than EventSource, which cannot send the
 * Authorization header (the token must stay out of the URL). Remembers the last event id and, when the connection drops, reconnects with
 * `Last-Event-ID` after a growing pause (1 s doubling to 15 s), so that no change is missed and
 * none is shown twice. Returns a function that stops it.
 */
export function followAlerts(handlers: AlertStreamHandlers): () => void {
  const abort = new AbortController();
  let lastEventId: string | null = null;
  let pauseMs = 1_000;

  const connectOnce = async () => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    const token = session.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const res = await fetch('/v1/alerts/stream', { headers, signal: abort.signal });
    if (res.status === 401 || res.status === 403) throw await failureOf(res);
    if (!res.ok || !res.body) throw new Error(`alert stream answered ${res.status}`);
    handlers.onConnection(true);
    pauseMs = 1_000;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parse = createSseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const event of parse(value)) {
        if (event.id !== null) lastEventId = event.id;
        try {
          handlers.onEvent(JSON.parse(event.data) as AlertEvent);
        } catch {
          // Not an alert event: nothing to show, and the stream goes on.
        }
      }
    }
  };

  void (async () => {
    while (!abort.signal.aborted) {
      try {
        await connectOnce();
      } catch (err) {
        if (err instanceof ApiFailure) {
          handlers.onRefused(err);
          return;
        }
        // Anything else: reconnected below; the banner says the board is not live meanwhile.
      }
      if (abort.signal.aborted) return;
      handlers.onConnection(false);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      pauseMs = Math.min(pauseMs * 2, 15_000);
    }
  })();
  return () => abort.abort();
}
