import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDeviceTopic, parseDeviceTopic, STATUS_TOPIC_FILTER } from '@coldchain/schema';
import type { MetadataStore, Principal } from '@coldchain/store';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { Logger } from 'pino';
import { BROKER_STATS_TOPIC, canPublish, canSubscribe, canUseClientId } from './acl.js';
import { createEmitter } from './emitter.js';
import type { OutgoingOverflow } from './indexed-outgoing.js';
import { createInflowGate, type Pausable, pausableReads } from './inflow-gate.js';
import { guardConnection } from './packet-size-guard.js';
import { createRateLimiter } from './rate-limit.js';
import { watchDeviceChanges } from './revocation-watch.js';
import type { Spool } from './spool.js';
import { createSpoolReplay } from './spool-replay.js';

export type RefusalReason =
  | 'no_credentials'
  | 'bad_credentials'
  | 'client_id_mismatch'
  | 'publish_denied'
  | 'subscribe_denied'
  | 'rate_limited'
  | 'packet_too_large'
  | 'spool_failed';

export interface BrokerStats {
  clients: number;
  devicesOnline: number;
  messagesIn: number;
  messagesOut: number;
  /** Device messages the ingest account has acknowledged. */
  messagesAcked: number;
  /** Device messages acknowledged to the device but not yet by the ingest. */
  spoolDepth: number;
  /** Of those, how many wait on disk only, for the ingest to come back. */
  spoolParked: number;
  /** Device messages accepted and waiting to be routed to subscribers. */
  routingBacklog: number;
  /** Devices the broker has stopped reading from until that backlog shrinks. */
  devicesHeld: number;
  refusals: Partial<Record<RefusalReason, number>>;
}

export interface BrokerOptions {
  store: MetadataStore;
  spool: Spool;
  log: Logger;
  /** Largest MQTT packet accepted, in bytes (remaining length). */
  maxPacketBytes: number;
  /** Per-device publish rate limit. */
  rateLimit: { ratePerSec: number; burst: number };
  /**
   * Device messages waiting to be routed before the broker stops reading from devices that send
   * more; it reads again at a quarter of it (see `createInflowGate`). Default 20,000.
   */
  routingHighWater?: number;
  /**
   * Messages a disconnected ingest's session queues in memory (with the in-memory persistence)
   * before further ones wait on disk only, in the spool. Default 10,000.
   */
  offlineQueueMax?: number;
  /** How often the store is checked for devices disabled or given a new secret (connected ones are disconnected). Default 2 s. */
  revocationPollMs?: number;
  /** How often broker statistics go to `$SYS/coldchain/broker/stats` (retained); 0: never. */
  statsIntervalMs: number;
  /** Aedes persistence; the default keeps sessions and retained messages in memory. */
  persistence?: AedesOptions['persistence'];
  now?: () => number;
}

export interface ColdchainBroker {
  readonly aedes: Aedes;
  /**
   * Publishes `offline` (retained) for every device whose retained status still says `online`:
   * at start no device is connected to this broker yet, so such a status is left from before a
   * crash (with a persistence that outlives the process). Resolves with how many it corrected.
   */
  markStaleStatusOffline(): Promise<number>;
  /** Serves one client connection (TCP socket, TLS socket or WebSocket stream). */
  handle(conn: Duplex, req?: IncomingMessage): void;
  stats(): BrokerStats;
  /** Disconnects every client and releases the broker. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Messages routed at once. Aedes also uses it to size each connection's listener limit. With
 * thousands of devices the default of 100 kept the emitter's queue long.
 */
const ROUTING_CONCURRENCY = 2000;
/** How long `close` waits for routing to finish before it disconnects everyone. */
const CLOSE_DRAIN_MS = 2_000;
/** Spooled messages replayed at once. */
const REPLAY_BATCH = 500;

type AuthError = Error & { returnCode: number };
const authError = (message: string, returnCode: number): AuthError =>
  Object.assign(new Error(message), { returnCode });

/**
 * The Aedes broker with the product's rules: every client authenticates (no anonymous access),
 * topic access follows the ACL, device messages are spooled before their PUBACK, and a per-device
 * rate limit holds. The broker does not own its transports: listeners call `handle`.
 */
export async function createBroker(opts: BrokerOptions): Promise<ColdchainBroker> {
  const { store, spool, log } = opts;
  const now = opts.now ?? Date.now;
  const principals = new WeakMap<Client, Principal>();
  const limiter = createRateLimiter(opts.rateLimit);
  const counters = { messagesIn: 0, messagesOut: 0, messagesAcked: 0, devicesOnline: 0 };
  const refusals: Partial<Record<RefusalReason, number>> = {};
  /** Whether an ingest has subscribed to device telemetry in this broker run. */
  let ingestSubscribed = false;
  /** Client ids the ingest account has connected with. */
  const ingestClientIds = new Set<string>();

  const refuse = (reason: RefusalReason, fields: Record<string, unknown>, message: string) => {
    refusals[reason] = (refusals[reason] ?? 0) + 1;
    log.warn({ reason, ...fields }, message);
  };

  const mq = createEmitter(ROUTING_CONCURRENCY);
  const routingBacklog = () => (mq as unknown as { length: number }).length;
  const lowWater = Math.floor((opts.routingHighWater ?? 20_000) / 4);
  const gate = createInflowGate({
    backlog: routingBacklog,
    highWater: opts.routingHighWater ?? 20_000,
    lowWater,
    onHold: (backlog) =>
      log.warn({ backlog }, 'routing backlog at its limit: holding back devices until subscribers catch up'),
    onRelease: (devices, backlog) => log.info({ devices, backlog }, 'routing backlog down: devices resumed'),
  });
  const pausable = new WeakMap<object, Pausable>();
  const connections = new Set<Pausable>();
  const aedes = await Aedes.createBroker({
    ...(opts.persistence ? { persistence: opts.persistence } : {}),
    heartbeatInterval: 60_000,
    // Messages routed at once (Aedes' default is 100); the rest wait in the emitter's queue.
    mq,
    concurrency: ROUTING_CONCURRENCY,
    drainTimeout: 30_000,
    // Device ids may be up to 64 characters (DESIGN.md §2); MQTT 3.1.1 allows longer client ids.
    maxClientsIdLength: 128,

    authenticate(client, username, password, done) {
      if (!username || !password) {
        refuse('no_credentials', { clientId: client.id }, 'anonymous connection refused');
        return done(authError('credentials required', 5), false);
      }
      store.verifyCredentials(username, password).then(
        (principal) => {
          if (!principal) {
            refuse('bad_credentials', { clientId: client.id, username }, 'bad username or password');
            return done(authError('bad username or password', 4), false);
          }
          const idCheck = canUseClientId(principal, client.id);
          if (!idCheck.allowed) {
            refuse('client_id_mismatch', { clientId: client.id, username }, idCheck.reason);
            return done(authError(idCheck.reason, 2), false);
          }
          principals.set(client, principal);
          done(null, true);
        },
        (err: unknown) => {
          log.error({ err, clientId: client.id }, 'credential check failed');
          done(authError('server unavailable', 3), false);
        },
      );
    },

    authorizePublish(client, packet, done) {
      const topic = packet.topic;
      if (!client) {
        // A will left by a client of an earlier broker life: only device status may go out.
        return done(parseDeviceTopic(topic)?.kind === 'status' ? null : new Error('orphan will refused'));
      }
      const who = principals.get(client);
      if (!who) return done(new Error('not authenticated'));
      const decision = canPublish(who, topic);
      if (!decision.allowed) {
        refuse('publish_denied', { clientId: client.id, topic }, decision.reason);
        return done(new Error(decision.reason));
      }
      if (who.kind === 'device') {
        if (!limiter.take(who.deviceId, now())) {
          refuse(
            'rate_limited',
            { clientId: client.id },
            `rate limit of ${opts.rateLimit.ratePerSec}/s exceeded: disconnecting`,
          );
          return done(new Error('rate limit exceeded'));
        }
        counters.messagesIn++;
        const reads = pausable.get(client.conn);
        if (reads) gate.admit(reads);
        const { kind } = decision;
        if (packet.qos > 0 && (kind === 'telemetry' || kind === 'events')) {
          // Aedes writes the PUBACK once this calls back: only after the spool has committed.
          const payload = packet.payload as Buffer;
          return spool.add(topic, payload, (err) => {
            if (!err) {
              // Before the ingest has subscribed in this broker run nothing will take the message
              // from Aedes: it waits on disk for the replay, not in memory.
              if (!ingestSubscribed) spool.park(payload);
              return done(null);
            }
            // No PUBACK then: the device keeps the message and sends it again.
            refuse('spool_failed', { clientId: client.id, err }, 'could not spool message');
            done(new Error('spool unavailable'));
          });
        }
      }
      done(null);
    },

    authorizeSubscribe(client, subscription, done) {
      const who = principals.get(client);
      const decision = who
        ? canSubscribe(who, subscription.topic)
        : { allowed: false as const, reason: 'not authenticated' };
      if (!decision.allowed) {
        refuse('subscribe_denied', { clientId: client.id, filter: subscription.topic }, decision.reason);
        // A negated subscription: SUBACK carries 0x80 for it, the connection stays (MQTT 3.1.1 §3.9.3).
        return done(null, null);
      }
      done(null, subscription);
    },

    authorizeForward(_client, packet) {
      counters.messagesOut++;
      return packet;
    },
  });

  aedes.on('ack', (packet, client) => {
    const who = principals.get(client);
    if (!packet || !('topic' in packet) || who?.kind !== 'service' || who.role !== 'ingest') return;
    spool.remove(packet.topic, packet.payload as Buffer);
    counters.messagesAcked++;
  });

  const replay = createSpoolReplay({
    spool,
    publish: (topic, payload) =>
      new Promise<void>((resolve) =>
        aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (err) => {
          if (err) log.error({ err, topic }, 'replay failed');
          resolve();
        }),
      ),
    routingBacklog,
    lowWater,
    closed: () => aedes.closed,
    log,
    batch: REPLAY_BATCH,
  });
  const isIngest = (client: Client) => {
    const who = principals.get(client);
    return who?.kind === 'service' && who.role === 'ingest';
  };

  aedes.on('subscribe', (subscriptions, client) => {
    if (!isIngest(client)) return;
    if (!subscriptions.some((s) => s.topic.endsWith('/telemetry') || s.topic.endsWith('/#'))) return;
    ingestSubscribed = true;
    replay.ingestOnline(client);
  });

  // A disconnected ingest's queue in Aedes (in memory) stops growing past `offlineQueueMax`: the
  // spool already has each message on disk, so it lets go of it and replays it on the return.
  const clients = () => (aedes as unknown as { clients: Record<string, Client | undefined> }).clients;
  (opts.persistence as { setOverflow?: (o: OutgoingOverflow) => void } | undefined)?.setOverflow?.({
    maxQueued: opts.offlineQueueMax ?? 10_000,
    isConnected: (clientId) =>
      Boolean((clients()[clientId] as { connected?: boolean } | undefined)?.connected),
    park: (clientId, packet) => {
      if (!ingestClientIds.has(clientId) || !Buffer.isBuffer(packet.payload)) return false;
      return spool.park(packet.payload);
    },
  });

  const publishStatus = (deviceId: string, status: 'online' | 'offline') =>
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

  aedes.on('clientReady', (client) => {
    const who = principals.get(client);
    log.debug({ clientId: client.id }, 'client connected');
    if (isIngest(client)) {
      ingestClientIds.add(client.id);
      // Back with its session (clean: false): what was parked while it was away follows its queue.
      if (ingestSubscribed) replay.ingestOnline(client);
    }
    if (who?.kind === 'device') {
      counters.devicesOnline++;
      publishStatus(who.deviceId, 'online');
    }
  });

  aedes.on('clientDisconnect', (client) => {
    replay.ingestOffline(client);
    const who = principals.get(client);
    log.debug({ clientId: client.id }, 'client disconnected');
    if (who?.kind !== 'device') return;
    const reads = pausable.get(client.conn);
    if (reads) gate.forget(reads);
    counters.devicesOnline--;
    limiter.forget(who.deviceId);
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

  const stats = (): BrokerStats => ({
    clients: aedes.connectedClients,
    devicesOnline: counters.devicesOnline,
    messagesIn: counters.messagesIn,
    messagesOut: counters.messagesOut,
    messagesAcked: counters.messagesAcked,
    spoolDepth: spool.depth(),
    routingBacklog: routingBacklog(),
    spoolParked: spool.parked(),
    devicesHeld: gate.held(),
    refusals: { ...refusals },
  });

  // A device disabled or given a new secret while connected is disconnected: logging in again
  // checks it against the store.
  const revocations = watchDeviceChanges({
    store,
    startMs: now(),
    pollMs: opts.revocationPollMs ?? 2_000,
    onChange: (change) => {
      const client = clients()[change.id];
      if (!client || principals.get(client)?.kind !== 'device') return;
      log.warn(
        { clientId: change.id, disabled: change.disabled },
        change.disabled
          ? 'device disabled: disconnecting it'
          : 'device credentials changed: disconnecting it',
      );
      client.close();
    },
    onError: (err) => log.error({ err }, 'could not check the store for revoked devices'),
  });

  const statsTimer =
    opts.statsIntervalMs > 0
      ? setInterval(() => {
          aedes.publish(
            {
              cmd: 'publish',
              topic: BROKER_STATS_TOPIC,
              payload: Buffer.from(JSON.stringify({ atMs: now(), ...stats() })),
              qos: 0,
              retain: true,
              dup: false,
            },
            () => {},
          );
        }, opts.statsIntervalMs)
      : undefined;
  statsTimer?.unref();

  let closing: Promise<void> | undefined;
  return {
    aedes,
    async markStaleStatusOffline() {
      const { persistence } = aedes as unknown as {
        persistence: {
          createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: Buffer }>;
        };
      };
      let corrected = 0;
      for await (const packet of persistence.createRetainedStreamCombi([STATUS_TOPIC_FILTER])) {
        const deviceId = parseDeviceTopic(packet.topic)?.deviceId;
        if (!deviceId || String(packet.payload) !== 'online') continue;
        const current = clients()[deviceId];
        if (current) continue;
        publishStatus(deviceId, 'offline');
        corrected++;
      }
      return corrected;
    },
    handle(conn, req) {
      const guarded = guardConnection(conn, opts.maxPacketBytes, (err) =>
        refuse(
          'packet_too_large',
          { remote: req?.socket.remoteAddress ?? (conn as { remoteAddress?: string }).remoteAddress },
          err.message,
        ),
      );
      const reads = pausableReads(guarded);
      pausable.set(guarded, reads);
      connections.add(reads);
      guarded.once('close', () => connections.delete(reads));
      aedes.handle(guarded, req);
    },
    stats,
    close() {
      closing ??= (async () => {
        clearInterval(statsTimer);
        revocations.stop();
        gate.close();
        // Finish what is in flight before disconnecting: read nothing more, let the spool write
        // what it has (its PUBACKs go out) and the router hand over what it holds, for a while.
        for (const reads of connections) reads.pause();
        const deadline = Date.now() + CLOSE_DRAIN_MS;
        await sleep(10);
        while (routingBacklog() > 0 && Date.now() < deadline) await sleep(10);
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
      })();
      return closing;
    },
  };
}
