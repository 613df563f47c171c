import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeviceEvent, POWER_STATES, SCAN_ACTIONS } from './device-event.js';
import { parseEvents } from './events.js';
import { MAX_BATCH_EVENTS, MAX_FUTURE_SKEW_MS, MAX_PAST_AGE_MS } from './limits.js';
import { expectWellFormed, problemsOf } from './testing.js';

const NOW_MS = Date.UTC(2026, 5, 1, 8, 0, 0);
const opts = { nowMs: NOW_MS };
const events = (...list: unknown[]) => JSON.stringify({ v: 1, events: list });
const door = (fields: Record<string, unknown> = {}) => ({ ts: NOW_MS, type: 'door', open: true, ...fields });

describe('parseEvents: accepted messages', () => {
  it('reads one event of each type, with ts as ISO or epoch milliseconds', () => {
    const payload = events(
      { ts: '2026-06-01T07:00:00.000Z', type: 'door', open: true },
      { ts: NOW_MS - 1000, type: 'scan', action: 'load', shipmentId: 'SH-0001', by: '王师傅' },
      { ts: NOW_MS, type: 'power', state: 'battery' },
      { ts: NOW_MS, type: 'alarm', code: 'SENSOR_FAULT', message: 'probe 2 open circuit' },
    );
    expect(parseEvents(payload, opts)).toEqual({
      ok: true,
      value: {
        v: 1,
        events: [
          { tsMs: NOW_MS - 3_600_000, type: 'door', open: true },
          { tsMs: NOW_MS - 1000, type: 'scan', action: 'load', shipmentId: 'SH-0001', by: '王师傅' },
          { tsMs: NOW_MS, type: 'power', state: 'battery' },
          { tsMs: NOW_MS, type: 'alarm', code: 'SENSOR_FAULT', message: 'probe 2 open circuit' },
        ],
      },
    });
  });

  it('normalises a single-event message to a batch of one', () => {
    const payload = Buffer.from(JSON.stringify({ v: 1, ...door({ open: false }) }));
    expect(parseEvents(payload, opts)).toEqual({
      ok: true,
      value: { v: 1, events: [{ tsMs: NOW_MS, type: 'door', open: false }] },
    });
  });

  it('accepts a scan without who scanned and an alarm without a message', () => {
    const payload = events(
      { ts: NOW_MS, type: 'scan', action: 'unload', shipmentId: 'SH-0001' },
      { ts: NOW_MS, type: 'alarm', code: 'E.12' },
    );
    expect(parseEvents(payload, opts).ok).toBe(true);
  });
});

describe('parseEvents: refused messages', () => {
  it.each([
    {
      name: 'an unknown event type',
      payload: events(door({ type: 'tamper' })),
      code: 'invalid_field',
      path: 'events[0].type',
    },
    {
      name: 'an event without a type',
      payload: events({ ts: NOW_MS, open: true }),
      code: 'missing_field',
      path: 'events[0].type',
    },
    {
      name: 'a door event without open',
      payload: events({ ts: NOW_MS, type: 'door' }),
      code: 'missing_field',
      path: 'events[0].open',
    },
    {
      name: 'a field of another event type',
      payload: events(door({ state: 'off' })),
      code: 'unknown_field',
      path: 'events[0].state',
    },
    {
      name: 'a scan of neither load nor unload',
      payload: events({ ts: NOW_MS, type: 'scan', action: 'move', shipmentId: 'S1' }),
      code: 'invalid_field',
      path: 'events[0].action',
    },
    {
      name: 'a shipment id that is not one topic level',
      payload: events({ ts: NOW_MS, type: 'scan', action: 'load', shipmentId: 'a/b' }),
      code: 'invalid_field',
      path: 'events[0].shipmentId',
    },
    {
      name: 'an empty scanned-by',
      payload: events({ ts: NOW_MS, type: 'scan', action: 'load', shipmentId: 'S1', by: '' }),
      code: 'invalid_field',
      path: 'events[0].by',
    },
    {
      name: 'an unknown power state',
      payload: events({ ts: NOW_MS, type: 'power', state: 'solar' }),
      code: 'invalid_field',
      path: 'events[0].state',
    },
    {
      name: 'an alarm code with spaces',
      payload: events({ ts: NOW_MS, type: 'alarm', code: 'SENSOR FAULT' }),
      code: 'invalid_field',
      path: 'events[0].code',
    },
    {
      name: 'an alarm message of 501 characters',
      payload: events({ ts: NOW_MS, type: 'alarm', code: 'X', message: 'x'.repeat(501) }),
      code: 'invalid_field',
      path: 'events[0].message',
    },
    {
      name: 'an event dated too far ahead',
      payload: events(door({ ts: NOW_MS + MAX_FUTURE_SKEW_MS + 1 })),
      code: 'timestamp_out_of_range',
      path: 'events[0].ts',
    },
    {
      name: 'an event dated too long ago',
      payload: events(door({ ts: NOW_MS - MAX_PAST_AGE_MS - 1 })),
      code: 'timestamp_out_of_range',
      path: 'events[0].ts',
    },
    { name: 'an empty batch', payload: events(), code: 'invalid_field', path: 'events' },
    {
      name: 'a batch over MAX_BATCH_EVENTS',
      payload: events(...Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => door())),
      code: 'too_many_events',
      path: 'events',
    },
    {
      name: 'readings sent to the events topic',
      payload: JSON.stringify({ v: 1, readings: [] }),
      code: 'missing_field',
      path: 'type',
    },
    {
      name: 'a message of another version',
      payload: JSON.stringify({ v: '1', events: [door()] }),
      code: 'unsupported_version',
      path: 'v',
    },
    { name: 'malformed JSON', payload: '{"v":1,', code: 'malformed_json', path: '' },
    {
      name: 'a __proto__ key',
      payload: `{"v":1,"events":[{"__proto__":{"type":"door"}}]}`,
      code: 'forbidden_key',
      path: 'events[0].__proto__',
    },
  ])('rejects $name', ({ payload, code, path }) => {
    expect(problemsOf(parseEvents(payload, opts))[0]).toMatchObject({ code, path });
  });

  it('says which types there are when the type is unknown', () => {
    expect(problemsOf(parseEvents(events(door({ type: 'tamper' })), opts))[0]?.message).toBe(
      'events[0].type: expected an event type: "door", "scan", "power" or "alarm", received "tamper"',
    );
  });
});

const tsMs = fc.integer({ min: NOW_MS - MAX_PAST_AGE_MS, max: NOW_MS + MAX_FUTURE_SKEW_MS });
const shipmentId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/).filter((id) => id !== 'devices');
const text = (maxLength: number) =>
  fc.string({ minLength: 1, maxLength, unit: 'grapheme' }).filter((s) => s.length <= maxLength);

/** A valid event as it must parse. */
const deviceEvent: fc.Arbitrary<DeviceEvent> = fc.oneof(
  fc.record({ tsMs, type: fc.constant('door' as const), open: fc.boolean() }),
  fc.record(
    {
      tsMs,
      type: fc.constant('scan' as const),
      action: fc.constantFrom(...SCAN_ACTIONS),
      shipmentId,
      by: text(128),
    },
    { requiredKeys: ['tsMs', 'type', 'action', 'shipmentId'] },
  ),
  fc.record({ tsMs, type: fc.constant('power' as const), state: fc.constantFrom(...POWER_STATES) }),
  fc.record(
    {
      tsMs,
      type: fc.constant('alarm' as const),
      code: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/),
      message: text(500),
    },
    { requiredKeys: ['tsMs', 'type', 'code'] },
  ),
);

const toWire = ({ tsMs: ms, ...fields }: DeviceEvent, asIso: boolean) => ({
  ts: asIso ? new Date(ms).toISOString() : ms,
  ...fields,
});

describe('parseEvents: properties', () => {
  it('never throws, whatever the payload', () => {
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.jsonValue().map((value) => JSON.stringify({ v: 1, events: [value] })),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.string({ unit: 'binary' }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc.anything({ withBigInt: true, withMap: true, withNullPrototype: true, withSparseArray: true }),
    );
    fc.assert(
      fc.property(payload, (value) => expectWellFormed(parseEvents(value, opts))),
      { numRuns: 500 },
    );
  });

  it('round-trips valid messages through JSON, in both forms', () => {
    fc.assert(
      fc.property(fc.array(deviceEvent, { minLength: 1, maxLength: 10 }), fc.boolean(), (list, asIso) => {
        const wire = list.map((event) => toWire(event, asIso));
        expect(parseEvents(JSON.stringify({ v: 1, events: wire }), opts)).toEqual({
          ok: true,
          value: { v: 1, events: list },
        });
        expect(parseEvents(JSON.stringify({ v: 1, ...wire[0] }), opts)).toEqual({
          ok: true,
          value: { v: 1, events: [list[0]] },
        });
      }),
    );
  });
});
