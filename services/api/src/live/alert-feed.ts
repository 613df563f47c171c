import {
  type AlertEvent,
  alertTopics,
  type CustodyChange,
  custodyTopicForShipment,
  type DeviceStatus,
  parseAlertEvent,
  parseDeviceTopic,
  parseStatus,
  STATUS_TOPIC_FILTER,
  TOPIC_PREFIX,
} from '@coldchain/schema';
import type { Alert } from '@coldchain/store';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';

/** Every alert topic: `coldchain/v1/alerts/{shipmentId}` and `coldchain/v1/alerts/devices/{deviceId}`. */
const ALERTS_TOPIC_FILTER = `${TOPIC_PREFIX}/alerts/#`;
const ALERTS_PREFIX = `${TOPIC_PREFIX}/alerts/`;

export interface AlertFeedOptions {
  mqttUrl: string;
  /** The api service account. */
  username: string;
  password: string;
  /**
   * `api`, or `api:<instance>` where several api processes run: the broker drops a session when
   * another connection takes its client id (MQTT-3.1.4-2). The session is persistent (alerts
   * published while the connection was down follow on reconnect), so keep the id stable.
   */
  clientId: string;
  log: Logger;
  /** Alert changes remembered to drop the second copy of each; default 10,000. */
  dedupeWindow?: number;
  now?: () => number;
}

export type AlertListener = (event: AlertEvent) => void;

export interface DeviceStatusEntry {
  status: DeviceStatus;
  /** When this feed learned of the status (a status retained before it connected: when it connected). */
  sinceMs: number;
}

/** What the api knows live from MQTT: alert changes, device status; and how it tells the ingest of custody changes. */
export interface AlertFeed {
  /** Calls `listener` once per alert change; returns the function that stops it. */
  subscribe(listener: AlertListener): () => void;
  /** The device's last status, or undefined when the broker never published one. */
  deviceStatus(deviceId: string): DeviceStatusEntry | undefined;
  /** Connected, and subscribed to alerts and device status. */
  connected(): boolean;
  /** Tells the ingest that a shipment's custody legs changed (QoS 1); resolves on the broker's PUBACK. */
  publishCustodyChange(shipmentId: string): Promise<void>;
  /** Publishes an operator's change to an alert on its topics, as the ingest does (QoS 1). */
  publishAlertChange(alert: Alert): Promise<void>;
  /** Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Connects to the broker as the api account (reconnecting on its own) and subscribes to alerts and
 * device status. The ingest publishes each alert change on two topics (its shipment's and its
 * device's) and QoS 1 may deliver a message twice: each change, known by alert id and `updatedAtMs`,
 * goes to listeners once, within the last `dedupeWindow` changes.
 */
export function createAlertFeed(opts: AlertFeedOptions): AlertFeed {
  const { log } = opts;
  const now = opts.now ?? Date.now;
  const dedupeWindow = opts.dedupeWindow ?? 10_000;
  const listeners = new Set<AlertListener>();
  const statuses = new Map<string, DeviceStatusEntry>();
  /** Changes seen, oldest first (a Map keeps insertion order): the oldest goes when it is full. */
  const seen = new Map<string, true>();
  let subscribed = false;
  let closing: Promise<void> | undefined;

  const client: MqttClient = mqtt.connect(opts.mqttUrl, {
    clientId: opts.clientId,
    username: opts.username,
    password: opts.password,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    // Subscribed again on every connect below: the broker then sends the retained statuses anew.
    resubscribe: false,
  });

  client.on('connect', () => {
    subscribed = false;
    client.subscribe(
      { [ALERTS_TOPIC_FILTER]: { qos: 1 }, [STATUS_TOPIC_FILTER]: { qos: 1 } },
      (err, granted) => {
        if (err || !granted || granted.some((g) => g.qos === 128)) {
          log.error(
            { err: err ?? new Error('subscription refused by the broker') },
            'alert feed: subscribe failed',
          );
          return;
        }
        subscribed = true;
        log.info({ filters: granted.map((g) => g.topic) }, 'alert feed subscribed');
      },
    );
  });
  client.on('close', () => {
    subscribed = false;
  });
  client.on('offline', () => log.warn('alert feed: broker connection lost'));
  client.on('error', (err) => log.error({ err }, 'alert feed: mqtt error'));

  const deliver = (event: AlertEvent) => {
    const change = `${event.alert.id}:${event.alert.updatedAtMs}`;
    if (seen.has(change)) return;
    seen.set(change, true);
    if (seen.size > dedupeWindow) seen.delete(seen.keys().next().value as string);
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        log.error({ err, alertId: event.alert.id }, 'alert feed: a listener failed');
      }
    }
  };

  const takeStatus = (deviceId: string, payload: Buffer) => {
    // An empty retained message clears the retained status (MQTT 3.1.1 §3.3.1.3).
    if (payload.length === 0) {
      statuses.delete(deviceId);
      return;
    }
    const parsed = parseStatus(payload);
    if (!parsed.ok) {
      log.warn(
        { deviceId, problems: parsed.problems.map((p) => p.message) },
        'invalid device status dropped',
      );
      return;
    }
    // The same status again (retained, sent anew on each subscribe) keeps its time.
    if (statuses.get(deviceId)?.status !== parsed.value)
      statuses.set(deviceId, { status: parsed.value, sinceMs: now() });
  };

  client.on('message', (topic, payload) => {
    if (topic.startsWith(ALERTS_PREFIX)) {
      const parsed = parseAlertEvent(payload);
      if (parsed.ok) deliver(parsed.value);
      else
        log.warn(
          { topic, problems: parsed.problems.slice(0, 3).map((p) => p.message) },
          'invalid alert event dropped',
        );
      return;
    }
    const device = parseDeviceTopic(topic);
    if (device?.kind === 'status') takeStatus(device.deviceId, payload);
  });

  return {
    subscribe(listener) {
      // A wrapper per call: the same function subscribed twice is two subscriptions.
      const own: AlertListener = (event) => listener(event);
      listeners.add(own);
      return () => {
        listeners.delete(own);
      };
    },
    deviceStatus: (deviceId) => statuses.get(deviceId),
    connected: () => client.connected && subscribed,
    async publishCustodyChange(shipmentId) {
      if (closing) throw new Error('the alert feed is closed');
      const message: CustodyChange = { event: 'custody.changed', shipmentId };
      await client.publishAsync(custodyTopicForShipment(shipmentId), JSON.stringify(message), { qos: 1 });
    },
    async publishAlertChange(alert) {
      if (closing) throw new Error('the alert feed is closed');
      const payload = JSON.stringify({ event: 'alert.updated', alert });
      await Promise.all(alertTopics(alert).map((topic) => client.publishAsync(topic, payload, { qos: 1 })));
    },
    close() {
      closing ??= (async () => {
        listeners.clear();
        await client.endAsync(false).catch(() => client.end(true));
      })();
      return closing;
    },
  };
}
