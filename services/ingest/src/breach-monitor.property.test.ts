import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  alertKey,
  type Reading as EngineReading,
  evaluate,
  parseProfiles,
  toEngineReading,
} from '@coldchain/coldchain';
import type { Reading } from '@coldchain/schema';
import { type Alert, createSqliteStore } from '@coldchain/store';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createBreachMonitor } from './breach-monitor.js';

const MIN = 60_000;
const SETTLE_MS = 5_000;
const PEAK_STEP = 0.5;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const profile = parseProfiles(
  JSON.parse(readFileSync(join(repoRoot, 'seeds', 'profiles.json'), 'utf8')),
).find((p) => p.id === 'pharma-2-8');
if (!profile) throw new Error('pharma-2-8 missing from the seed profiles');

/** Levels that exercise every rule of pharma-2-8: in range, warning high and low, critical high and low. */
const LEVELS = [5, 5, 5, 9, 1, 16, -1];

/** A day's stretch of one reading a minute: runs at a level, some minutes missing, a door now and then. */
const historyArb = fc
  .array(
    fc.record({
      minutes: fc.integer({ min: 1, max: 40 }),
      level: fc.constantFrom(...LEVELS),
      wobble: fc.double({ min: -0.4, max: 0.4, noNaN: true }),
      missing: fc.boolean(),
      door: fc.boolean(),
    }),
    { minLength: 3, maxLength: 14 },
  )
  .map((runs) => {
    const minutes: Array<{ minute: number; tempC: number; door?: boolean }> = [];
    let minute = 0;
    for (const run of runs) {
      for (let i = 0; i < run.minutes; i++, minute++) {
        // A missing run leaves a hole (a data gap once longer than 10 min); keep its first reading.
        if (run.missing && i > 0) continue;
        const tempC = Math.round((run.level + (i % 3 === 0 ? run.wobble : 0)) * 100) / 100;
        minutes.push({ minute, tempC, ...(run.door ? { door: i < 7 } : {}) });
      }
    }
    return minutes;
  });

/** How the network and the device deliver it: duplicates, local reordering, batching, a backlog last. */
const deliveryArb = fc.record({
  seed: fc.integer(),
  duplicatePct: fc.constantFrom(0, 5, 20),
  reorderWithin: fc.constantFrom(0, 3, 10),
  maxBatch: fc.constantFrom(1, 5, 20),
  /** A stretch (as fractions of the history) held back and sent last in 60-reading chunks. */
  backlog: fc.option(
    fc.tuple(fc.double({ min: 0, max: 0.8, noNaN: true }), fc.double({ min: 0.05, max: 0.3, noNaN: true })),
  ),
  /** Live: the wall clock follows the data. Replay: everything arrives within moments. */
  live: fc.boolean(),
  /** Acknowledge an open alert after this message (index modulo messages), if any is open. */
  ackAfter: fc.option(fc.nat()),
});

function rng(seed: number) {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % 1_000_000) / 1_000_000;
  };
}

type Delivery = typeof deliveryArb extends fc.Arbitrary<infer T> ? T : never;

function messagesOf(readings: Reading[], d: Delivery) {
  const random = rng(d.seed);
  let main = readings;
  let held: Reading[] = [];
  if (d.backlog) {
    const from = Math.floor(d.backlog[0] * readings.length);
    const to = Math.min(readings.length, from + Math.max(1, Math.floor(d.backlog[1] * readings.length)));
    held = readings.slice(from, to);
    main = [...readings.slice(0, from), ...readings.slice(to)];
  }
  const withCopies = main.flatMap((r) => (random() * 100 < d.duplicatePct ? [r, r] : [r]));
  // Local reordering: each reading moves by at most `reorderWithin` places.
  const keyed = withCopies.map((r, i) => ({ r, k: i + random() * d.reorderWithin }));
  keyed.sort((a, b) => a.k - b.k);
  const messages: Reading[][] = [];
  for (let i = 0; i < keyed.length; ) {
    const n = 1 + Math.floor(random() * d.maxBatch);
    messages.push(keyed.slice(i, i + n).map((x) => x.r));
    i += n;
  }
  for (let i = 0; i < held.length; i += 60) messages.push(held.slice(i, i + 60));
  return messages;
}

describe('alerts after any delivery are those of the complete history', () => {
  it('open or acknowledged alerts equal the batch evaluation; what was told ends as the store has it', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, deliveryArb, async (history, delivery) => {
        const t0 = Date.UTC(2026, 10, 20, 6, 0, 0);
        const clock = { ms: t0 };
        const store = createSqliteStore({ file: ':memory:', now: () => clock.ms });
        const stored: EngineReading[] = [];
        const told: Array<{ change: 'created' | 'updated'; alert: Alert }> = [];
        const monitor = createBreachMonitor({
          store,
          profiles: new Map([[profile.id, profile]]),
          history: async (_deviceId, fromMs, toMs) => stored.filter((r) => r.tsMs >= fromMs && r.tsMs < toMs),
          sinks: [(alert, change) => told.push({ change, alert })],
          log: pino({ level: 'silent' }),
          now: () => clock.ms,
          settleMs: SETTLE_MS,
          peakStep: PEAK_STEP,
        });
        await store.createShipment({
          id: 'S',
          profileId: profile.id,
          shipper: 'Shenyang Pharma',
          consignee: 'Clinic',
        });
        const leg = await store.addCustodyLeg({
          shipmentId: 'S',
          deviceId: 'logger',
          holder: 'Cold Express',
          fromMs: t0 - profile.settleMs,
          toMs: null,
          handedOverBy: null,
          handoverTempC: null,
        });
        const readings: Reading[] = history.map(({ minute, tempC, door }) => ({
          tsMs: t0 + minute * MIN,
          temp: { product: tempC },
          ...(door === undefined ? {} : { door }),
        }));
        const lastTs = readings.at(-1)?.tsMs ?? t0;
        const messages = messagesOf(readings, delivery);
        // Replay: the device sends it well after the fact (a backlog), all within moments.
        clock.ms = delivery.live ? t0 : lastTs + 10 * MIN;
        let newest = Number.NEGATIVE_INFINITY;
        for (const [i, message] of messages.entries()) {
          for (const r of message) newest = Math.max(newest, r.tsMs);
          // Live: it arrives when its newest reading was taken, give or take; replay: moments apart.
          clock.ms = delivery.live ? Math.max(clock.ms, newest + 10_000) : clock.ms + 7;
          stored.push(...message.map(toEngineReading));
          monitor.accept({ deviceId: 'logger', arrivedAtMs: clock.ms, readings: message, events: [] });
          await monitor.idle();
          if (delivery.live) await monitor.release();
          if (delivery.ackAfter !== null && delivery.ackAfter % messages.length === i) {
            const [open] = await store.listAlerts({ shipmentId: 'S', status: 'open', limit: 1 });
            if (open) await store.acknowledgeAlert(open.id, 'operator-1', 'on it');
          }
        }
        // The device has been quiet for the settle time; the timer has evaluated the leg.
        clock.ms = Math.max(clock.ms, lastTs) + SETTLE_MS;
        await monitor.tick();
        await monitor.release();
        await monitor.idle();

        const batch = evaluate(stored, profile, { startMs: leg.fromMs, endMs: null }, clock.ms).excursions;
        const alerts = await store.listAlerts({ shipmentId: 'S', limit: 1000 });
        const standing = alerts.filter((a) => a.status !== 'resolved');
        const shape = (
          rows: Array<{ key: string; startMs: number; endMs: number | null; peakValue: number | null }>,
        ) =>
          rows
            .map(({ key, startMs, endMs, peakValue }) => ({ key, startMs, endMs, peakValue }))
            .sort((a, b) => (a.key < b.key ? -1 : 1));
        expect(shape(standing)).toEqual(
          shape(
            batch.map((e) => ({
              key: alertKey('S', leg.id, e.key),
              startMs: e.startMs,
              endMs: e.endMs,
              peakValue: e.peak?.value ?? null,
            })),
          ),
        );
        // No alert of the complete history was resolved on the way and left so.
        for (const a of alerts.filter((x) => x.status === 'resolved'))
          expect(standing.map((s) => s.key)).not.toContain(a.key);

        // What was told: every standing alert once as created, and its last word agrees with the store.
        const lastWord = new Map<number, Alert>();
        for (const { alert } of told) lastWord.set(alert.id, alert);
        for (const a of standing) {
          expect(
            told.filter((t) => t.change === 'created' && t.alert.id === a.id).map((t) => t.alert.key),
          ).toEqual([a.key]);
          const last = lastWord.get(a.id);
          expect(last && [last.startMs, last.endMs, last.severity]).toEqual([a.startMs, a.endMs, a.severity]);
          expect(Math.abs((last?.peakValue ?? 0) - (a.peakValue ?? 0))).toBeLessThan(PEAK_STEP);
        }
        for (const a of alerts.filter((x) => x.status === 'resolved' && lastWord.has(x.id)))
          expect(lastWord.get(a.id)?.status).toBe('resolved');
        // Replayed within the settle time, nothing transient is told: each alert told stands.
        if (!delivery.live) expect(told.filter((t) => t.change === 'created')).toHaveLength(standing.length);
        await store.close();
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
