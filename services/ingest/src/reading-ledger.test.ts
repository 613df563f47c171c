import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLedgerIndex, type SqliteLedgerIndex } from './ledger-index.js';
import {
  createReadingLedger,
  type LedgerEntry,
  type LedgerRow,
  type ReadingLedger,
  type StoredHistory,
  type Verdict,
} from './reading-ledger.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12);
const dirs: string[] = [];
const indexes: SqliteLedgerIndex[] = [];
afterEach(() => {
  for (const i of indexes.splice(0)) i.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile() {
  const dir = mkdtempSync(join(tmpdir(), 'coldchain-ledger-'));
  dirs.push(dir);
  return join(dir, 'ingest-ledger.db');
}

function openIndex(file: string, hadHistory = false, now = () => NOW) {
  const index = openSqliteLedgerIndex({ file, now, hadHistory, legacyWindowMs: 30 * DAY, sync: 'os' });
  indexes.push(index);
  return index;
}

/** InfluxDB as the ledger sees it: points by device and timestamp, and how often it was asked. */
function fakeInflux(points: LedgerRow[] = []) {
  const byKey = new Map<string, LedgerRow>();
  const put = (r: LedgerRow) => {
    if (!byKey.has(`${r.deviceId}@${r.tsMs}`)) byKey.set(`${r.deviceId}@${r.tsMs}`, r);
  };
  for (const p of points) put(p);
  const calls = { newest: 0, fieldSets: 0 };
  const history: StoredHistory = {
    async newestMs(deviceId, sinceMs) {
      calls.newest++;
      const ts = [...byKey.values()]
        .filter((r) => r.deviceId === deviceId && r.tsMs >= sinceMs)
        .map((r) => r.tsMs);
      return ts.length ? Math.max(...ts) : null;
    },
    async fieldSets(deviceId, fromMs, toMs) {
      calls.fieldSets++;
      return new Map(
        [...byKey.values()]
          .filter((r) => r.deviceId === deviceId && r.tsMs >= fromMs && r.tsMs <= toMs)
          .map((r) => [r.tsMs, r.fields]),
      );
    },
  };
  return { history, put, calls };
}

const ledgerOver = (index: SqliteLedgerIndex, history?: StoredHistory, retentionMs = 35 * DAY) =>
  createReadingLedger({
    index,
    history,
    retentionMs,
    maxPastAgeMs: 30 * DAY,
    now: () => NOW,
    pruneEveryMs: 0,
  });

const e = (tsMs: number, fields: string): LedgerEntry => ({ tsMs, fields });
const kinds = (v: Verdict[]) => v.map((x) => x.kind);
const sync = (r: Verdict[] | Promise<Verdict[]>): Verdict[] => {
  if (r instanceof Promise) throw new Error('expected a synchronous decision');
  return r;
};

describe('the reading ledger', () => {
  const T = NOW - 3_600_000;
  const cases: Array<{ name: string; messages: LedgerEntry[][]; want: string[][] }> = [
    {
      name: 'accepts in-order readings as new',
      messages: [[e(T, 'temp_air=4')], [e(T + 60_000, 'temp_air=4.1'), e(T + 120_000, 'temp_air=4.2')]],
      want: [['new'], ['new', 'new']],
    },
    {
      name: 'takes an exact redelivery as a duplicate',
      messages: [[e(T, 'temp_air=30,seq=5i')], [e(T, 'temp_air=30,seq=5i')]],
      want: [['new'], ['duplicate']],
    },
    {
      name: 'refuses other values for a timestamp already accepted, however often they come',
      messages: [[e(T, 'temp_air=30,seq=5i')], [e(T, 'temp_air=4,seq=5i')], [e(T, 'temp_air=4,seq=5i')]],
      want: [['new'], ['conflict'], ['conflict']],
    },
    {
      name: 'accepts a late reading for a time never sent, and refuses a second version of it',
      messages: [[e(T + 60_000, 'temp_air=5')], [e(T, 'temp_air=6')], [e(T, 'temp_air=7')]],
      want: [['new'], ['new'], ['conflict']],
    },
    {
      name: 'decides a batch in order: the first version within one message wins',
      messages: [[e(T, 'temp_air=30'), e(T, 'temp_air=30'), e(T, 'temp_air=4'), e(T + 1, 'temp_air=4')]],
      want: [['new', 'duplicate', 'conflict', 'new']],
    },
    {
      name: 'keeps devices apart',
      messages: [[e(T, 'temp_air=30')]],
      want: [['new']],
    },
  ];
  it.each(cases)('$name', ({ messages, want }) => {
    const ledger = ledgerOver(openIndex(tempFile()));
    expect(messages.map((m) => kinds(sync(ledger.decide('truck-1', m))))).toEqual(want);
    // Another device may send the same timestamps with any values.
    expect(kinds(sync(ledger.decide('truck-2', [e(T, 'temp_air=-18')])))).toEqual(['new']);
  });

  it('names the stored values in a conflict', () => {
    const ledger = ledgerOver(openIndex(tempFile()));
    ledger.decide('truck-1', [e(T, 'temp_air=30')]);
    expect(sync(ledger.decide('truck-1', [e(T, 'temp_air=4')]))).toEqual([
      { kind: 'conflict', storedFields: 'temp_air=30' },
    ]);
  });

  it('remembers across a restart what it committed, and what the journal gives back', () => {
    const file = tempFile();
    const first = ledgerOver(openIndex(file));
    first.decide('truck-1', [e(T, 'temp_air=30')]);
    first.persist();
    first.decide('truck-1', [e(T + 60_000, 'temp_air=31')]); // journaled, not committed: a crash now
    indexes.pop()?.close();
    const second = ledgerOver(openIndex(file));
    second.recover([{ deviceId: 'truck-1', tsMs: T + 60_000, fields: 'temp_air=31' }]);
    expect(kinds(sync(second.decide('truck-1', [e(T, 'temp_air=4'), e(T + 60_000, 'temp_air=4')])))).toEqual([
      'conflict',
      'conflict',
    ]);
    expect(kinds(sync(second.decide('truck-1', [e(T, 'temp_air=30')])))).toEqual(['duplicate']);
  });

  it('decides in-order readings without looking anything up', () => {
    const influx = fakeInflux();
    const ledger = ledgerOver(openIndex(tempFile()), influx.history);
    for (let i = 0; i < 100; i++) sync(ledger.decide('truck-1', [e(T + i, `temp_air=${i}`)]));
    expect(influx.calls).toEqual({ newest: 0, fieldSets: 0 });
  });

  it('asks InfluxDB about times older than the index keeps, and finds the conflict there', async () => {
    const index = openIndex(tempFile());
    const influx = fakeInflux();
    const ledger = ledgerOver(index, influx.history, 7 * DAY);
    const old = NOW - 20 * DAY;
    ledger.decide('truck-1', [e(old, 'temp_air=30'), e(NOW - 60_000, 'temp_air=4')]);
    influx.put({ deviceId: 'truck-1', tsMs: old, fields: 'temp_air=30' }); // the writer wrote it
    ledger.persist(); // prunes everything older than 7 days
    expect(index.find('truck-1', old)).toBeUndefined();
    expect(kinds(await ledger.decide('truck-1', [e(old, 'temp_air=4')]))).toEqual(['conflict']);
    expect(kinds(await ledger.decide('truck-1', [e(old, 'temp_air=30')]))).toEqual(['duplicate']);
    expect(influx.calls.fieldSets).toBe(1); // the answer became a ledger row
  });

  it('over a data folder with history from before the ledger, asks InfluxDB about each device once', async () => {
    const influx = fakeInflux([{ deviceId: 'truck-1', tsMs: T, fields: 'temp_air=30' }]);
    const ledger = ledgerOver(openIndex(tempFile(), true), influx.history);
    expect(kinds(await ledger.decide('truck-1', [e(T, 'temp_air=4')]))).toEqual(['conflict']);
    expect(kinds(sync(ledger.decide('truck-1', [e(T + 60_000, 'temp_air=4')])))).toEqual(['new']);
    expect(influx.calls).toEqual({ newest: 1, fieldSets: 1 });
  });

  it('keeps a device’s messages in order while one waits for InfluxDB', async () => {
    const influx = fakeInflux([{ deviceId: 'truck-1', tsMs: T, fields: 'temp_air=30' }]);
    const ledger = ledgerOver(openIndex(tempFile(), true), influx.history);
    const a = ledger.decide('truck-1', [e(T + 1, 'temp_air=1')]);
    const b = ledger.decide('truck-1', [e(T + 1, 'temp_air=2')]);
    expect(b).toBeInstanceOf(Promise);
    expect([kinds(await a), kinds(await b)]).toEqual([['new'], ['conflict']]);
  });
});

/**
 * The invariant, for any interleaving: the first version of each (device, timestamp) wins, the
 * later equal ones are duplicates and the later different ones conflicts naming it, whatever
 * happens in between: commits, prunes, crashes with journal recovery, a data folder with history.
 */
describe('the reading ledger, for any sequence of readings', () => {
  type Op =
    | { op: 'message'; device: number; readings: Array<{ t: number; v: number }> }
    | { op: 'persist' }
    | { op: 'crash' }
    | { op: 'prune'; t: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant('message' as const),
        device: fc.integer({ min: 0, max: 2 }),
        readings: fc.array(
          fc.record({ t: fc.integer({ min: 0, max: 7 }), v: fc.integer({ min: 0, max: 2 }) }),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ op: 'persist' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'crash' as const }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('prune' as const), t: fc.integer({ min: 0, max: 8 }) }),
    },
  );
  // 25 minutes apart: several chunks of the index per device, and backlogs that overlap them.
  const tsOf = (t: number) => NOW - 10 * DAY + t * 25 * 60_000;
  const fieldsOf = (v: number) => `temp_air=${v},seq=1i`;

  it('accepts exactly the first version of each device and timestamp', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 40 }),
        fc.array(fc.record({ device: fc.integer({ min: 0, max: 2 }), t: fc.integer({ min: 0, max: 7 }) }), {
          maxLength: 4,
        }),
        async (ops, legacy) => {
          const file = tempFile();
          const legacyRows = legacy.map(({ device, t }) => ({
            deviceId: `d${device}`,
            tsMs: tsOf(t),
            fields: fieldsOf(9),
          }));
          const influx = fakeInflux(legacyRows);
          let index = openIndex(file, legacyRows.length > 0);
          let ledger: ReadingLedger = ledgerOver(index, influx.history);
          /** Accepted since the last commit: what the journal still holds after a crash. */
          let journal: LedgerRow[] = [];
          const first = new Map<string, string>(legacyRows.map((r) => [`${r.deviceId}@${r.tsMs}`, r.fields]));
          for (const o of ops) {
            if (o.op === 'persist') {
              ledger.persist();
              journal = [];
            } else if (o.op === 'crash') {
              index.close();
              index = openIndex(file);
              ledger = ledgerOver(index, influx.history);
              ledger.recover(journal);
            } else if (o.op === 'prune') {
              ledger.persist();
              journal = [];
              index.prune(tsOf(o.t));
            } else {
              const deviceId = `d${o.device}`;
              const entries = o.readings.map(({ t, v }) => e(tsOf(t), fieldsOf(v)));
              const verdicts = await ledger.decide(deviceId, entries);
              entries.forEach((entry, i) => {
                const key = `${deviceId}@${entry.tsMs}`;
                const stored = first.get(key);
                const want: Verdict =
                  stored === undefined
                    ? { kind: 'new' }
                    : stored === entry.fields
                      ? { kind: 'duplicate' }
                      : { kind: 'conflict', storedFields: stored };
                expect(verdicts[i]).toEqual(want);
                if (stored === undefined) first.set(key, entry.fields);
                if (want.kind !== 'conflict') {
                  journal.push({ deviceId, ...entry });
                  influx.put({ deviceId, ...entry });
                }
              });
            }
          }
        },
      ),
      { numRuns: 150 },
    );
    // 150 runs, each with its own SQLite files: seconds on a busy machine.
  }, 60_000);
});
