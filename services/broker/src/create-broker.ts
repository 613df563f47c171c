import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  INGEST_BATCH_OFFER_TOPIC,
  INGEST_BATCH_TOPIC,
  parseDeviceTopic,
  STATUS_TOPIC_FILTER,
} from '@coldchain/schema';
import type { MetadataStore } from '@coldchain/store';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { Logger } from 'pino';
import { BROKER_STATS_TOPIC } from './acl.js';
import {
  CONNECTION_LIMIT_DEFAULTS,
  type ConnectionLimitOptions,
  createConnectionLimits,
  remoteAddressOf,
} from './connection-limits.js';
import { createEmitter } from './emitter.js';
import { createAuthenticate } from './hooks/authenticate.js';
import { createAuthorizeForward } from './hooks/authorize-forward.js';
import { createAuthorizePublish } from './hooks/authorize-publish.js';
import { createAuthorizeSubscribe } from './hooks/authorize-subscribe.js';
import { createBrokerContext, type RefusalReason } from './hooks/broker-context.js';
import { publishDeviceStatus, wireClientEvents } from './hooks/client-events.js';
import type { OutgoingOverflow } from './indexed-outgoing.js';
import { createInflowGate, type Pausable, pausableReads } from './inflow-gate.js';
import { createIngestBatcher } from './ingest-batcher.js';
import { createLoginBackoff } from './login-backoff.js';
import { guardConnection } from './packet-size-guard.js';
import { guardPersistence } from './persistence-guard.js';
import { createRateLimiter } from './rate-limit.js';
import type { RefusalLogOptions } from './refusal-log.js';
import { watchDeviceChanges } from './revocation-watch.js';
import type { Spool } from './spool.js';
import { createSpoolReplay } from './spool-replay.js';
import { createUnroutedMessages } from './unrouted-messages.js';
import { batchWritesPerTurn } from './write-batching.js';

export type { RefusalReason } from './hooks/broker-context.js';

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
   * CONNECT size and timeout, connection caps, CONNECTs per device, back-off after failed logins;
   * each missing one takes its value from `CONNECTION_LIMIT_DEFAULTS`.
   */
  connectionLimits?: Partial<ConnectionLimitOptions>;
  /** How refusals are logged (aggregated per client and reason; counted exactly in `stats`). */
  refusalLog?: RefusalLogOptions;
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
  /**
   * How often the broker announces itself to others sharing its persistence. Wills of a broker
   * not heard for 3 intervals are swept (dropped, see `guardPersistence`) every 4. Default 60 s.
   */
  heartbeatIntervalMs?: number;
  /**
   * Hands device messages to an ingest that asks for it many to one envelope per event-loop turn
   * (`@coldchain/schema`'s ingest batch) instead of one MQTT message each. Default true.
   */
  ingestBatches?: boolean;
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
/** An envelope to the ingest carries at most this many device messages, and this many payload bytes. */
const INGEST_BATCH_MAX_MESSAGES = 1000;
const INGEST_BATCH_MAX_BYTES = 1024 * 1024;

/**
 * The Aedes broker with the product's rules: every client authenticates (no anonymous access),
 * topic access follows the ACL at SUBSCRIBE, in the stored session and at delivery, device
 * messages are spooled before their PUBACK, and a per-device rate limit holds. Each hook lives in
 * its own module under `hooks/`; this function wires them. The broker does not own its
 * transports: listeners call `handle`.
 */
export async function createBroker(opts: BrokerOptions): Promise<ColdchainBroker> {
  const { store, spool, log } = opts;
  const now = opts.now ?? Date.now;
  const ctx = createBrokerContext(log, now, opts.refusalLog);
  const limiter = createRateLimiter(opts.rateLimit);
  const limits = { ...CONNECTION_LIMIT_DEFAULTS, ...opts.connectionLimits };
  const connectionCaps = createConnectionLimits({
    maxTotal: limits.maxConnections,
    maxPerAddress: limits.maxConnectionsPerAddress,
  });
  const backoff = (failuresBeforeBackoff: number) =>
    createLoginBackoff({
      failuresBeforeBackoff,
      baseMs: limits.loginBackoffMs,
      maxMs: limits.loginBackoffMaxMs,
    });
  /** Whether an ingest has subscribed to device telemetry in this broker run. */
  let ingestSubscribed = false;
  const ingestClientIds = new Set<string>();

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
  const sockets = new Set<Duplex>();
  let aedesRef: Aedes | undefined;
  const offersBatches = opts.ingestBatches ?? true;
  // Set once an ingest subscribes to the envelopes: from then on every spooled device message
  // also goes into the envelope of its turn, and replays go only there.
  let batching = false;
  const batcher = createIngestBatcher({
    publish: (envelope, done) =>
      aedesRef?.publish(
        { cmd: 'publish', topic: INGEST_BATCH_TOPIC, payload: envelope, qos: 1, retain: false, dup: false },
        (err) => {
          if (err) log.error({ err }, 'routing an envelope of device messages to the ingest failed');
          done();
        },
      ),
    maxMessages: INGEST_BATCH_MAX_MESSAGES,
    maxBytes: INGEST_BATCH_MAX_BYTES,
  });
  const routeQos1 = (topic: string, payload: Buffer) =>
    new Promise<void>((resolve) => {
      if (batching) return batcher.add(topic, payload, resolve);
      aedesRef?.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (err) => {
        if (err) log.error({ err, topic }, 'routing a spooled message failed');
        resolve();
      });
    });
  const unrouted = createUnroutedMessages((topic, payload) => void routeQos1(topic, payload));
  let persistenceGuard: ReturnType<typeof guardPersistence> | undefined;

  const aedes = await Aedes.createBroker({
    ...(opts.persistence ? { persistence: opts.persistence } : {}),
    heartbeatInterval: opts.heartbeatIntervalMs ?? 60_000,
    // Messages routed at once (Aedes' default is 100); the rest wait in the emitter's queue.
    mq,
    concurrency: ROUTING_CONCURRENCY,
    drainTimeout: 30_000,
    // Device ids may be up to 64 characters (DESIGN.md §2); MQTT 3.1.1 allows longer client ids.
    maxClientsIdLength: 128,
    // A CONNECT is small and sent at once; a socket that has not sent it by then is let go.
    connectTimeout: limits.connectTimeoutMs,
    authenticate: createAuthenticate(ctx, {
      store,
      connects: createRateLimiter({ ratePerSec: limits.connectRatePerMin / 60, burst: limits.connectBurst }),
      backoff: {
        byUsername: backoff(limits.loginFailuresPerId),
        byAddress: backoff(limits.loginFailuresPerAddress),
      },
    }),
    authorizePublish: createAuthorizePublish(ctx, {
      spool,
      limiter,
      rateLimit: opts.rateLimit,
      gate,
      pausable,
      unrouted,
      ingestSubscribed: () => ingestSubscribed,
    }),
    authorizeSubscribe: createAuthorizeSubscribe(ctx, {
      forgetStoredFilter: (clientId, filter) => persistenceGuard?.forgetStoredFilter(clientId, filter),
    }),
    authorizeForward: createAuthorizeForward(ctx),
  });
  aedesRef = aedes;
  // A client's message counts as routed the moment Aedes starts routing it (its 'publish' event
  // comes only after the offline queues are written, too late to tell a closed connection's
  // leftovers from messages on their way).
  const publish = aedes.publish.bind(aedes);
  // It is also where a device's message joins the ingest's envelope: Aedes itself still routes it
  // to any other subscriber of its topic.
  aedes.publish = ((packet: Parameters<Aedes['publish']>[0], client: unknown, done?: unknown) => {
    if (client && typeof client === 'object' && Buffer.isBuffer(packet.payload)) {
      unrouted.routed(client, packet.payload);
      if (batching && packet.qos > 0 && spool.holds(packet.payload))
        batcher.add(packet.topic, packet.payload);
    }
    return (publish as (...args: unknown[]) => void)(packet, client, done);
  }) as Aedes['publish'];
  persistenceGuard = guardPersistence(aedes, ctx.principals, log);

  const replay = createSpoolReplay({
    spool,
    publish: routeQos1,
    routingBacklog,
    lowWater,
    closed: () => aedes.closed,
    log,
    batch: REPLAY_BATCH,
  });
  wireClientEvents(aedes, ctx, {
    spool,
    replay,
    gate,
    pausable,
    unrouted,
    ingestClientIds,
    ingestSubscribed: () => ingestSubscribed,
    onIngestSubscribed: (envelopes) => {
      ingestSubscribed = true;
      if (envelopes && offersBatches) batching = true;
    },
    batcher,
  });
  // The offer an ingest looks for (retained): this broker hands over envelopes when asked. Without
  // it an empty retained message clears an offer a persistence kept from an earlier run.
  aedes.publish(
    {
      cmd: 'publish',
      topic: INGEST_BATCH_OFFER_TOPIC,
      payload: offersBatches
        ? Buffer.from(JSON.stringify({ version: 1, topic: INGEST_BATCH_TOPIC }))
        : Buffer.alloc(0),
      qos: 0,
      retain: true,
      dup: false,
    },
    () => {},
  );

  // A disconnected ingest's queue in Aedes (in memory) stops growing past `offlineQueueMax`: the
  // spool already has each message on disk, so it lets go of it and replays it on the return.
  const clients = () => (aedes as unknown as { clients: Record<string, Client | undefined> }).clients;
  (opts.persistence as { setOverflow?: (o: OutgoingOverflow) => void } | undefined)?.setOverflow?.({
    maxQueued: opts.offlineQueueMax ?? 10_000,
    isConnected: (clientId) =>
      Boolean((clients()[clientId] as { connected?: boolean } | undefined)?.connected),
    park: (clientId, packet) => {
      if (!ingestClientIds.has(clientId) || !Buffer.isBuffer(packet.payload)) return false;
      if (packet.topic !== INGEST_BATCH_TOPIC) return spool.park(packet.payload);
      // An envelope goes when every message in it waits on disk; one that cannot (not written
      // yet) keeps the envelope queued, and those parked meanwhile come twice, never not at all.
      const messages = batcher.messagesOf(packet.payload);
      if (!messages) return false;
      let parkedAll = true;
      for (const m of messages) if (!spool.park(m.payload)) parkedAll = false;
      if (parkedAll) batcher.acknowledged(packet.payload);
      return parkedAll;
    },
  });

  const stats = (): BrokerStats => ({
    clients: aedes.connectedClients,
    devicesOnline: ctx.counters.devicesOnline,
    messagesIn: ctx.counters.messagesIn,
    messagesOut: ctx.counters.messagesOut,
    messagesAcked: ctx.counters.messagesAcked,
    spoolDepth: spool.depth(),
    routingBacklog: routingBacklog(),
    spoolParked: spool.parked(),
    devicesHeld: gate.held(),
    refusals: { ...ctx.refusals },
  });

  // A device disabled or given a new secret while connected is disconnected: logging in again
  // checks it against the store. Its will goes with it: a revoked device publishes nothing more.
  const revocations = watchDeviceChanges({
    store,
    startMs: now(),
    pollMs: opts.revocationPollMs ?? 2_000,
    onChange: (change) => {
      const client = clients()[change.id];
      if (!client || ctx.principals.get(client)?.kind !== 'device') return;
      log.warn(
        { clientId: change.id, disabled: change.disabled },
        change.disabled
          ? 'device disabled: disconnecting it'
          : 'device credentials changed: disconnecting it',
      );
      (client as unknown as { will: unknown }).will = null;
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
        if (clients()[deviceId]) continue;
        publishDeviceStatus(aedes, log, deviceId, 'offline');
        corrected++;
      }
      return corrected;
    },
    handle(conn, req) {
      const remote = remoteAddressOf(conn, req);
      // Over a cap the connection is closed before a byte of it is read.
      const place = connectionCaps.open(remote);
      if ('refused' in place) {
        ctx.refuse(
          place.refused === 'total' ? 'too_many_connections' : 'too_many_connections_from_address',
          { remote },
          place.refused === 'total'
            ? `${limits.maxConnections} connections open: connection closed`
            : `${limits.maxConnectionsPerAddress} connections open from this address: connection closed`,
        );
        conn.destroy();
        return;
      }
      sockets.add(conn);
      conn.once('close', () => {
        place.release();
        sockets.delete(conn);
      });
      const guarded = guardConnection(
        batchWritesPerTurn(conn),
        { maxPacketBytes: opts.maxPacketBytes, maxConnectBytes: limits.maxConnectBytes },
        (err) =>
          ctx.refuse(
            (err as { code?: string }).code === 'connect_too_large'
              ? 'connect_too_large'
              : 'packet_too_large',
            { remote },
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
        // Connections that never completed a CONNECT are not Aedes' clients yet: they go too.
        for (const conn of sockets) conn.destroy();
        ctx.close();
      })();
      return closing;
    },
  };
}
