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
    const [first] = spool.all();
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
      if (p !== straggler) spool.remove('t/x', p);
    }
    await turn();
    expect(segmentFiles().length).toBeLessThanOrEqual(2);
    expect(contents(spool)).toEqual([['t/x', straggler.toString()]]);
    spool = reopen(spool, { segmentBytes: 2_000 });
    expect(contents(spool)).toEqual([['t/x', straggler.toString()]]);
    spool.remove('t/x', (spool.all()[0] as { payload: Buffer }).payload);
    spool = reopen(spool);
    expect(spool.depth()).toBe(0);
    spool.close();
  });

  it('matches a model under any sequence of adds, removes and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('add' as const), payload: fc.uint8Array({ maxLength: 64 }) }),
            fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
            fc.constant({ op: 'reopen' as const }),
          ),
          { minLength: 10, maxLength: 60, size: 'large' },
        ),
        async (ops) => {
          rmSync(dir, { recursive: true, force: true });
          let spool = createSpool({ dir, segmentBytes: 100 });
          const model: Array<{ topic: string; payload: Buffer }> = [];
          let n = 0;
          for (const step of ops) {
            if (step.op === 'add') {
              const message = { topic: `t/${n++}`, payload: Buffer.from(step.payload) };
              await add(spool, message.topic, message.payload);
              model.push(message);
            } else if (step.op === 'remove' && model.length > 0) {
              const [gone] = model.splice(step.pick % model.length, 1);
              const held = spool.all().find((m) => m.topic === gone?.topic);
              spool.remove(gone?.topic ?? '', held?.payload ?? Buffer.alloc(0));
              await turn();
            } else if (step.op === 'reopen') {
              spool = reopen(spool, { segmentBytes: 100 });
            }
            expect(spool.depth()).toBe(model.length);
          }
          spool = reopen(spool, { segmentBytes: 100 });
          expect(spool.all().map((m) => [m.topic, m.payload.toString('hex')])).toEqual(
            model.map((m) => [m.topic, m.payload.toString('hex')]),
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
