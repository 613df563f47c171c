/**
 * Device messages that are spooled (so acknowledged, or about to be) but that Aedes has not
 * routed yet, per connection. Aedes routes a QoS 1 message only after its PUBACK was written;
 * when the device's connection closes in between, the write fails and the message would stay in
 * the spool, unrouted, until the next start. Whatever a closed connection leaves here is routed
 * by the broker itself (the device may also send it again: the ingest writes a redelivered
 * reading as the identical point).
 */
export interface UnroutedMessages {
  /** The spool is writing it. */
  add(connection: object, topic: string, payload: Buffer): void;
  /** The spool has it. */
  spooled(connection: object, payload: Buffer): void;
  /** Aedes routed it (its `publish` event). */
  routed(connection: object, payload: Buffer): void;
  /** Not spooled after all (the spool failed): the device keeps it. */
  forget(connection: object, payload: Buffer): void;
  /** The connection has closed: what it left is routed once the current turn has finished. */
  gone(connection: object): void;
  isGone(connection: object): boolean;
  /** Routes one message of a closed connection now. */
  routeNow(connection: object, payload: Buffer): void;
  /** Messages waiting, over all connections (for tests and statistics). */
  size(): number;
}

export function createUnroutedMessages(route: (topic: string, payload: Buffer) => void): UnroutedMessages {
  const byConnection = new Map<object, Map<Buffer, { topic: string; spooled: boolean }>>();
  const closed = new WeakSet<object>();
  let count = 0;
  const take = (connection: object, payload: Buffer): string | undefined => {
    const pending = byConnection.get(connection);
    const entry = pending?.get(payload);
    if (!entry || !pending) return undefined;
    pending.delete(payload);
    count--;
    if (pending.size === 0) byConnection.delete(connection);
    return entry.topic;
  };
  return {
    add(connection, topic, payload) {
      let pending = byConnection.get(connection);
      if (!pending) {
        pending = new Map();
        byConnection.set(connection, pending);
      }
      if (!pending.has(payload)) count++;
      pending.set(payload, { topic, spooled: false });
    },
    spooled(connection, payload) {
      const entry = byConnection.get(connection)?.get(payload);
      if (entry) entry.spooled = true;
    },
    routed: take,
    forget: take,
    gone(connection) {
      closed.add(connection);
      // Aedes may still be routing a message whose PUBACK went out just before the close. One
      // the spool is still writing is routed when the spool calls back (see `isGone`).
      setImmediate(() => {
        const pending = byConnection.get(connection);
        if (!pending) return;
        for (const [payload, entry] of pending) {
          if (!entry.spooled) continue;
          take(connection, payload);
          route(entry.topic, payload);
        }
      });
    },
    isGone: (connection) => closed.has(connection),
    routeNow(connection, payload) {
      const topic = take(connection, payload);
      if (topic !== undefined) route(topic, payload);
    },
    size: () => count,
  };
}
