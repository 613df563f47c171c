import type { Journal } from '@coldchain/influx';
import { eventToLine, readingFields, telemetryLine } from '@coldchain/influx';
import {
  CUSTODY_TOPIC_FILTER,
  type DeviceEvent,
  decodeIngestBatch,
  EVENTS_TOPIC_FILTER,
  INGEST_BATCH_OFFER_TOPIC,
  INGEST_BATCH_TOPIC,
  MAX_PROBLEMS,
  type Problem,
  parseCustodyChange,
  parseCustodyTopic,
  parseDeviceTopic,
  parseEvents,
  parseTelemetry,
  type Reading,
  TELEMETRY_TOPIC_FILTER,
} from '@coldchain/schema';
import type { MetadataStore } from '@coldchain/store';
import mqtt, { type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import type { Logger } from 'pino';
import type { IngestMetrics } from './metrics.js';
import type { LedgerEntry, ReadingLedger, Verdict } from './reading-ledger.js';

export interface AcceptedMessage {
  deviceId: string;
  arrivedAtMs: number;
  readings: Reading[];
  events: DeviceEvent[];
}

export interface IngestDeps {
  mqtt: { url: string; username: string; password: string; clientId: string };
  journal: Journal;
  /** Decides, per reading, new / redelivered / conflicting with what was accepted before. */
  ledger: ReadingLedger;
  store: MetadataStore;
  metrics: IngestMetrics;
  log: Logger;
  now?: () => number;
  /**
   * Called after a message is journaled, before its PUBACK: the breach engine's entry point. It gets
   * the accepted readings only, never one that conflicts with history.
   */
  onAccepted?: (message: AcceptedMessage) => void;
  /**
   * Called for each valid custody change (`coldchain/v1/custody/{shipmentId}`, from the api): the
   * breach engine evaluates the shipment again. Without it the ingest does not subscribe to them.
   */
  onCustodyChange?: (shipmentId: string) => void;
}

export interface Ingest {
  /** Connects and subscribes; resolves on the first successful subscription. */
  start(): Promise<void>;
  readonly client: MqttClient | null;
  /** Stops taking messages: unacknowledged ones stay with the broker. Safe to call twice. */
  close(): Promise<void>;
}

type SendPacket = (
  packet: Packet,
  cb?: (err?: Error) => void,
  cbStorePut?: () => void,
  noStore?: boolean,
) => void;

/**
 * How long the ingest waits after connecting for our broker's retained offer of envelopes
 * (`INGEST_BATCH_OFFER_TOPIC`) before it subscribes to the device topics one message each, as
 * with any other broker. Our broker's offer comes right after the SUBACK.
 */
const OFFER_WAIT_MS = 1_000;

/** Acknowledgements held for their journal flush at most; past it, reading from the broker pauses. */
const MAX_ACKS_WAITING = 5000;

interface DeadLetterReason {
  reason: string;
  problems: string[];
}
/** A message is accepted, refused, or accepted in part (the readings that conflict with history are refused). */
type Outcome = { accepted: true; refused?: DeadLetterReason } | ({ accepted: false } & DeadLetterReason);

/** Dead-letter reason of readings that would rewrite history (DESIGN.md §3, append-only). */
export const CONFLICTING_READING = 'conflicting_reading';

const conflictProblems = (
  entries: readonly LedgerEntry[],
  verdicts: readonly Verdict[],
): { count: number; problems: string[] } => {
  const problems: string[] = [];
  let count = 0;
  for (let i = 0; i < verdicts.length; i++) {
    const v = verdicts[i] as Verdict;
    if (v.kind !== 'conflict') continue;
    count++;
    if (problems.length >= MAX_PROBLEMS - 1) continue;
    const e = entries[i] as LedgerEntry;
    problems.push(
      `readings[${i}] at ${new Date(e.tsMs).toISOString()} conflicts with the reading already accepted for that time: stored ${v.storedFields}; received ${e.fields}`,
    );
  }
  if (count > problems.length) problems.push(`… and ${count - problems.length} more conflicting readings`);
  return { count, problems };
};

const describe = (problems: readonly Problem[]) => problems.map((p) => p.message);

/**
 * The MQTT side of the ingest: a persistent session (fixed client id, `clean: false`) with QoS 1
 * subscriptions to every device's telemetry and events. Each message is validated; a valid one
 * is journaled and flushed to disk before `handleMessage` calls back, and mqtt.js sends the
 * PUBACK only after that callback. An invalid one becomes a dead letter and is acknowledged, so
 * it never blocks the messages behind it.
 */
/** How long a device found enabled is taken as known before the store is asked again (a disabled device's messages are refused after at most this). */
const KNOWN_DEVICE_TTL_MS = 10_000;

export function createIngest(deps: IngestDeps): Ingest {
  const { journal, ledger, store, metrics, log } = deps;
  const now = deps.now ?? Date.now;
  /** Devices found enabled in the store, and when: checked again after `KNOWN_DEVICE_TTL_MS`. */
  const knownDevices = new Map<string, number>();
  let journalFull = false;
  let client: MqttClient | null = null;

  /** Store look-ups under way: messages of a device that arrive meanwhile wait for the same one, in order. */
  const deviceLookups = new Map<string, Promise<boolean>>();

  /**
   * A device seen enabled within the TTL answers synchronously: the hot path never waits for the
   * store. Any other asks the store once, however many of its messages arrive before it answers.
   */
  const isKnown = (deviceId: string): boolean | Promise<boolean> => {
    const checkedAtMs = knownDevices.get(deviceId);
    if (checkedAtMs !== undefined && now() - checkedAtMs < KNOWN_DEVICE_TTL_MS) return true;
    const pending = deviceLookups.get(deviceId);
    if (pending) return pending;
    const lookup = store
      .getDevice(deviceId)
      .then((device) => {
        if (!device || device.disabled) {
          knownDevices.delete(deviceId);
          return false;
        }
        knownDevices.set(deviceId, now());
        return true;
      })
      .finally(() => deviceLookups.delete(deviceId));
    deviceLookups.set(deviceId, lookup);
    return lookup;
  };

  /** Devices whose dead-letter samples are capped, said once in the log until one is stored again. */
  const capped = new Set<string | null>();
  const deadLetter = async (
    topic: string,
    deviceId: string | null,
    payload: Buffer,
    arrivedAtMs: number,
    reason: string,
    problems: string[],
  ) => {
    metrics.deadLettered[reason] = (metrics.deadLettered[reason] ?? 0) + 1;
    const { stored } = await store.addDeadLetter({
      deviceId,
      topic,
      arrivedAtMs,
      reason,
      problems,
      payload,
      payloadBytes: payload.length,
    });
    // The log follows the samples: a flood writes as many lines as the store keeps samples, then one.
    if (stored) {
      capped.delete(deviceId);
      log.warn({ deviceId, topic, reason, problems: problems.slice(0, 3) }, 'dead letter');
      return;
    }
    metrics.deadLetterSamplesDropped[reason] = (metrics.deadLetterSamplesDropped[reason] ?? 0) + 1;
    if (!capped.has(deviceId)) {
      capped.add(deviceId);
      log.warn(
        { deviceId, topic, reason },
        'dead-letter samples capped for this device: further dead letters are only counted (coldchain_ingest_dead_letter_samples_dropped_total)',
      );
    }
  };

  /**
   * Acknowledged as soon as it is handed over, not when the re-evaluation ends: PUBACKs go out in
   * order (MQTT 3.1.1 §4.6), and reading a shipment's legs back from InfluxDB would hold every
   * device message behind it. A bad one is logged and dropped: it is no device's dead letter.
   */
  const takeCustodyChange = (shipmentId: string, payload: Buffer) => {
    const parsed = parseCustodyChange(payload, shipmentId);
    if (!parsed.ok) {
      log.warn({ shipmentId, problems: describe(parsed.problems) }, 'invalid custody change dropped');
      return;
    }
    deps.onCustodyChange?.(shipmentId);
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
    const known = isKnown(deviceId);
    if (!(typeof known === 'boolean' ? known : await known)) {
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
    const lines: string[] = [];
    let refused: DeadLetterReason | undefined;
    if (readings.length > 0) {
      const entries = readings.map((r) => ({ tsMs: r.tsMs, fields: readingFields(r) }));
      const decided = ledger.decide(deviceId, entries);
      const verdicts = decided instanceof Promise ? await decided : decided;
      let conflicts = false;
      for (let i = 0; i < entries.length; i++) {
        if ((verdicts[i] as Verdict).kind === 'conflict') conflicts = true;
        else {
          const e = entries[i] as LedgerEntry;
          lines.push(telemetryLine(deviceId, e.fields, e.tsMs));
        }
      }
      if (conflicts) {
        const { count, problems } = conflictProblems(entries, verdicts);
        metrics.conflicts += count;
        refused = { reason: CONFLICTING_READING, problems };
        if (count === readings.length) return { accepted: false, ...refused };
        readings = readings.filter((_, i) => (verdicts[i] as Verdict).kind !== 'conflict');
      }
    }
    for (const e of events) lines.push(eventToLine(deviceId, e));
    const { bytes, maxBytes } = journal.stats();
    if (bytes >= maxBytes && !journalFull) {
      journalFull = true;
      log.error({ bytes, maxBytes }, 'journal full: holding acknowledgements until InfluxDB catches up');
    }
    await journal.waitForRoom();
    if (journalFull) {
      journalFull = false;
      log.info('journal has room again: acknowledging');
    }
    await journal.append(lines);
    metrics.acceptedMessages++;
    metrics.acceptedReadings += readings.length;
    metrics.acceptedEvents += events.length;
    deps.onAccepted?.({ deviceId, arrivedAtMs, readings, events });
    return refused ? { accepted: true, refused } : { accepted: true };
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

        // PUBACK only once a message is safe (MQTT 3.1.1 §4.3.2: the PUBACK is our acceptance of
        // ownership), yet without waiting for each fdatasync in turn: mqtt.js handles incoming
        // PUBLISHes one at a time and sends the PUBACK when `handleMessage` calls back, which would
        // cost one disk flush per message. So `handleMessage` starts the journal append and calls
        // back at once; the PUBACK mqtt.js then sends is held in `sendPacket` below until that
        // message's flush (shared with the others in flight) has completed, and acknowledgements go
        // out in the order the messages came, as §4.6 requires.
        const durable = new Map<number, Promise<void>>();
        let ackChain: Promise<void> = Promise.resolve();
        let acksWaiting = 0;

        /**
         * Journals a message, or each device message of an envelope from our broker, or records it
         * as a dead letter; resolves once all of that is durable.
         */
        const take = (packet: IPublishPacket): Promise<void> => {
          const topic = packet.topic;
          const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
          if (topic === INGEST_BATCH_OFFER_TOPIC) return Promise.resolve();
          if (topic !== INGEST_BATCH_TOPIC) return takeOne(topic, payload);
          const batch = decodeIngestBatch(payload);
          if (!batch.ok) {
            log.error({ problem: batch.error, bytes: payload.length }, 'malformed envelope from the broker');
            return deadLetter(topic, null, payload, now(), 'malformed_envelope', [batch.error]);
          }
          metrics.envelopes++;
          return Promise.all(batch.value.messages.map((m) => takeOne(m.topic, m.payload))).then(() => {});
        };
        const takeOne = (topic: string, payload: Buffer): Promise<void> => {
          const custodyOf = parseCustodyTopic(topic);
          if (custodyOf !== null) {
            takeCustodyChange(custodyOf, payload);
            return Promise.resolve();
          }
          // A dead letter is counted before the message is acknowledged (acknowledgements are
          // pipelined, so waiting for it holds no other message back).
          return handle(topic, payload).then(async (outcome) => {
            const refused = outcome.accepted ? outcome.refused : outcome;
            if (refused) {
              await deadLetter(
                topic,
                parseDeviceTopic(topic)?.deviceId ?? null,
                payload,
                now(),
                refused.reason,
                refused.problems,
              );
            }
          });
        };

        // QoS 2 (only from a broker that ignores the QoS 1 we subscribe with, MQTT-3.8.4-6): the
        // receiver owns the message once it sends PUBREC (MQTT 3.1.1 §4.3.3), and mqtt.js calls
        // `handleMessage` only at PUBREL. So such a message is journaled before the PUBREC instead.
        const takenBeforePubrec = new Set<number>();
        (c.options as { customHandleAcks?: unknown }).customHandleAcks = (
          _topic: string,
          _message: Buffer,
          packet: IPublishPacket,
          answer: (code: number) => void,
        ) => {
          if (packet.qos !== 2 || packet.messageId === undefined) return answer(0);
          const id = packet.messageId;
          const stream = c.stream;
          take(packet).then(
            () => {
              takenBeforePubrec.add(id);
              if (c.stream === stream) answer(0);
            },
            (err: unknown) => {
              log.error({ err, messageId: id }, 'could not journal a QoS 2 message; reconnecting');
              if (c.stream === stream) c.stream.destroy();
            },
          );
        };

        c.handleMessage = (packet: IPublishPacket, callback: (err?: Error) => void) => {
          if (
            packet.qos === 2 &&
            packet.messageId !== undefined &&
            takenBeforePubrec.delete(packet.messageId)
          )
            return callback();
          const done = take(packet);
          if (packet.messageId !== undefined && packet.qos > 0) durable.set(packet.messageId, done);
          // Bounded pipelining: past MAX_ACKS_WAITING the next message waits for the oldest ones.
          if (acksWaiting >= MAX_ACKS_WAITING)
            ackChain.then(
              () => callback(),
              () => callback(),
            );
          else callback();
        };

        const sendPacket = (c as unknown as { _sendPacket: SendPacket })._sendPacket.bind(c);
        (c as unknown as { _sendPacket: SendPacket })._sendPacket = (packet, cb, cbStorePut, noStore) => {
          const safe =
            packet.cmd === 'puback' && packet.messageId !== undefined
              ? durable.get(packet.messageId)
              : undefined;
          if (!safe) return sendPacket(packet, cb, cbStorePut, noStore);
          durable.delete(packet.messageId as number);
          const stream = c.stream;
          acksWaiting++;
          ackChain = ackChain.then(() =>
            safe.then(
              () => {
                acksWaiting--;
                // A PUBACK belongs to the connection the PUBLISH came on; after a reconnect the
                // broker redelivers, and the id may name another message by then.
                if (c.stream === stream && c.connected) sendPacket(packet);
              },
              (err: unknown) => {
                acksWaiting--;
                // Not journaled: no PUBACK. Dropping the connection makes the broker deliver it again.
                log.error(
                  { err, messageId: packet.messageId },
                  'could not journal a message; reconnecting so that the broker redelivers it',
                );
                if (c.stream === stream) c.stream.destroy();
              },
            ),
          );
          cb?.();
        };

        /** Whether the broker offers envelopes (ours does; any other broker says nothing). */
        const brokerOffersEnvelopes = () =>
          new Promise<boolean>((resolve) => {
            const finish = (offered: boolean) => {
              clearTimeout(timer);
              c.off('message', onMessage);
              resolve(offered);
            };
            const onMessage = (topic: string, message: Buffer) => {
              if (topic === INGEST_BATCH_OFFER_TOPIC && message.length > 0) finish(true);
            };
            const timer = setTimeout(() => finish(false), OFFER_WAIT_MS);
            c.on('message', onMessage);
            c.subscribe(INGEST_BATCH_OFFER_TOPIC, { qos: 0 }, (err, granted) => {
              if (err || granted?.[0]?.qos === 128) finish(false);
            });
          });

        c.on('connect', async (connack) => {
          log.info({ sessionPresent: connack.sessionPresent }, 'connected to the broker');
          const envelopes = await brokerOffersEnvelopes();
          // A persistent session may hold the other way's subscriptions from an earlier run: they
          // go, so that no message comes both ways.
          c.unsubscribe(envelopes ? [TELEMETRY_TOPIC_FILTER, EVENTS_TOPIC_FILTER] : [INGEST_BATCH_TOPIC]);
          c.subscribe(
            {
              ...(envelopes
                ? { [INGEST_BATCH_TOPIC]: { qos: 1 as const } }
                : {
                    [TELEMETRY_TOPIC_FILTER]: { qos: 1 as const },
                    [EVENTS_TOPIC_FILTER]: { qos: 1 as const },
                  }),
              ...(deps.onCustodyChange ? { [CUSTODY_TOPIC_FILTER]: { qos: 1 as const } } : {}),
            },
            (err, granted) => {
              if (err || granted?.some((g) => g.qos === 128)) {
                const error = err ?? new Error('subscription refused by the broker');
                log.error({ err: error }, 'subscribe failed');
                if (!started) reject(error);
                return;
              }
              log.info(
                { filters: granted?.map((g) => g.topic), delivery: envelopes ? 'envelopes' : 'messages' },
                'subscribed',
              );
              if (!started) {
                started = true;
                resolve();
              }
            },
          );
        });
        // PUBACKs still waiting belong to the lost connection; the broker will redeliver.
        c.on('close', () => durable.clear());
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
