import type { Journal } from '@coldchain/influx';
import { eventToLine, readingToLine } from '@coldchain/influx';
import {
  type DeviceEvent,
  EVENTS_TOPIC_FILTER,
  type Problem,
  parseDeviceTopic,
  parseEvents,
  parseTelemetry,
  type Reading,
  TELEMETRY_TOPIC_FILTER,
} from '@coldchain/schema';
import type { MetadataStore } from '@coldchain/store';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { IngestMetrics } from './metrics.js';

export interface AcceptedMessage {
  deviceId: string;
  arrivedAtMs: number;
  readings: Reading[];
  events: DeviceEvent[];
}

export interface IngestDeps {
  mqtt: { url: string; username: string; password: string; clientId: string };
  journal: Journal;
  store: MetadataStore;
  metrics: IngestMetrics;
  log: Logger;
  now?: () => number;
  /** Called after a message is journaled, before its PUBACK: the breach engine's entry point. */
  onAccepted?: (message: AcceptedMessage) => void;
}

export interface Ingest {
  /** Connects and subscribes; resolves on the first successful subscription. */
  start(): Promise<void>;
  readonly client: MqttClient | null;
  /** Stops taking messages: unacknowledged ones stay with the broker. Safe to call twice. */
  close(): Promise<void>;
}

type Outcome = { accepted: true } | { accepted: false; reason: string; problems: string[] };

const describe = (problems: readonly Problem[]) => problems.map((p) => p.message);

/**
 * The MQTT side of the ingest: a persistent session (fixed client id, `clean: false`) with QoS 1
 * subscriptions to every device's telemetry and events. Each message is validated; a valid one
 * is journaled and flushed to disk before `handleMessage` calls back, and mqtt.js sends the
 * PUBACK only after that callback. An invalid one becomes a dead letter and is acknowledged, so
 * it never blocks the messages behind it.
 */
export function createIngest(deps: IngestDeps): Ingest {
  const { journal, store, metrics, log } = deps;
  const now = deps.now ?? Date.now;
  const knownDevices = new Set<string>();
  let client: MqttClient | null = null;

  const isKnown = (deviceId: string) => {
    if (knownDevices.has(deviceId)) return true;
    const device = store.getDevice(deviceId);
    if (!device || device.disabled) return false;
    knownDevices.add(deviceId);
    return true;
  };

  const deadLetter = (
    topic: string,
    deviceId: string | null,
    payload: Buffer,
    arrivedAtMs: number,
    reason: string,
    problems: string[],
  ) => {
    metrics.deadLettered[reason] = (metrics.deadLettered[reason] ?? 0) + 1;
    store.addDeadLetter({
      deviceId,
      topic,
      arrivedAtMs,
      reason,
      problems,
      payload,
      payloadBytes: payload.length,
    });
    log.warn({ deviceId, topic, reason, problems: problems.slice(0, 3) }, 'dead letter');
  };

  async function handle(topic: string, payload: Buffer): Promise<Outcome> {
    const arrivedAtMs = now();
    metrics.received++;
    const parsedTopic = parseDeviceTopic(topic);
    if (!parsedTopic || (parsedTopic.kind !== 'telemetry' && parsedTopic.kind !== 'events')) {
      return {
        accepted: false,
        reason: 'unexpected_topic',
        problems: [`not a telemetry or events topic: ${topic}`],
      };
    }
    const { deviceId } = parsedTopic;
    if (!isKnown(deviceId)) {
      return {
        accepted: false,
        reason: 'unknown_device',
        problems: [`device ${deviceId} is not provisioned or is disabled`],
      };
    }
    let readings: Reading[] = [];
    let events: DeviceEvent[] = [];
    if (parsedTopic.kind === 'telemetry') {
      const result = parseTelemetry(payload, { nowMs: arrivedAtMs });
      if (!result.ok)
        return {
          accepted: false,
          reason: result.problems[0]?.code ?? 'invalid',
          problems: describe(result.problems),
        };
      readings = result.value.readings;
    } else {
      const result = parseEvents(payload, { nowMs: arrivedAtMs });
      if (!result.ok)
        return {
          accepted: false,
          reason: result.problems[0]?.code ?? 'invalid',
          problems: describe(result.problems),
        };
      events = result.value.events;
    }
    const lines = [
      ...readings.map((r) => readingToLine(deviceId, r)),
      ...events.map((e) => eventToLine(deviceId, e)),
    ];
    if (journal.stats().bytes >= journal.stats().maxBytes) {
      log.error(
        { journal: journal.stats() },
        'journal full: holding acknowledgements until InfluxDB catches up',
      );
    }
    await journal.waitForRoom();
    await journal.append(lines);
    metrics.acceptedMessages++;
    metrics.acceptedReadings += readings.length;
    metrics.acceptedEvents += events.length;
    deps.onAccepted?.({ deviceId, arrivedAtMs, readings, events });
    return { accepted: true };
  }

  return {
    get client() {
      return client;
    },
    start() {
      return new Promise<void>((resolve, reject) => {
        const c = mqtt.connect(deps.mqtt.url, {
          clientId: deps.mqtt.clientId,
          username: deps.mqtt.username,
          password: deps.mqtt.password,
          clean: false,
          protocolVersion: 4,
          reconnectPeriod: 1000,
          connectTimeout: 10_000,
          // Subscriptions are made on every connect below, whatever the broker kept.
          resubscribe: false,
        });
        client = c;
        let started = false;

        // mqtt.js calls this for each PUBLISH, one at a time, and sends the PUBACK only once it
        // calls back without an error (MQTT 3.1.1 §4.3.2: the PUBACK is our acceptance of ownership).
        c.handleMessage = (packet: IPublishPacket, callback: (err?: Error) => void) => {
          const topic = packet.topic;
          const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
          handle(topic, payload).then(
            (outcome) => {
              if (!outcome.accepted) {
                deadLetter(
                  topic,
                  parseDeviceTopic(topic)?.deviceId ?? null,
                  payload,
                  now(),
                  outcome.reason,
                  outcome.problems,
                );
              }
              callback();
            },
            (err: unknown) => {
              // Not journaled: no PUBACK. Dropping the connection makes the broker deliver it again.
              log.error(
                { err, topic },
                'could not journal a message; reconnecting so that the broker redelivers it',
              );
              callback(err as Error);
              c.stream?.destroy();
            },
          );
        };

        c.on('connect', (connack) => {
          log.info({ sessionPresent: connack.sessionPresent }, 'connected to the broker');
          c.subscribe(
            { [TELEMETRY_TOPIC_FILTER]: { qos: 1 }, [EVENTS_TOPIC_FILTER]: { qos: 1 } },
            (err, granted) => {
              if (err || granted?.some((g) => g.qos === 128)) {
                const error = err ?? new Error('subscription refused by the broker');
                log.error({ err: error }, 'subscribe failed');
                if (!started) reject(error);
                return;
              }
              log.info({ filters: granted?.map((g) => g.topic) }, 'subscribed');
              if (!started) {
                started = true;
                resolve();
              }
            },
          );
        });
        c.on('reconnect', () => log.info('reconnecting to the broker'));
        c.on('offline', () => log.warn('broker connection lost'));
        c.on('error', (err) => {
          log.error({ err }, 'mqtt error');
          if (!started && /Not authorized|Bad username/i.test(err.message)) {
            c.end(true);
            reject(err);
          }
        });
      });
    },
    async close() {
      const c = client;
      client = null;
      if (c) await c.endAsync(false).catch(() => c.end(true));
    },
  };
}
