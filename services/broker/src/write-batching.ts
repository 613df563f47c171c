import type { Duplex } from 'node:stream';

/**
 * Sends everything a connection is given in one event-loop turn with one write.
 *
 * mqtt-packet corks the connection for each packet and uncorks it on the next tick, so each packet
 * Aedes writes becomes its own `writev`: one system call per PUBACK to a device and one per PUBLISH
 * to the ingest, since Aedes routes each message in a turn of its own. Profiled with one reading
 * per message, those calls were the largest single cost of the broker. Here the connection stays
 * corked until the end of the turn (`setImmediate`), so the packets written meanwhile leave
 * together; a packet waits at most one turn.
 *
 * Every way the connection ends flushes first: Aedes writes a refusing CONNACK, or the last PUBACK,
 * and destroys the connection right after, and a corked write would otherwise die with it.
 */
export function batchWritesPerTurn<T extends Duplex>(conn: T): T {
  const uncork = conn.uncork.bind(conn);
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    while (conn.writableCorked > 0) uncork();
  };
  conn.uncork = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  const destroy = conn.destroy.bind(conn);
  conn.destroy = (error?: Error) => {
    if (!conn.destroyed) flush();
    return destroy(error);
  };
  const stream: Duplex = conn;
  const end = stream.end.bind(stream) as (...args: unknown[]) => Duplex;
  stream.end = ((...args: unknown[]) => {
    flush();
    return end(...args);
  }) as Duplex['end'];
  return conn;
}
