import { formatDeviceTopic, INGEST_BATCH_TOPIC } from '@coldchain/schema';
import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import type { InflowGate, Pausable } from '../inflow-gate.js';
import type { IngestBatcher } from '../ingest-batcher.js';
import type { Spool } from '../spool.js';
import type { SpoolReplay } from '../spool-replay.js';
import type { UnroutedMessages } from '../unrouted-messages.js';
import { type BrokerContext, isIngestPrincipal } from './broker-context.js';

export interface ClientEventsDeps {
  spool: Spool;
  replay: SpoolReplay;
  gate: InflowGate;
  pausable: WeakMap<object, Pausable>;
  unrouted: UnroutedMessages;
  /** Whether an ingest has subscribed to device messages in this broker run. */
  ingestSubscribed(): boolean;
  /** Called when an ingest subscribes to device messages; `envelopes` when it asked for them batched. */
  onIngestSubscribed(envelopes: boolean): void;
  batcher: IngestBatcher;
  /** Client ids the ingest account has connected with. */
  ingestClientIds: Set<string>;
}

/** Publishes a device's status, retained: the broker alone says whether a device is online. */
export function publishDeviceStatus(
  aedes: Aedes,
  log: Logger,
  deviceId: string,
  status: 'online' | 'offline',
): void {
  aedes.publish(
    {
      cmd: 'publish',
      topic: formatDeviceTopic(deviceId, 'status'),
      payload: Buffer.from(status),
      qos: 1,
      retain: true,
      dup: false,
    },
    (err) => err && log.error({ err, deviceId }, 'status publish failed'),
  );
}

/** The broker's reactions to client life events: device status, spool release, replay. */
export function wireClientEvents(aedes: Aedes, ctx: BrokerContext, deps: ClientEventsDeps): void {
  const { spool, replay, gate, unrouted } = deps;
  const { log, principals, counters } = ctx;
  const isIngest = (client: Client) => isIngestPrincipal(principals.get(client));
  const clients = () => (aedes as unknown as { clients: Record<string, Client | undefined> }).clients;

  const publishStatus = (deviceId: string, status: 'online' | 'offline') =>
    publishDeviceStatus(aedes, log, deviceId, status);

  // The ingest's PUBACK releases a device message from the spool, or all those of an envelope.
  aedes.on('ack', (packet, client) => {
    if (!packet || !('topic' in packet) || !isIngest(client)) return;
    if (packet.topic === INGEST_BATCH_TOPIC) {
      for (const m of deps.batcher.acknowledged(packet.payload as Buffer)) {
        spool.remove(m.topic, m.payload);
        counters.messagesAcked++;
      }
      return;
    }
    spool.remove(packet.topic, packet.payload as Buffer);
    counters.messagesAcked++;
  });

  aedes.on('subscribe', (subscriptions, client) => {
    if (!isIngest(client)) return;
    const granted = subscriptions.filter((s) => (s.qos as number) !== 128);
    const envelopes = granted.some((s) => s.topic === INGEST_BATCH_TOPIC);
    if (!envelopes && !granted.some((s) => s.topic.endsWith('/telemetry') || s.topic.endsWith('/#'))) return;
    deps.onIngestSubscribed(envelopes);
    replay.ingestOnline(client);
  });

  aedes.on('clientReady', (client) => {
    const who = principals.get(client);
    log.debug({ clientId: client.id }, 'client connected');
    if (isIngest(client)) {
      deps.ingestClientIds.add(client.id);
      // Back with its session (clean: false): what was parked while it was away follows its queue.
      if (deps.ingestSubscribed()) replay.ingestOnline(client);
    }
    if (who?.kind === 'device') {
      counters.devicesOnline++;
      publishStatus(who.deviceId, 'online');
    }
  });

  aedes.on('clientDisconnect', (client) => {
    replay.ingestOffline(client);
    unrouted.gone(client);
    const who = principals.get(client);
    log.debug({ clientId: client.id }, 'client disconnected');
    if (who?.kind !== 'device') return;
    const reads = deps.pausable.get(client.conn);
    if (reads) gate.forget(reads);
    counters.devicesOnline--;
    // The device's rate-limit bucket stays: a reconnect must not refill it (see `createRateLimiter`).
    // The status goes offline whether or not the device left a will; unless a newer connection of
    // the same device has taken over the session (MQTT-3.1.4-2).
    const current = clients()[client.id];
    if (!aedes.closed && (!current || current === client)) publishStatus(who.deviceId, 'offline');
  });

  aedes.on('clientError', (client, err) =>
    log.debug({ clientId: client.id, err: err.message }, 'client error'),
  );
  aedes.on('connectionError', (client, err) =>
    log.debug({ clientId: client.id, err: err.message }, 'connection error'),
  );
  // Aedes emits 'error' for faults of its own (a persistence that fails, a sweep that throws);
  // with no listener Node would end the process. Nothing a client sends may do that.
  (aedes as unknown as NodeJS.EventEmitter).on('error', (err: Error) => log.error({ err }, 'broker error'));
}
