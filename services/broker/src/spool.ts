import { createHash } from 'node:crypto';
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
  add(topic: string, payload: Buffer): void;
  /** Removes one copy of this message, if there is one; returns whether one was removed. */
  remove(topic: string, payload: Buffer): boolean;
  all(): SpooledMessage[];
  depth(): number;
  close(): void;
}

const keyOf = (topic: string, payload: Buffer) =>
  createHash('sha256').update(topic).update('\0').update(payload).digest();

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
  return {
    add(topic, payload) {
      insert.run(keyOf(topic, payload), topic, payload);
      rows++;
    },
    remove(topic, payload) {
      const removed = removeOne.run(keyOf(topic, payload)).changes > 0;
      if (removed) rows--;
      return removed;
    },
    all: () => selectAll.all() as SpooledMessage[],
    depth: () => rows,
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
