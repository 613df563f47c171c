import { hash } from 'node:crypto';
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

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
 */
export interface Spool {
  /**
   * Spools a message; `done` runs once it is written. Messages added in the same event-loop turn
   * share one write (group commit), so a busy broker pays one system call per turn, not per message.
   */
  add(topic: string, payload: Buffer, done: (err?: Error) => void): void;
  /**
   * Forgets a spooled message, found by its payload: the very Buffer given to `add` or returned by
   * `all` (Aedes hands the same Buffer through routing to the ingest's acknowledgement). With
   * `matchContent`, a message with the same topic and bytes is forgotten when the Buffer is
   * another one. A message that was never spooled is ignored.
   */
  remove(topic: string, payload: Buffer): void;
  /** The messages still spooled, oldest first. */
  all(): SpooledMessage[];
  depth(): number;
  /** Writes what is pending and closes. Safe to call twice. */
  close(): void;
}

export interface SpoolOptions {
  /** Folder of the spool's segment files; created if missing. */
  dir: string;
  /** `normal`: a write survives the broker process being killed; `full`: also power loss (fdatasync per group). */
  sync?: 'normal' | 'full';
  /** A segment is closed and a new one begun past this size. */
  segmentBytes?: number;
  /**
   * Also find messages to remove by topic and content, for an Aedes persistence that stores
   * packets elsewhere (Redis) and hands back copies: costs a SHA-256 per add and per remove.
   */
  matchContent?: boolean;
  /** Told about records skipped when reading the segments at start (a torn tail after power loss). */
  onDamage?: (detail: { file: string; offset: number; reason: string }) => void;
}

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
/** A closed segment whose live messages are fewer than this share of what it holds is compacted. */
const COMPACT_BELOW = 0.1;

// Record: u32 body length, u32 CRC-32 of the body, body. Bodies:
//   add:    u8 1, u48 id, u16 topic length, topic (UTF-8), payload
//   remove: u8 2, u48 id
const HEADER = 8;
const ADD = 1;
const REMOVE = 2;
const ID_BYTES = 6;
const ADD_FIXED = 1 + ID_BYTES + 2;
const REMOVE_BODY = 1 + ID_BYTES;

const SEGMENT_NAME = /^(\d{12})\.spool$/;
const segmentFile = (dir: string, n: number) => join(dir, `${String(n).padStart(12, '0')}.spool`);

interface Entry {
  id: number;
  topic: string;
  payload: Buffer;
  segment: number;
}

interface Segment {
  n: number;
  /** Add records written to it, and how many of those messages are still spooled. */
  adds: number;
  live: number;
}

/**
 * The spool as an append-only log in numbered segment files. Each event-loop turn's adds and
 * removes go out in one `write` (and one `fdatasync` with `sync: 'full'`) before their callbacks
 * run. A segment is deleted once every message it holds has been removed and all older segments
 * are gone (so a remove record never disappears before the add it cancels); a closed segment
 * that is mostly removed has its few live messages written again to the current segment first.
 * At start the segments are read (each record checked by length and CRC-32), the live messages
 * are written to a fresh segment and the old segments deleted.
 *
 * Removal is by payload identity (a Map keyed by the Buffer object): no hashing of the bytes, no index.
 */
export function createSpool(opts: SpoolOptions): Spool {
  const { dir } = opts;
  const full = opts.sync === 'full';
  const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  mkdirSync(dir, { recursive: true });

  const live = new Map<number, Entry>();
  // Payload → spool id. Two messages with the same Buffer (never seen from Aedes, but cheap to
  // allow) share a list, removed one per acknowledgement.
  const idOf = new Map<Buffer, number | number[]>();
  const remember = (payload: Buffer, id: number) => {
    const known = idOf.get(payload);
    if (known === undefined) idOf.set(payload, id);
    else if (typeof known === 'number') idOf.set(payload, [known, id]);
    else known.push(id);
  };
  const forget = (payload: Buffer): number | undefined => {
    const known = idOf.get(payload);
    if (typeof known !== 'object') {
      idOf.delete(payload);
      return known;
    }
    const id = known.shift();
    if (known.length === 0) idOf.delete(payload);
    return id;
  };
  // Topic and content digest → ids, oldest first (only with `matchContent`).
  const byContent = new Map<string, number[]>();
  const contentKey = (topic: string, payload: Buffer) => `${topic}\0${hash('sha256', payload, 'base64')}`;
  const index = (e: Entry) => {
    if (!opts.matchContent) return;
    const key = contentKey(e.topic, e.payload);
    const ids = byContent.get(key);
    if (ids) ids.push(e.id);
    else byContent.set(key, [e.id]);
  };
  const unindex = (e: Entry) => {
    if (!opts.matchContent) return;
    const key = contentKey(e.topic, e.payload);
    const ids = byContent.get(key);
    const at = ids?.indexOf(e.id) ?? -1;
    if (!ids || at < 0) return;
    ids.splice(at, 1);
    if (ids.length === 0) byContent.delete(key);
  };
  const byTopicAndContent = (topic: string, payload: Buffer): Entry | undefined => {
    const id = byContent.get(contentKey(topic, payload))?.[0];
    return id === undefined ? undefined : live.get(id);
  };
  const segments = new Map<number, Segment>();
  let nextId = 1;

  // Read what an earlier run left.
  const found = readdirSync(dir)
    .map((name) => SEGMENT_NAME.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  for (const n of found) {
    for (const record of readSegment(segmentFile(dir, n), opts.onDamage)) {
      if (record.type === ADD) live.set(record.id, { ...record, segment: 0 });
      else live.delete(record.id);
      nextId = Math.max(nextId, record.id + 1);
    }
  }

  let current: { n: number; fd: number; size: number } = openSegment((found.at(-1) ?? 0) + 1);
  let closed = false;

  // Carry the live messages into the fresh segment, then drop the old files.
  const carried = [...live.values()].sort((a, b) => a.id - b.id);
  live.clear();
  for (const e of carried) {
    live.set(e.id, e);
    remember(e.payload, e.id);
    index(e);
  }
  if (carried.length > 0) writeRecords(carried, []);
  for (const n of found) unlinkSync(segmentFile(dir, n));
  if (full && found.length > 0) syncDir();

  let adds: Array<{ entry: Entry; done: (err?: Error) => void }> = [];
  let removes: number[] = [];
  let scheduled = false;

  function openSegment(n: number) {
    const fd = openSync(segmentFile(dir, n), 'a');
    segments.set(n, { n, adds: 0, live: 0 });
    if (full) syncDir();
    return { n, fd, size: fstatSync(fd).size };
  }

  function syncDir() {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Appends add records for `entries` and remove records for `removed` ids, in one write. */
  function writeRecords(entries: Entry[], removed: number[]) {
    const topics = entries.map((e) => Buffer.from(e.topic));
    let bytes = removed.length * (HEADER + REMOVE_BODY);
    for (let i = 0; i < entries.length; i++) {
      bytes += HEADER + ADD_FIXED + (topics[i] as Buffer).length + (entries[i] as Entry).payload.length;
    }
    const out = Buffer.allocUnsafe(bytes);
    let at = 0;
    const seal = (bodyStart: number) => {
      out.writeUInt32LE(at - bodyStart, bodyStart - HEADER);
      out.writeUInt32LE(crc32(out.subarray(bodyStart, at)), bodyStart - 4);
    };
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      const topic = topics[i] as Buffer;
      const body = at + HEADER;
      at = body;
      at = out.writeUInt8(ADD, at);
      at = out.writeUIntLE(e.id, at, ID_BYTES);
      at = out.writeUInt16LE(topic.length, at);
      at += topic.copy(out, at);
      at += e.payload.copy(out, at);
      seal(body);
    }
    for (const id of removed) {
      const body = at + HEADER;
      at = body;
      at = out.writeUInt8(REMOVE, at);
      at = out.writeUIntLE(id, at, ID_BYTES);
      seal(body);
    }
    try {
      for (let written = 0; written < out.length; ) written += writeSync(current.fd, out, written);
      if (full) fdatasyncSync(current.fd);
    } catch (err) {
      // Leave no partial record behind: later groups must stay readable after it.
      try {
        ftruncateSync(current.fd, current.size);
      } catch {}
      throw err;
    }
    current.size += out.length;
    const segment = segments.get(current.n) as Segment;
    for (const e of entries) {
      segment.adds++;
      // Removed before its group was written (an add and its remove in the same turn): not live.
      if (live.get(e.id) !== e) continue;
      const from = segments.get(e.segment);
      if (from) from.live--;
      e.segment = current.n;
      segment.live++;
    }
  }

  /** Deletes the oldest segments while nothing in them is live; compacts one that is mostly removed. */
  function tidy() {
    if (current.size >= segmentBytes) {
      closeSync(current.fd);
      current = openSegment(current.n + 1);
    }
    if (segments.size === 1) return;
    for (const s of [...segments.values()].sort((a, b) => a.n - b.n)) {
      if (s.n === current.n) break;
      if (s.live > 0 && s.live < s.adds * COMPACT_BELOW) {
        const stragglers = [...live.values()].filter((e) => e.segment === s.n);
        writeRecords(stragglers, []);
      }
      if (s.live > 0) break;
      unlinkSync(segmentFile(dir, s.n));
      segments.delete(s.n);
    }
  }

  const flush = () => {
    scheduled = false;
    const a = adds;
    const r = removes;
    adds = [];
    removes = [];
    if (a.length === 0 && r.length === 0) return;
    let error: Error | undefined;
    try {
      writeRecords(
        a.map((x) => x.entry),
        r,
      );
    } catch (err) {
      error = err as Error;
      for (const { entry } of a) {
        live.delete(entry.id);
        forget(entry.payload);
        unindex(entry);
      }
    }
    if (!error) {
      try {
        tidy();
      } catch {
        // Tidying only frees disk space; it is tried again after the next group.
      }
    }
    for (const x of a) x.done(error);
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    add(topic, payload, done) {
      if (closed) return done(new Error('spool is closed'));
      const entry: Entry = { id: nextId++, topic, payload, segment: 0 };
      live.set(entry.id, entry);
      remember(payload, entry.id);
      index(entry);
      adds.push({ entry, done });
      schedule();
    },
    remove(topic, payload) {
      if (closed) return;
      let entry: Entry | undefined;
      const id = forget(payload);
      if (id !== undefined) entry = live.get(id);
      else if (opts.matchContent) {
        entry = byTopicAndContent(topic, payload);
        if (entry) forget(entry.payload);
      }
      if (!entry) return;
      live.delete(entry.id);
      unindex(entry);
      const segment = segments.get(entry.segment);
      if (segment) segment.live--;
      removes.push(entry.id);
      schedule();
    },
    all: () => [...live.values()].map(({ id, topic, payload }) => ({ id, topic, payload })),
    depth: () => live.size,
    close() {
      if (closed) return;
      flush();
      closed = true;
      closeSync(current.fd);
    },
  };
}

type SpoolRecord =
  | { type: typeof ADD; id: number; topic: string; payload: Buffer }
  | { type: typeof REMOVE; id: number };

/** The records of one segment file, up to the first damaged one. */
function readSegment(file: string, onDamage: SpoolOptions['onDamage']): SpoolRecord[] {
  const data = readFileSync(file);
  const records: SpoolRecord[] = [];
  let at = 0;
  const damaged = (reason: string) => onDamage?.({ file, offset: at, reason });
  while (at < data.length) {
    if (data.length - at < HEADER) {
      damaged('incomplete record header');
      break;
    }
    const length = data.readUInt32LE(at);
    const body = at + HEADER;
    if (length < REMOVE_BODY || body + length > data.length) {
      damaged('record runs past the end of the file');
      break;
    }
    const bytes = data.subarray(body, body + length);
    if (crc32(bytes) !== data.readUInt32LE(at + 4)) {
      damaged('checksum mismatch');
      break;
    }
    const type = bytes.readUInt8(0);
    const id = bytes.readUIntLE(1, ID_BYTES);
    if (type === ADD && length >= ADD_FIXED) {
      const topicLength = bytes.readUInt16LE(1 + ID_BYTES);
      const topic = bytes.toString('utf8', ADD_FIXED, ADD_FIXED + topicLength);
      // A copy: the payload outlives the file buffer and is handed to Aedes on replay.
      const payload = Buffer.from(bytes.subarray(ADD_FIXED + topicLength));
      records.push({ type: ADD, id, topic, payload });
    } else if (type === REMOVE) {
      records.push({ type: REMOVE, id });
    } else {
      damaged(`unknown record type ${type}`);
      break;
    }
    at = body + length;
  }
  return records;
}
