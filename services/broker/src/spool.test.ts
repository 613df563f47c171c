import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importLegacySpool } from './legacy-spool.js';
import { createSpool, type Spool, type SpoolOptions } from './spool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const add = (spool: Spool, topic: string, payload: Buffer) =>
  new Promise<void>((resolve, reject) => spool.add(topic, payload, (err) => (err ? reject(err) : resolve())));
const addAll = (spool: Spool, messages: Array<[string, Buffer]>) =>
  Promise.all(messages.map(([t, p]) => add(spool, t, p)));
const turn = () => new Promise((resolve) => setImmediate(resolve));
const segmentFiles = () => readdirSync(dir).filter((f) => f.endsWith('.spool'));
const contents = (spool: Spool) => spool.all().map((m) => [m.topic, m.payload.toString()]);
const reopen = (spool: Spool, opts: Partial<SpoolOptions> = {}) => {
  spool.close();
  return createSpool({ dir, ...opts });
};

describe('spool', () => {
  it('keeps added messages across a reopen, oldest first, and forgets removed ones', async () => {
    let spool = createSpool({ dir });
    const a = Buffer.from('{"a":1}');
    const b = Buffer.from('{"b":2}');
    const c = Buffer.from('{"c":3}');
    await addAll(spool, [
      ['t/a', a],
      ['t/b', b],
      ['t/c', c],
    ]);
    spool.remove('t/b', b);
    expect(spool.depth()).toBe(2);
    spool = reopen(spool);
    expect(contents(spool)).toEqual([
      ['t/a', '{"a":1}'],
      ['t/c', '{"c":3}'],
    ]);
    spool.close();
  });

  it('removes by the identity of the payload Buffer, not its bytes', async () => {
    const spool = createSpool({ dir });
    const first = Buffer.from('same');
    await add(spool, 't', first);
    spool.remove('t', Buffer.from('same'));
    expect(spool.depth()).toBe(1);
    spool.remove('t', first);
    expect(spool.depth()).toBe(0);
    spool.remove('t', first);
    expect(spool.depth()).toBe(0);
    spool.close();
  });

  it('with matchContent, also removes by topic and bytes, one copy per acknowledgement', async () => {
    let spool = createSpool({ dir, matchContent: true });
    await addAll(spool, [
      ['t/a', Buffer.from('twice')],
      ['t/a', Buffer.from('twice')],
      ['t/b', Buffer.from('twice')],
    ]);
    spool.remove('t/a', Buffer.from('twice'));
    expect(contents(spool)).toEqual([
      ['t/a', 'twice'],
      ['t/b', 'twice'],
    ]);
    spool.remove('t/c', Buffer.from('twice'));
    expect(spool.depth()).toBe(2);
    spool = reopen(spool, { matchContent: true });
    spool.remove('t/b', Buffer.from('twice'));
    spool = reopen(spool, { matchContent: true });
    expect(contents(spool)).toEqual([['t/a', 'twice']]);
    spool.close();
  });

  it('replayed payloads can be removed, and the removal lasts', async () => {
    let spool = createSpool({ dir });
    await addAll(spool, [
      ['t', Buffer.from('1')],
      ['t', Buffer.from('2')],
    ]);
    spool = reopen(spool);
    expect(spool.parked()).toBe(2);
    const [first] = spool.unpark(1);
    spool.remove('t', (first as { payload: Buffer }).payload);
    spool = reopen(spool);
    expect(contents(spool)).toEqual([['t', '2']]);
    spool.close();
  });

  it('shares one write per event-loop turn and calls back only after it', async () => {
    const spool = createSpool({ dir });
    const done: number[] = [];
    for (let i = 0; i < 100; i++) spool.add('t', Buffer.from(String(i)), () => done.push(i));
    expect(done).toEqual([]);
    const sizeBefore = statSync(join(dir, segmentFiles()[0] as string)).size;
    await turn();
    expect(done).toHaveLength(100);
    expect(statSync(join(dir, segmentFiles()[0] as string)).size).toBeGreaterThan(sizeBefore);
    spool.close();
  });

  it('stops at a torn tail, reports it, and keeps every complete record before it', async () => {
    let spool = createSpool({ dir });
    await addAll(spool, [
      ['t', Buffer.from('kept-1')],
      ['t', Buffer.from('kept-2')],
    ]);
    spool.close();
    const file = join(dir, segmentFiles()[0] as string);
    appendFileSync(file, Buffer.from([40, 0, 0, 0, 1, 2])); // a record cut short by a power loss
    const damage: string[] = [];
    spool = createSpool({ dir, onDamage: (d) => damage.push(d.reason) });
    expect(contents(spool)).toEqual([
      ['t', 'kept-1'],
      ['t', 'kept-2'],
    ]);
    expect(damage).toEqual(['incomplete record header']);
    spool.close();
  });

  it('detects a corrupted record by its checksum', async () => {
    let spool = createSpool({ dir });
    await add(spool, 't', Buffer.from('first'));
    await add(spool, 't', Buffer.from('second'));
    spool.close();
    const file = join(dir, segmentFiles()[0] as string);
    const size = statSync(file).size;
    // Flip the last byte (inside the second record's payload).
    truncateSync(file, size - 1);
    appendFileSync(file, Buffer.from('X'));
    const damage: string[] = [];
    spool = createSpool({ dir, onDamage: (d) => damage.push(d.reason) });
    expect(contents(spool)).toEqual([['t', 'first']]);
    expect(damage).toEqual(['checksum mismatch']);
    spool.close();
  });

  it('deletes segments once everything in them is removed, and compacts mostly removed ones', async () => {
    let spool = createSpool({ dir, segmentBytes: 2_000 });
    const payloads = Array.from({ length: 400 }, (_, i) => Buffer.from(`reading-${i}`.padEnd(40, '.')));
    // One message stays unacknowledged for a long time (the ingest lost it, say).
    const straggler = payloads[0] as Buffer;
    for (const p of payloads) {
      await add(spool, 't/x', p);
      // Parked, so compaction has to read it back from its segment.
      if (p === straggler) expect(spool.park(p)).toBe(true);
      else spool.remove('t/x', p);
    }
    await turn();
    expect(segmentFiles().length).toBeLessThanOrEqual(2);
    expect(contents(spool)).toEqual([['t/x', straggler.toString()]]);
    spool = reopen(spool, { segmentBytes: 2_000 });
    expect(contents(spool)).toEqual([['t/x', straggler.toString()]]);
    spool.remove('t/x', (spool.unpark(1)[0] as { payload: Buffer }).payload);
    spool = reopen(spool);
    expect(spool.depth()).toBe(0);
    spool.close();
  });

  it('parks held messages on disk and reads them back, across reopens', async () => {
    let spool = createSpool({ dir });
    const held = [Buffer.from('one'), Buffer.from('two'), Buffer.from('three')];
    await addAll(
      spool,
      held.map((p) => ['t', p]),
    );
    expect(spool.park(Buffer.from('one'))).toBe(false);
    expect(spool.park(held[0] as Buffer)).toBe(true);
    expect(spool.park(held[0] as Buffer)).toBe(false);
    expect(spool.park(held[2] as Buffer)).toBe(true);
    expect([spool.depth(), spool.parked()]).toEqual([3, 2]);
    // A parked message is no longer found by its old Buffer.
    spool.remove('t', held[0] as Buffer);
    expect(spool.depth()).toBe(3);
    const back = spool.unpark(1);
    expect(back.map((m) => m.payload.toString())).toEqual(['one']);
    spool.remove('t', (back[0] as { payload: Buffer }).payload);
    expect([spool.depth(), spool.parked()]).toEqual([2, 1]);
    spool = reopen(spool);
    expect([spool.depth(), spool.parked()]).toEqual([2, 2]);
    expect(spool.unpark(10).map((m) => m.payload.toString())).toEqual(['two', 'three']);
    expect(spool.unpark(10)).toEqual([]);
    spool.close();
  });

  it('keeps a message held until its group is written', () => {
    const spool = createSpool({ dir });
    const pending = Buffer.from('pending');
    spool.add('t', pending, () => {});
    expect(spool.park(pending)).toBe(false);
    spool.close();
  });

  it('matches a model under any sequence of adds, removes, parks, unparks and reopens', async () => {
    type Op =
      | { op: 'add'; payload: Uint8Array }
      | { op: 'remove' | 'park'; pick: number }
      | { op: 'unpark'; max: number }
      | { op: 'reopen' };
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('add' as const), payload: fc.uint8Array({ maxLength: 64 }) }),
            fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('park' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('unpark' as const), max: fc.integer({ min: 1, max: 4 }) }),
            fc.constant({ op: 'reopen' as const }),
          ) as fc.Arbitrary<Op>,
          { minLength: 10, maxLength: 80, size: 'large' },
        ),
        async (ops) => {
          rmSync(dir, { recursive: true, force: true });
          let spool = createSpool({ dir, segmentBytes: 100 });
          // The model: every spooled message, and the Buffer the broker holds it by (none: parked).
          const model: Array<{ topic: string; bytes: string; held?: Buffer }> = [];
          let n = 0;
          for (const step of ops) {
            const heldOnes = model.filter((m) => m.held);
            if (step.op === 'add') {
              const message = { topic: `t/${n++}`, bytes: Buffer.from(step.payload).toString('hex') };
              const payload = Buffer.from(step.payload);
              await add(spool, message.topic, payload);
              model.push({ ...message, held: payload });
            } else if (step.op === 'remove' && heldOnes.length > 0) {
              const gone = heldOnes[step.pick % heldOnes.length] as (typeof model)[number];
              spool.remove(gone.topic, gone.held as Buffer);
              model.splice(model.indexOf(gone), 1);
              await turn();
            } else if (step.op === 'park' && heldOnes.length > 0) {
              const parked = heldOnes[step.pick % heldOnes.length] as (typeof model)[number];
              expect(spool.park(parked.held as Buffer)).toBe(true);
              parked.held = undefined;
            } else if (step.op === 'unpark') {
              for (const m of spool.unpark(step.max)) {
                const entry = model.find((x) => !x.held && x.topic === m.topic);
                expect(entry?.bytes).toBe(m.payload.toString('hex'));
                if (entry) entry.held = m.payload;
              }
            } else if (step.op === 'reopen') {
              spool = reopen(spool, { segmentBytes: 100 });
              for (const m of model) m.held = undefined;
            }
            expect(spool.depth()).toBe(model.length);
            expect(spool.parked()).toBe(model.filter((m) => !m.held).length);
          }
          spool = reopen(spool, { segmentBytes: 100 });
          expect(spool.all().map((m) => [m.topic, m.payload.toString('hex')])).toEqual(
            model.map((m) => [m.topic, m.bytes]),
          );
          spool.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses adds after close', async () => {
    const spool = createSpool({ dir });
    spool.close();
    await expect(add(spool, 't', Buffer.from('late'))).rejects.toThrow(/closed/);
  });
});

describe('importLegacySpool', () => {
  it('moves the messages of an old SQLite spool into the spool, once', async () => {
    const file = join(dir, 'broker-spool.db');
    const db = new Database(file);
    db.exec(
      'CREATE TABLE spool (id INTEGER PRIMARY KEY AUTOINCREMENT, key BLOB NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL)',
    );
    const insert = db.prepare('INSERT INTO spool (key, topic, payload) VALUES (?, ?, ?)');
    insert.run(Buffer.from('k1'), 't/1', Buffer.from('one'));
    insert.run(Buffer.from('k2'), 't/2', Buffer.from('two'));
    db.close();
    const spool = createSpool({ dir: join(dir, 'broker-spool') });
    expect(await importLegacySpool(file, spool)).toBe(2);
    expect(contents(spool)).toEqual([
      ['t/1', 'one'],
      ['t/2', 'two'],
    ]);
    expect(await importLegacySpool(file, spool)).toBe(0);
    expect(readdirSync(dir)).toContain('broker-spool.db.imported');
    spool.close();
  });

  it('does nothing without an old spool', async () => {
    const spool = createSpool({ dir: join(dir, 'broker-spool') });
    writeFileSync(join(dir, 'unrelated'), '');
    expect(await importLegacySpool(join(dir, 'broker-spool.db'), spool)).toBe(0);
    spool.close();
  });
});
