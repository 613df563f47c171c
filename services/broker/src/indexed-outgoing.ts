import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

// aedes-persistence is CommonJS and its typings describe an ES default export; load it as Aedes does.
const memory = createRequire(import.meta.url)('aedes-persistence') as {
  (): object;
  Packet: new (p: QueuedPacket) => QueuedPacket;
};

interface QueuedPacket {
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
  topic?: string;
  payload?: unknown;
}

/** Lets a client's queue stop growing in memory while the client is away. */
export interface OutgoingOverflow {
  /** Queued messages of a disconnected client past which `park` is offered each new one. */
  maxQueued: number;
  isConnected(clientId: string): boolean;
  /** Takes a message off the queue's hands (true), or declines and it is queued anyway (false). */
  park(clientId: string, packet: QueuedPacket): boolean;
}

interface ClientRef {
  id: string;
}

/** The part of aedes-persistence's in-memory store that this module replaces. */
interface OutgoingStore {
  outgoingEnqueue(sub: { clientId: string }, packet: QueuedPacket): Promise<void>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: QueuedPacket): Promise<void>;
  outgoingUpdate(client: ClientRef, packet: QueuedPacket): Promise<void>;
  outgoingClearMessageId(client: ClientRef, packet: QueuedPacket): Promise<QueuedPacket | undefined>;
  outgoingStream(client: ClientRef): Readable;
}

/**
 * Aedes' default in-memory persistence with the outgoing queues indexed. The stock queue is an
 * array searched from the front and spliced on every PUBACK, and with a persistent session
 * (`clean: false`, the ingest's) every message passes through it: profiling the broker under load
 * showed 15% of its CPU there. Here each client's queue is a Map in delivery order, keyed by the
 * broker's packet identity, with a second Map from MQTT message id to that key: enqueue, update
 * and clear are O(1), and `outgoingStream` still replays in order after a reconnect.
 *
 * With `setOverflow`, a disconnected client's queue stops growing past a bound: the broker parks
 * further messages elsewhere (the spool, on disk) and publishes them again when the client is back.
 *
 * Everything else (subscriptions, retained messages, wills, incoming QoS 2) stays aedes-persistence's.
 */
export function memoryPersistenceWithIndexedOutgoing(): object & {
  setOverflow(overflow: OutgoingOverflow): void;
} {
  const persistence = memory();
  const inner = (persistence as unknown as { asyncPersistence: OutgoingStore }).asyncPersistence;
  const Packet = memory.Packet;
  const queues = new Map<string, { byKey: Map<string, QueuedPacket>; byMessageId: Map<number, string> }>();
  const queueOf = (clientId: string) => {
    let q = queues.get(clientId);
    if (!q) {
      q = { byKey: new Map(), byMessageId: new Map() };
      queues.set(clientId, q);
    }
    return q;
  };
  const keyOf = (p: QueuedPacket) => `${p.brokerId}:${p.brokerCounter}`;
  let overflow: OutgoingOverflow | undefined;
  const enqueue = (clientId: string, packet: QueuedPacket) => {
    const q = queueOf(clientId);
    // Only a disconnected client's queue: a connected one's holds what is in flight to it, which
    // Aedes updates and clears by message id.
    if (
      overflow &&
      q.byKey.size >= overflow.maxQueued &&
      !overflow.isConnected(clientId) &&
      overflow.park(clientId, packet)
    )
      return;
    q.byKey.set(keyOf(packet), new Packet(packet));
  };

  inner.outgoingEnqueue = async (sub, packet) => enqueue(sub.clientId, packet);
  inner.outgoingEnqueueCombi = async (subs, packet) => {
    for (const sub of subs) enqueue(sub.clientId, packet);
  };
  inner.outgoingUpdate = async (client, packet) => {
    const q = queueOf(client.id);
    const key = keyOf(packet);
    const queued = q.byKey.get(key);
    if (queued) {
      if (queued.messageId !== undefined && q.byMessageId.get(queued.messageId) === key)
        q.byMessageId.delete(queued.messageId);
      queued.messageId = packet.messageId;
      if (packet.messageId !== undefined) q.byMessageId.set(packet.messageId, key);
      return;
    }
    // As the stock store does: a packet from elsewhere that reuses a message id replaces it.
    const other = packet.messageId === undefined ? undefined : q.byMessageId.get(packet.messageId);
    if (other === undefined) throw new Error('no such packet');
    q.byKey.set(other, packet);
  };
  inner.outgoingClearMessageId = async (client, packet) => {
    const q = queues.get(client.id);
    const key = packet.messageId === undefined ? undefined : q?.byMessageId.get(packet.messageId);
    if (!q || key === undefined) return undefined;
    const queued = q.byKey.get(key);
    q.byKey.delete(key);
    q.byMessageId.delete(packet.messageId as number);
    return queued;
  };
  inner.outgoingStream = (client) => Readable.from([...(queues.get(client.id)?.byKey.values() ?? [])]);
  return Object.assign(persistence, {
    setOverflow(o: OutgoingOverflow) {
      overflow = o;
    },
  });
}
