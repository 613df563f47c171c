import type pg from 'pg';
import type { DeadLetter, DeadLetterLimits, DeadLetterStats, NewDeadLetter } from '../store.js';
import { inTransaction } from './postgres-transaction.js';
import { DEAD_LETTER_PAYLOAD_BYTES } from './sqlite-dead-letters.js';

/** Samples deleted per prune step: bounded, so that the dead letter that runs a prune stays cheap. */
const PRUNE_BATCH = 1000;
/** How often a dead letter also runs a prune step (expired samples, caps lowered since the last start). */
const PRUNE_EVERY_MS = 60_000;
/** The key of dead letters whose topic named no device (counts and samples need a non-null key). */
const NO_DEVICE = '';

export interface PostgresDeadLetters {
  add(letter: NewDeadLetter): Promise<{ stored: boolean }>;
  list(opts?: { deviceId?: string; limit?: number }): Promise<DeadLetter[]>;
  countByReason(): Promise<Record<string, number>>;
  countByDevice(deviceId: string | null): Promise<Record<string, number>>;
  stats(): Promise<DeadLetterStats>;
  prune(): Promise<number>;
}

/**
 * Dead letters in the shared PostgreSQL database, with the rules of the SQLite store: each dead
 * letter bumps its counters and stores a sample only while its device and the total are under
 * their caps, in one transaction. That transaction first locks the one totals row, so dead
 * letters of every process are counted against the caps one after another and the caps hold
 * exactly; each later statement of the transaction (READ COMMITTED) sees what the previous
 * holder of the lock committed. Past a cap a flood costs one counter upsert per message.
 */
export async function openPostgresDeadLetters(opts: {
  pool: pg.Pool;
  limits: DeadLetterLimits;
  now: () => number;
}): Promise<PostgresDeadLetters> {
  const { pool, limits, now } = opts;

  const add = (letter: NewDeadLetter) =>
    inTransaction(pool, async (c) => {
      const deviceKey = letter.deviceId ?? NO_DEVICE;
      const total = await c.query<{ stored: number }>(
        'SELECT stored FROM dead_letter_totals WHERE id = 1 FOR UPDATE',
      );
      const device = await c.query<{ stored: number }>(
        'SELECT stored FROM dead_letter_devices WHERE device_id = $1',
        [deviceKey],
      );
      const stored =
        (device.rows[0]?.stored ?? 0) < limits.perDevice && (total.rows[0]?.stored ?? 0) < limits.total;
      if (stored) {
        await c.query(
          `INSERT INTO dead_letters (device_id, topic, arrived_at_ms, reason, problems, payload, payload_bytes)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            deviceKey,
            letter.topic,
            letter.arrivedAtMs,
            letter.reason,
            JSON.stringify(letter.problems),
            // PostgreSQL text cannot hold NUL; the payload is kept lossy as UTF-8 anyway.
            letter.payload
              .subarray(0, DEAD_LETTER_PAYLOAD_BYTES)
              .toString('utf8')
              .replaceAll('\u0000', '\uFFFD'),
            letter.payloadBytes,
          ],
        );
      }
      await c.query(
        `INSERT INTO dead_letter_counts (device_id, reason, count, dropped, last_at_ms) VALUES ($1, $2, 1, $3, $4)
         ON CONFLICT (device_id, reason) DO UPDATE SET count = dead_letter_counts.count + 1,
           dropped = dead_letter_counts.dropped + excluded.dropped,
           last_at_ms = GREATEST(dead_letter_counts.last_at_ms, excluded.last_at_ms)`,
        [deviceKey, letter.reason, stored ? 0 : 1, letter.arrivedAtMs],
      );
      return stored;
    });

  /** Deletes at most `batch` samples: expired ones first, then any over a cap lowered since they were stored. */
  const pruneStep = (batch: number) =>
    inTransaction(pool, async (c) => {
      await c.query('SELECT stored FROM dead_letter_totals WHERE id = 1 FOR UPDATE');
      let deleted =
        (
          await c.query(
            `DELETE FROM dead_letters WHERE id IN
               (SELECT id FROM dead_letters WHERE arrived_at_ms < $1 ORDER BY arrived_at_ms LIMIT $2)`,
            [now() - limits.retentionMs, batch],
          )
        ).rowCount ?? 0;
      const { rows } = await c.query<{ stored: number }>(
        'SELECT stored FROM dead_letter_totals WHERE id = 1',
      );
      const stored = rows[0]?.stored ?? 0;
      if (deleted < batch && stored > limits.total) {
        deleted +=
          (
            await c.query(
              'DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters ORDER BY id LIMIT $1)',
              [Math.min(stored - limits.total, batch - deleted)],
            )
          ).rowCount ?? 0;
      }
      if (deleted < batch) {
        const over = await c.query<{ device_id: string; stored: number }>(
          'SELECT device_id, stored FROM dead_letter_devices WHERE stored > $1 LIMIT 100',
          [limits.perDevice],
        );
        for (const d of over.rows) {
          if (deleted >= batch) break;
          deleted +=
            (
              await c.query(
                `DELETE FROM dead_letters WHERE id IN
                   (SELECT id FROM dead_letters WHERE device_id = $1 ORDER BY id LIMIT $2)`,
                [d.device_id, Math.min(d.stored - limits.perDevice, batch - deleted)],
              )
            ).rowCount ?? 0;
        }
      }
      return deleted;
    });

  let nextPruneAtMs = Number.NEGATIVE_INFINITY;
  const prune = async () => {
    let deleted = 0;
    let n: number;
    do {
      n = await pruneStep(PRUNE_BATCH);
      deleted += n;
    } while (n === PRUNE_BATCH);
    nextPruneAtMs = now() + PRUNE_EVERY_MS;
    return deleted;
  };
  await prune();

  const byReason = async () =>
    toCounts(
      (
        await pool.query<{ reason: string; n: number }>(
          'SELECT reason, SUM(count)::bigint AS n FROM dead_letter_counts GROUP BY reason',
        )
      ).rows,
    );

  return {
    async add(letter) {
      // Expired samples go first, so that the room they leave is there for this one.
      if (now() >= nextPruneAtMs) {
        // Claimed before the step runs, so that concurrent dead letters do not all take it.
        nextPruneAtMs = now() + PRUNE_EVERY_MS;
        const n = await pruneStep(PRUNE_BATCH);
        // A full step leaves more to do: the next dead letter takes the next step.
        if (n === PRUNE_BATCH) nextPruneAtMs = now();
      }
      return { stored: await add(letter) };
    },
    async list({ deviceId, limit = 100 } = {}) {
      const { rows } =
        deviceId === undefined
          ? await pool.query('SELECT * FROM dead_letters ORDER BY id DESC LIMIT $1', [limit])
          : await pool.query('SELECT * FROM dead_letters WHERE device_id = $1 ORDER BY id DESC LIMIT $2', [
              deviceId,
              limit,
            ]);
      return rows.map((r: Record<string, unknown>) => ({
        id: Number(r.id),
        deviceId: r.device_id === NO_DEVICE ? null : String(r.device_id),
        topic: String(r.topic),
        arrivedAtMs: Number(r.arrived_at_ms),
        reason: String(r.reason),
        problems: JSON.parse(String(r.problems)) as string[],
        payload: String(r.payload),
        payloadBytes: Number(r.payload_bytes),
      }));
    },
    countByReason: byReason,
    countByDevice: async (deviceId) =>
      toCounts(
        (
          await pool.query<{ reason: string; n: number }>(
            'SELECT reason, count AS n FROM dead_letter_counts WHERE device_id = $1',
            [deviceId ?? NO_DEVICE],
          )
        ).rows,
      ),
    async stats() {
      const { rows } = await pool.query<{ stored: number; dropped: number }>(
        `SELECT stored, (SELECT COALESCE(SUM(dropped), 0)::bigint FROM dead_letter_counts) AS dropped
         FROM dead_letter_totals WHERE id = 1`,
      );
      return { byReason: await byReason(), stored: rows[0]?.stored ?? 0, dropped: rows[0]?.dropped ?? 0 };
    },
    prune,
  };
}

function toCounts(rows: Array<{ reason: string; n: number }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.reason] = r.n;
  return out;
}
