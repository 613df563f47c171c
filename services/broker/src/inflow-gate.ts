import type { Duplex } from 'node:stream';

/** A connection whose reading can be paused (an Aedes client). */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export interface InflowGate {
  /** Called for each accepted device message: pauses its sender while the backlog is high. */
  admit(client: Pausable): void;
  /** A client that went away: no longer resumed. */
  forget(client: Pausable): void;
  /** Clients paused now. */
  held(): number;
  /** Resumes everyone and stops watching. */
  close(): void;
}

/**
 * Flow control from the ingest back to the devices. Aedes acknowledges and accepts device
 * messages as fast as it can read them, whether or not the subscriber keeps up; what it cannot
 * deliver yet waits in its router's queue, in memory. Past `highWater` queued messages the gate
 * stops reading from each device that sends another message (TCP then holds the device back, and
 * the device keeps its readings buffered as it does offline) and resumes them all once the queue
 * is down to `lowWater`.
 */
export function createInflowGate(opts: {
  backlog: () => number;
  highWater: number;
  lowWater: number;
  checkEveryMs?: number;
  /** Told when the gate starts holding devices back, and when it lets them go (with how many). */
  onHold?: (backlog: number) => void;
  onRelease?: (devices: number, backlog: number) => void;
}): InflowGate {
  const held = new Set<Pausable>();
  let timer: NodeJS.Timeout | undefined;
  const release = () => {
    const backlog = opts.backlog();
    if (backlog > opts.lowWater) return;
    const clients = [...held];
    held.clear();
    clearInterval(timer);
    timer = undefined;
    for (const c of clients) c.resume();
    opts.onRelease?.(clients.length, backlog);
  };
  return {
    admit(client) {
      const backlog = opts.backlog();
      if (backlog < opts.highWater || held.has(client)) return;
      client.pause();
      held.add(client);
      if (timer) return;
      timer = setInterval(release, opts.checkEveryMs ?? 5);
      opts.onHold?.(backlog);
    },
    forget(client) {
      held.delete(client);
    },
    held: () => held.size,
    close() {
      clearInterval(timer);
      timer = undefined;
      const clients = [...held];
      held.clear();
      for (const c of clients) c.resume();
    },
  };
}

/**
 * Makes a connection pausable beneath Aedes. Aedes pulls bytes with `conn.read()` when it has
 * finished the packets of the previous chunk, and again on each 'readable' event (lib/client.js).
 * While paused, `read()` returns nothing: Aedes finishes the packets it has and waits, the socket's
 * buffer fills and TCP holds the sender back. Resuming signals 'readable' so Aedes reads again.
 * (Aedes' own `client.pause()` loses count of the packets in flight when it pauses mid-chunk,
 * and then never reads again.)
 */
export function pausableReads(conn: Duplex): Pausable {
  let paused = false;
  const read = conn.read.bind(conn);
  conn.read = (size?: number) => (paused ? null : read(size));
  return {
    pause() {
      paused = true;
    },
    resume() {
      if (!paused) return;
      paused = false;
      if (!conn.destroyed) conn.emit('readable');
    },
  };
}
