import { createHmac, randomUUID } from 'node:crypto';
import { alertTopics } from '@coldchain/schema';
import type { Alert, WebhookDelivery } from '@coldchain/store';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AlertSink } from './breach-monitor.js';

/** The alert as it goes out on MQTT and to webhooks. */
export const alertEvent = (alert: Alert, change: 'created' | 'updated') => ({
  event: change === 'created' ? 'alert.created' : 'alert.updated',
  alert,
});

/**
 * Publishes alerts on `coldchain/v1/alerts/{shipmentId}` and `coldchain/v1/alerts/devices/{id}`,
 * QoS 1, as the ingest account (the only one the broker lets publish there).
 */
export function mqttAlertSink(client: () => MqttClient | null, log: Logger): AlertSink {
  return (alert, change) => {
    const c = client();
    if (!c) return;
    const payload = JSON.stringify(alertEvent(alert, change));
    for (const topic of alertTopics(alert)) {
      // mqtt.js queues the message while the connection is down and sends it on reconnect.
      c.publish(
        topic,
        payload,
        { qos: 1 },
        (err) => err && log.error({ err, alertId: alert.id, topic }, 'alert publish failed'),
      );
    }
  };
}

export interface WebhookSinkOptions {
  urls: string[];
  secret: string;
  log: Logger;
  /** Attempts before a delivery is dead. */
  maxAttempts?: number;
  initialDelayMs?: number;
  timeoutMs?: number;
  /** Every state change of every delivery, for the store and the metrics. */
  onDelivery?: (d: WebhookDelivery) => void;
}

/** `sha256=<hex HMAC-SHA256 of the body>`, as GitHub-style receivers expect. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Posts each alert event to every configured URL, signed (`X-Coldchain-Signature`), retried with
 * exponential backoff and jitter; after the last attempt the delivery is `dead`, recorded and logged.
 */
export function webhookAlertSink(opts: WebhookSinkOptions): AlertSink & { idle(): Promise<void> } {
  const maxAttempts = opts.maxAttempts ?? 6;
  const initialDelayMs = opts.initialDelayMs ?? 1_000;
  const inFlight = new Set<Promise<void>>();

  async function deliver(url: string, alert: Alert, body: string) {
    const d: WebhookDelivery = {
      id: randomUUID(),
      url,
      alertId: alert.id,
      status: 'pending',
      attempts: 0,
      lastError: null,
    };
    opts.onDelivery?.({ ...d });
    while (d.attempts < maxAttempts) {
      d.attempts++;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-coldchain-signature': signBody(opts.secret, body),
            'x-coldchain-delivery': d.id,
          },
          body,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
        });
        if (res.ok) {
          d.status = 'delivered';
          opts.onDelivery?.({ ...d });
          return;
        }
        d.lastError = `HTTP ${res.status}`;
      } catch (err) {
        d.lastError = (err as Error).message;
      }
      if (d.attempts < maxAttempts) {
        const delay = initialDelayMs * 2 ** (d.attempts - 1) * (0.5 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    d.status = 'dead';
    opts.onDelivery?.({ ...d });
    opts.log.error(
      { url, alertId: alert.id, attempts: d.attempts, err: d.lastError },
      'webhook delivery dead after its last attempt',
    );
  }

  const sink = ((alert: Alert, change: 'created' | 'updated') => {
    const body = JSON.stringify(alertEvent(alert, change));
    for (const url of opts.urls) {
      const p = deliver(url, alert, body).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }) as AlertSink & { idle(): Promise<void> };
  sink.idle = async () => {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  };
  return sink;
}
