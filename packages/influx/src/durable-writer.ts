import { Agent } from 'node:http';
import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import type { Journal } from './journal.js';
import type { InfluxConnection } from './local-server.js';

/**
 * Writes the journal to InfluxDB. The client's own retry buffer is not used for durability: it
 * drops lines after `maxRetries`/`maxRetryTime`, on `maxBufferLines` overflow, on non-retryable
 * 4xx and on `close()`. Here a segment leaves the journal only after InfluxDB confirmed all of
 * it, and failures are retried forever with exponential backoff and jitter.
 */
export interface DurableWriter {
  start(): void;
  /** Seals the journal and writes what it holds, for up to `timeoutMs`; the rest stays journaled. Safe to call twice. */
  close(timeoutMs?: number): Promise<void>;
}

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Each delay is multiplied by a random factor in [1 - jitter, 1]. */
  jitter: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 250, maxDelayMs: 10_000, jitter: 0.5 };

export interface WriterEvents {
  onWritten?(lines: number, elapsedMs: number): void;
  onRetry?(err: Error, attempt: number, delayMs: number): void;
  onQuarantine?(segment: string, err: Error): void;
}

export interface DurableWriterOptions extends WriterEvents {
  journal: Journal;
  connection: InfluxConnection;
  /** Lines per HTTP write. */
  batchLines?: number;
  /** The journal's active segment is sealed and written at least this often. */
  flushIntervalMs?: number;
  /**
   * Segments written at once (default 4, the HTTP agent's sockets). One write at a time leaves
   * InfluxDB waiting on each request's round trip and WAL sync (see `bench:ingest`). Points are
   * idempotent (the ledger refuses a conflicting rewrite), so the order in which segments land does
   * not matter.
   */
  concurrency?: number;
  retry?: RetryPolicy;
  requestTimeoutMs?: number;
  random?: () => number;
}

/** Whether InfluxDB refused the data itself (retrying the same lines cannot succeed). */
export function isMalformedDataError(err: unknown): boolean {
  return err instanceof HttpError && (err.statusCode === 400 || err.statusCode === 422);
}

export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs = 0,
): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(retryAfterMs, Math.round(base * (1 - policy.jitter * random())));
}

/** How often an idle writer looks whether the active segment holds a full batch yet. */
const FULL_BATCH_CHECK_MS = 20;

export function createDurableWriter(opts: DurableWriterOptions): DurableWriter {
  const { journal, connection } = opts;
  const batchLines = opts.batchLines ?? 5000;
  const flushIntervalMs = opts.flushIntervalMs ?? 200;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const retry = opts.retry ?? DEFAULT_RETRY;
  const random = opts.random ?? Math.random;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const influx = new InfluxDB({
    url: connection.url,
    token: connection.token,
    timeout: opts.requestTimeoutMs ?? 30_000,
    transportOptions: { agent },
  });
  const path = `/api/v2/write?org=${encodeURIComponent(connection.org)}&bucket=${encodeURIComponent(connection.bucket)}&precision=ms`;

  let stopping = false;
  let deadline = Number.POSITIVE_INFINITY;
  /** Sleepers (the loop, and each write waiting to retry) that `close` cuts short. */
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      }
      sleepers.add(done);
    });

  const post = (body: string) =>
    influx.transport.request(path, body, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    }) as Promise<unknown>;

  /**
   * Writes one batch (`lines` lines of line protocol in `body`), retrying until it succeeds,
   * InfluxDB calls the data malformed, or the close deadline passes.
   */
  async function writeBatch(body: string, lines: number): Promise<'written' | 'malformed' | 'gave-up'> {
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        await post(body);
        opts.onWritten?.(lines, Date.now() - started);
        return 'written';
      } catch (e) {
        const err = e as Error;
        if (isMalformedDataError(err)) throw err;
        const retryAfterMs = err instanceof HttpError ? err.retryAfter() : 0;
        const delay = retryDelayMs(attempt, retry, random, retryAfterMs);
        opts.onRetry?.(err, attempt, delay);
        if (Date.now() + delay > deadline) return 'gave-up';
        await sleep(delay);
        if (Date.now() > deadline) return 'gave-up';
      }
    }
  }

  /**
   * A segment's requests: the whole text when it fits in one. A segment sealed at a full batch
   * holds a few lines more (the journal takes whole messages), so up to half a batch more goes in
   * the same request rather than in a second, tiny one: InfluxDB's cost is largely per request.
   */
  async function batchesOf(segment: string): Promise<Array<{ body: string; lines: number }>> {
    const { text, lines } = await journal.readText(segment);
    if (lines <= batchLines * 1.5) return lines > 0 ? [{ body: text, lines }] : [];
    const all = text.split('\n');
    all.pop();
    const batches: Array<{ body: string; lines: number }> = [];
    for (let i = 0; i < all.length; i += batchLines) {
      const part = all.slice(i, i + batchLines);
      batches.push({ body: part.join('\n'), lines: part.length });
    }
    return batches;
  }

  async function writeSegment(segment: string): Promise<boolean> {
    for (const { body, lines } of await batchesOf(segment)) {
      try {
        if ((await writeBatch(body, lines)) === 'gave-up') return false;
      } catch (err) {
        opts.onQuarantine?.(segment, err as Error);
        await journal.quarantine(segment, (err as Error).message);
        return true;
      }
    }
    await journal.remove(segment);
    return true;
  }

  let loop: Promise<void> | null = null;
  /**
   * Seals the active segment every flush interval, or as soon as it holds a full batch: under load
   * the writer then goes from one full batch to the next instead of waiting out the interval after
   * each write (which capped a busy pipeline at a batch or two per interval), and at a low rate a
   * reading still waits at most the interval.
   */
  async function run() {
    let lastSeal = 0;
    /** Segments being written, each to its own end (written, quarantined, or given up at close). */
    const inFlight = new Map<string, Promise<boolean>>();
    let gaveUp = false;
    try {
      while (!gaveUp && (!stopping || Date.now() < deadline)) {
        const sinceSeal = Date.now() - lastSeal;
        if (sinceSeal >= flushIntervalMs || journal.activeLines() >= batchLines || stopping) {
          await journal.seal();
          lastSeal = Date.now();
        }
        const next = journal.sealed().find((s) => !inFlight.has(s));
        if (next && inFlight.size < concurrency) {
          const writing = writeSegment(next).then((written) => {
            inFlight.delete(next);
            if (!written) gaveUp = true;
            return written;
          });
          inFlight.set(next, writing);
          continue;
        }
        if (inFlight.size >= concurrency) {
          await Promise.race(inFlight.values());
          continue;
        }
        if (stopping && !next && inFlight.size === 0) return;
        const rest = Math.min(FULL_BATCH_CHECK_MS, Math.max(1, flushIntervalMs - (Date.now() - lastSeal)));
        await Promise.race([sleep(rest), ...inFlight.values()]);
      }
    } finally {
      // Nothing is left running behind close(): each write ends by its own deadline check.
      await Promise.allSettled(inFlight.values());
    }
  }

  let closing: Promise<void> | undefined;
  return {
    start() {
      loop ??= run();
    },
    close(timeoutMs = 10_000) {
      closing ??= (async () => {
        stopping = true;
        deadline = Date.now() + timeoutMs;
        for (const wake of [...sleepers]) wake();
        await (loop ?? run());
        agent.destroy();
      })();
      return closing;
    },
  };
}
