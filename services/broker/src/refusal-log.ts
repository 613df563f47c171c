import type { Logger } from 'pino';

export interface RefusalLogOptions {
  /** Lines logged for one client and reason before further ones are only counted. Default 5. */
  linesPerClient?: number;
  /** Lines logged per interval over all clients before further ones are only counted. Default 200. */
  maxLinesPerInterval?: number;
  /** How often the counts of refusals not logged are written, one line per reason. Default 10 s. */
  intervalMs?: number;
}

/**
 * The broker's log of refusals, aggregated. Each refusal is a line of its own until a client has
 * had `linesPerClient` of one reason, or the broker `maxLinesPerInterval` in an interval; after
 * that it is only counted, and every `intervalMs` one line per reason says how many went unlogged,
 * from how many clients, and which clients had the most. A device that sends one SUBSCRIBE of
 * 5,000 denied filters, or a storm of wrong passwords, costs a few lines, not megabytes of disk.
 * A client that has not been refused for a whole interval logs in full again. The exact counts are
 * kept by the caller (`BrokerStats.refusals`), not here.
 */
export interface RefusalLog {
  write(reason: string, who: string, fields: Record<string, unknown>, message: string): void;
  /** Writes the counts of what was not logged. */
  flush(): void;
  /** Flushes and stops the timer. Safe to call twice. */
  close(): void;
}

/** Clients tracked per interval; past it the rest count under one entry per reason. */
const MAX_TRACKED = 10_000;
const OTHERS = '(others)';
const TOP_CLIENTS = 5;

interface Tracked {
  reason: string;
  who: string;
  logged: number;
  suppressed: number;
}

export function createRefusalLog(log: Logger, opts: RefusalLogOptions = {}): RefusalLog {
  const linesPerClient = opts.linesPerClient ?? 5;
  const maxLines = opts.maxLinesPerInterval ?? 200;
  const intervalMs = opts.intervalMs ?? 10_000;
  const tracked = new Map<string, Tracked>();
  let linesThisInterval = 0;

  const flush = () => {
    const byReason = new Map<string, Tracked[]>();
    for (const [key, t] of tracked) {
      // A client with nothing unlogged this interval is forgotten: its next refusal logs again.
      if (t.suppressed === 0) {
        tracked.delete(key);
        continue;
      }
      const list = byReason.get(t.reason);
      if (list) list.push(t);
      else byReason.set(t.reason, [t]);
    }
    for (const [reason, list] of byReason) {
      const suppressed = list.reduce((sum, t) => sum + t.suppressed, 0);
      const top = [...list]
        .sort((a, b) => b.suppressed - a.suppressed)
        .slice(0, TOP_CLIENTS)
        .map((t) => ({ client: t.who, count: t.suppressed }));
      log.warn(
        { reason, suppressed, clients: list.length, top, intervalMs },
        `${suppressed} more refusals (${reason}) from ${list.length} clients not logged one by one`,
      );
      for (const t of list) t.suppressed = 0;
    }
    linesThisInterval = 0;
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();

  let closed = false;
  return {
    write(reason, who, fields, message) {
      let key = `${reason}\u0000${who}`;
      let t = tracked.get(key);
      if (!t) {
        const overflow = tracked.size >= MAX_TRACKED;
        if (overflow) key = `${reason}\u0000${OTHERS}`;
        t = tracked.get(key) ?? { reason, who: overflow ? OTHERS : who, logged: 0, suppressed: 0 };
        tracked.set(key, t);
      }
      if (t.logged < linesPerClient && linesThisInterval < maxLines) {
        t.logged++;
        linesThisInterval++;
        log.warn({ reason, ...fields }, message);
        return;
      }
      t.suppressed++;
    },
    flush,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      flush();
    },
  };
}
