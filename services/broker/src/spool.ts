import { hash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export interface SpooledMessage {
  id: number;
  topic: string;
  payload: Buffer;
}

/**
 * The broker's promise to a device. Aedes writes the QoS 1 PUBACK before it routes the message
 * (lib/handlers/publish.js), and a device deletes a reading from its buffer on PUBACK. So a
 * message is written here first, in `authorizePublish`, which runs before that PUBACK; it is
 * removed when the ingest account acknowledges its copy. Whatever is still here when the broker
 * starts again is published to the ingest once it subscribes.
 *
 * SQLite in WAL mode: with `synchronous = NORMAL` a commit survives the broker process being
 * killed (the default); `FULL` also survives power loss, at an fsync per message.
 */
export interface Spool {
  /**
   * Spools a message; `done` runs once it is committed. Messages added in the same event-loop turn
   * share one transaction (group commit), so a busy broker pays one commit per turn, not per message.
   */
  add(topic: string, payload: Buffer, done: (err?: Error) => void): void;
  /** Forgets one copy of this message (committed with the next group). */
  remove(topic: string, payload: Buffer): void;
  all(): SpooledMessage[];
  depth(): number;
  /** Commits what is pending and closes. Safe to call twice. */
  close(): void;
}

// One-shot hashing (no Hash object per call): this runs twice per device message.
const SEPARATOR = Buffer.from([0]);
const keyOf = (topic: string, payload: Buffer) =>
  hash('sha256', Buffer.concat([Buffer.from(topic), SEPARATOR, payload]), 'buffer');

export function createSpool(opts: { file: string; sync?: 'normal' | 'full' }): Spool {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.sync === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec(`CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key BLOB NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS spool_key ON spool (key);`);
  const insert = db.prepare('INSERT INTO spool (key, topic, payload) VALUES (?, ?, ?)');
  const removeOne = db.prepare('DELETE FROM spool WHERE id = (SELECT id FROM spool WHERE key = ? LIMIT 1)');
  const selectAll = db.prepare('SELECT id, topic, payload FROM spool ORDER BY id');
  const count = db.prepare('SELECT COUNT(*) AS n FROM spool').pluck();
  let rows = (count.get() as number) ?? 0;
  let closed = false;

  let adds: Array<{ topic: string; payload: Buffer; done: (err?: Error) => void }> = [];
  let removes: Buffer[] = [];
  let scheduled = false;
  const commit = db.transaction((a: typeof adds, r: Buffer[]) => {
    for (const m of a) insert.run(keyOf(m.topic, m.payload), m.topic, m.payload);
    let removed = 0;
    for (const key of r) removed += removeOne.run(key).changes;
    return removed;
  });
  const flush = () => {
    scheduled = false;
    const a = adds;
    const r = removes;
    adds = [];
    removes = [];
    if (a.length === 0 && r.length === 0) return;
    let error: Error | undefined;
    try {
      rows += a.length - commit(a, r);
    } catch (err) {
      error = err as Error;
    }
    for (const m of a) m.done(error);
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    add(topic, payload, done) {
      if (closed) return done(new Error('spool is closed'));
      adds.push({ topic, payload, done });
      schedule();
    },
    remove(topic, payload) {
      if (closed) return;
      removes.push(keyOf(topic, payload));
      schedule();
    },
    all: () => {
      flush();
      return selectAll.all() as SpooledMessage[];
    },
    depth: () => rows + adds.length - removes.length,
    close() {
      if (closed) return;
      flush();
      closed = true;
      db.close();
    },
  };
}
