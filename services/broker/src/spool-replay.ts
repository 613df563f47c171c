import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Spool } from './spool.js';

export interface SpoolReplay {
  /** An ingest connection that is subscribed to device messages: parked ones go to it now. */
  ingestOnline(connection: object): void;
  ingestOffline(connection: object): void;
}

/**
 * Spooled messages parked on disk (see `Spool`) go to the ingest while one is connected and
 * subscribed: in batches, each after the last has been routed and the router's queue is short, so
 * a large spool neither floods memory nor starves live traffic. Replays run one at a time; a
 * batch published while the ingest leaves queues in its session or is parked again.
 */
export function createSpoolReplay(deps: {
  spool: Spool;
  /** Publishes to subscribers; resolves once routed. */
  publish: (topic: string, payload: Buffer) => Promise<void>;
  routingBacklog: () => number;
  /** The backlog the next batch waits for. */
  lowWater: number;
  closed: () => boolean;
  log: Logger;
  batch?: number;
}): SpoolReplay {
  const { spool, log } = deps;
  const online = new Set<object>();
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    let replayed = 0;
    try {
      while (spool.parked() > 0 && online.size > 0 && !deps.closed()) {
        const batch = spool.unpark(deps.batch ?? 500);
        if (replayed === 0)
          log.info(
            { messages: spool.parked() + batch.length },
            'replaying spooled device messages to the ingest',
          );
        await Promise.all(batch.map((m) => deps.publish(m.topic, m.payload)));
        replayed += batch.length;
        while (deps.routingBacklog() > deps.lowWater && !deps.closed()) await sleep(10);
      }
    } finally {
      running = false;
    }
    if (replayed > 0) log.info({ messages: replayed, stillParked: spool.parked() }, 'replay done');
  };
  return {
    ingestOnline(connection) {
      online.add(connection);
      void run();
    },
    ingestOffline(connection) {
      online.delete(connection);
    },
  };
}
