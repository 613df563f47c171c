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
  readSync,
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
 *
 * A spooled message is either held (its payload in memory, because the broker is routing it or
 * queues it for the ingest) or parked (on disk only: after a restart, or when the broker stopped
 * queueing for an absent ingest); `unpark` reads parked messages back for the broker to publish.
 */
export interface Spool {
  /**
   * Spools a message; `done` runs once it is written. Messages added in the same event-loop turn
   * share one write (group commit), so a busy broker pays one system call per turn, not per message.
   * The message is held.
   */
  add(topic: string, payload: Buffer, done: (err?: Error) => void): void;
  /**
   * Forgets a spooled message, found by its payload: the very Buffer given to `add` or returned by
   * `unpark` (Aedes hands the same Buffer through routing to the ingest's acknowledgement). With
   * `matchContent`, a message with the same topic and bytes is forgotten when the Buffer is
   * another one. A message that was never spooled is ignored.
   */
  remove(topic: string, payload: Buffer): void;
  /**
   * Lets go of a held message's payload (the broker no longer keeps it): it stays spooled on disk
   * and comes back from `unpark`. False when the Buffer is not a held spooled message.
   */
  park(payload: Buffer): boolean;
  /** Whether this very Buffer is a spooled message the spool holds (not parked, not removed). */
  holds(payload: Buffer): boolean;
  /** Up to `max` parked messages, oldest parked first, read back from disk: they are held again. */
  unpark(max: number): Array<{ topic: string; payload: Buffer }>;
  /** Messages spooled, and how many of them are parked. */
  depth(): number;
  parked(): number;
  /** Every message still spooled, oldest first, read from disk where parked (for inspection). */
  all(): SpooledMessage[];
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
/** Bytes of records written at once when live messages are carried to a new segment. */
const CARRY_BATCH_BYTES = 4 * 1024 * 1024;

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
  /** Present while the message is held; undefined while parked. */
  payload: Buffer | undefined;
  /** Where its payload lies on disk: segment number, byte offset, length (0 until written). */
  segment: number;
  at: number;
  length: number;
  /** Topic and content digest (with `matchContent`). */
  key?: string;
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
 * are carried to a fresh segment, a few MB at a time, and the old segments deleted; they start
 * parked, so a large spool does not have to fit in memory.
 *
 * Removal is by payload identity (a Map keyed by the Buffer object): no hashing of the bytes, no index.
 */
export function createSpool(opts: SpoolOptions): Spool {
  const { dir } = opts;
  const full = opts.sync === 'full';
  const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  mkdirSync(dir, { recursive: true, mode: 0o700 }); // owner only: it holds devices' messages

  const live = new Map<number, Entry>();
  /** Parked ids, in the order they were parked. */
  const parkedIds = new Set<number>();
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
    if (e.key === undefined) return;
    const ids = byContent.get(e.key);
    if (ids) ids.push(e.id);
    else byContent.set(e.key, [e.id]);
  };
  const unindex = (e: Entry) => {
    if (e.key === undefined) return;
    const ids = byContent.get(e.key);
    const at = ids?.indexOf(e.id) ?? -1;
    if (!ids || at < 0) return;
    ids.splice(at, 1);
    if (ids.length === 0) byContent.delete(e.key);
  };
  const segments = new Map<number, Segment>();
  const readFds = new Map<number, number>();
  let nextId = 1;

  // Read what an earlier run left: where each live message lies, not the messages themselves.
  const found = readdirSync(dir)
    .map((name) => SEGMENT_NAME.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  for (const n of found) {
    scanSegment(segmentFile(dir, n), opts.onDamage, (record, data) => {
      nextId = Math.max(nextId, record.id + 1);
      if (record.type === REMOVE) {
        live.delete(record.id);
        return;
      }
      const key = opts.matchContent
        ? contentKey(record.topic, data.subarray(record.at, record.at + record.length))
        : undefined;
      const { id, topic, at, length } = record;
      live.set(id, { id, topic, payload: undefined, segment: n, at, length, key });
    });
  }

  let current: { n: number; fd: number; size: number } = openSegment((found.at(-1) ?? 0) + 1);
  let closed = false;

  // Carry the live messages into the fresh segment, one old segment and a few MB at a time, then
  // drop the old files. They start parked.
  const carried = [...live.values()].sort((a, b) => a.id - b.id);
  live.clear();
  for (const e of carried) {
    live.set(e.id, e);
    parkedIds.add(e.id);
    index(e);
  }
  for (const n of found) {
    const mine = carried.filter((e) => e.segment === n);
    if (mine.length === 0) continue;
    const data = readFileSync(segmentFile(dir, n));
    let batch: Array<[Entry, Buffer]> = [];
    let bytes = 0;
    for (const e of mine) {
      const payload = data.subarray(e.at, e.at + e.length);
      batch.push([e, payload]);
      bytes += payload.length;
      if (bytes >= CARRY_BATCH_BYTES) {
        writeRecords(batch, []);
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length > 0) writeRecords(batch, []);
  }
  for (const n of found) unlinkSync(segmentFile(dir, n));
  if (full && found.length > 0) syncDir();

  let adds: Array<{ entry: Entry; done: (err?: Error) => void }> = [];
  let removes: number[] = [];
  let scheduled = false;

  function openSegment(n: number) {
    const fd = openSync(segmentFile(dir, n), 'a', 0o600);
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

  function deleteSegment(n: number) {
    const fd = readFds.get(n);
    if (fd !== undefined) closeSync(fd);
    readFds.delete(n);
    unlinkSync(segmentFile(dir, n));
    segments.delete(n);
  }

  /** A parked message's payload, from its segment file. */
  function readPayload(e: Entry): Buffer {
    let fd = readFds.get(e.segment);
    if (fd === undefined) {
      fd = openSync(segmentFile(dir, e.segment), 'r');
      readFds.set(e.segment, fd);
    }
    const payload = Buffer.allocUnsafe(e.length);
    for (let got = 0; got < e.length; ) {
      const n = readSync(fd, payload, got, e.length - got, e.at + got);
      if (n === 0) throw new Error(`spool segment ${e.segment} ends before message ${e.id}`);
      got += n;
    }
    return payload;
  }

  /** Appends add records for `items` and remove records for `removed` ids, in one write. */
  function writeRecords(items: Array<[Entry, Buffer]>, removed: number[]) {
    const topicBytes = items.map(([e]) => Buffer.byteLength(e.topic));
    let bytes = removed.length * (HEADER + REMOVE_BODY);
    for (let i = 0; i < items.length; i++) {
      bytes += HEADER + ADD_FIXED + (topicBytes[i] as number) + (items[i] as [Entry, Buffer])[1].length;
    }
    const out = Buffer.allocUnsafe(bytes);
    const payloadAt: number[] = [];
    let at = 0;
    const seal = (bodyStart: number) => {
      out.writeUInt32LE(at - bodyStart, bodyStart - HEADER);
      out.writeUInt32LE(crc32(out.subarray(bodyStart, at)), bodyStart - 4);
    };
    for (let i = 0; i < items.length; i++) {
      const [e, payload] = items[i] as [Entry, Buffer];
      const topicLength = topicBytes[i] as number;
      const body = at + HEADER;
      at = body;
      at = out.writeUInt8(ADD, at);
      at = out.writeUIntLE(e.id, at, ID_BYTES);
      at = out.writeUInt16LE(topicLength, at);
      at += out.write(e.topic, at, topicLength, 'utf8');
      payloadAt.push(at);
      at += payload.copy(out, at);
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
    const base = current.size;
    current.size += out.length;
    const segment = segments.get(current.n) as Segment;
    items.forEach(([e, payload], i) => {
      segment.adds++;
      // Removed before its group was written (an add and its remove in the same turn): not live.
      if (live.get(e.id) !== e) return;
      const from = segments.get(e.segment);
      if (from && e.segment !== current.n) from.live--;
      if (!from || e.segment !== current.n) segment.live++;
      e.segment = current.n;
      e.at = base + (payloadAt[i] as number);
      e.length = payload.length;
    });
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
        writeRecords(
          stragglers.map((e) => [e, e.payload ?? readPayload(e)]),
          [],
        );
      }
      if (s.live > 0) break;
      deleteSegment(s.n);
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
        a.map((x) => [x.entry, x.entry.payload as Buffer]),
        r,
      );
    } catch (err) {
      error = err as Error;
      for (const { entry } of a) {
        live.delete(entry.id);
        if (entry.payload) forget(entry.payload);
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

  const drop = (entry: Entry) => {
    live.delete(entry.id);
    parkedIds.delete(entry.id);
    unindex(entry);
    const segment = segments.get(entry.segment);
    if (segment) segment.live--;
    removes.push(entry.id);
    schedule();
  };

  return {
    add(topic, payload, done) {
      if (closed) return done(new Error('spool is closed'));
      const entry: Entry = {
        id: nextId++,
        topic,
        payload,
        segment: 0,
        at: 0,
        length: payload.length,
        key: opts.matchContent ? contentKey(topic, payload) : undefined,
      };
      live.set(entry.id, entry);
      remember(payload, entry.id);
      index(entry);
      adds.push({ entry, done });
      schedule();
    },
    remove(topic, payload) {
      if (closed) return;
      const id = forget(payload);
      if (id !== undefined) {
        const entry = live.get(id);
        if (entry) drop(entry);
        return;
      }
      if (!opts.matchContent) return;
      const first = byContent.get(contentKey(topic, payload))?.[0];
      const entry = first === undefined ? undefined : live.get(first);
      if (!entry) return;
      if (entry.payload) forget(entry.payload);
      drop(entry);
    },
    holds: (payload) => idOf.has(payload),
    park(payload) {
      if (closed) return false;
      const id = forget(payload);
      const entry = id === undefined ? undefined : live.get(id);
      // Not written yet (its group is still pending): it cannot be read back, so it stays held.
      if (!entry || entry.segment === 0) {
        if (id !== undefined) remember(payload, id);
        return false;
      }
      entry.payload = undefined;
      parkedIds.add(entry.id);
      return true;
    },
    unpark(max) {
      const out: Array<{ topic: string; payload: Buffer }> = [];
      for (const id of parkedIds) {
        if (out.length >= max) break;
        parkedIds.delete(id);
        const entry = live.get(id);
        if (!entry) continue;
        const payload = readPayload(entry);
        entry.payload = payload;
        remember(payload, id);
        out.push({ topic: entry.topic, payload });
      }
      return out;
    },
    depth: () => live.size,
    parked: () => parkedIds.size,
    all: () =>
      [...live.values()]
        .sort((a, b) => a.id - b.id)
        .map((e) => ({ id: e.id, topic: e.topic, payload: e.payload ?? readPayload(e) })),
    close() {
      if (closed) return;
      flush();
      closed = true;
      closeSync(current.fd);
      for (const fd of readFds.values()) closeSync(fd);
      readFds.clear();
    },
  };
}

type ScannedRecord =
  | { type: typeof ADD; id: number; topic: string; at: number; length: number }
  | { type: typeof REMOVE; id: number };

/**
 * Calls `onRecord` for each record of one segment file, in order, up to the first damaged one;
 * an add record gives its payload's offset and length in `data`, the file's bytes.
 */
function scanSegment(
  file: string,
  onDamage: SpoolOptions['onDamage'],
  onRecord: (record: ScannedRecord, data: Buffer) => void,
): void {
  const data = readFileSync(file);
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
    if (crc32(data.subarray(body, body + length)) !== data.readUInt32LE(at + 4)) {
      damaged('checksum mismatch');
      break;
    }
    const type = data.readUInt8(body);
    const id = data.readUIntLE(body + 1, ID_BYTES);
    if (type === ADD && length >= ADD_FIXED) {
      const topicLength = data.readUInt16LE(body + 1 + ID_BYTES);
      const topic = data.toString('utf8', body + ADD_FIXED, body + ADD_FIXED + topicLength);
      const payloadAt = body + ADD_FIXED + topicLength;
      onRecord({ type: ADD, id, topic, at: payloadAt, length: body + length - payloadAt }, data);
    } else if (type === REMOVE) {
      onRecord({ type: REMOVE, id }, data);
    } else {
      damaged(`unknown record type ${type}`);
      break;
    }
    at = body + length;
  }
}
