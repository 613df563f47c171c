import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BATTERY_RANGE_PCT,
  LAT_RANGE_DEG,
  LON_RANGE_DEG,
  MAX_BATCH_READINGS,
  MAX_FUTURE_SKEW_MS,
  MAX_PAST_AGE_MS,
  MAX_PAYLOAD_BYTES,
  MAX_PROBLEMS,
  MAX_SENSORS,
  type Range,
  RH_RANGE_PCT,
  SENSOR_NAME_PATTERN,
  TEMP_RANGE_C,
} from './limits.js';
import type { Reading } from './reading.js';
import { parseTelemetry } from './telemetry.js';
import { expectWellFormed, problemsOf } from './testing.js';

const NOW_MS = Date.UTC(2026, 5, 1, 8, 0, 0);
const NOW_ISO = '2026-06-01T08:00:00.000Z';
const opts = { nowMs: NOW_MS };

const batch = (...readings: unknown[]) => JSON.stringify({ v: 1, readings });
const reading = (fields: Record<string, unknown> = {}) => ({ ts: NOW_ISO, temp: { air: 3.4 }, ...fields });

describe('parseTelemetry: accepted messages', () => {
  it('reads the example batch of the design', () => {
    const payload =
      '{"v":1,"readings":[{"ts":"2026-06-01T08:00:00.000Z","seq":1841,"temp":{"air":3.4,"product":2.9},"rh":91.5,"door":false,"lat":38.914,"lon":121.614,"battery":87}]}';
    expect(parseTelemetry(payload, opts)).toEqual({
      ok: true,
      value: {
        v: 1,
        readings: [
          {
            tsMs: NOW_MS,
            seq: 1841,
            temp: { air: 3.4, product: 2.9 },
            rh: 91.5,
            door: false,
            lat: 38.914,
            lon: 121.614,
            battery: 87,
          },
        ],
      },
    });
  });

  it('normalises a single-reading message to a batch of one', () => {
    const payload = JSON.stringify({ v: 1, ts: NOW_MS, rh: 90 });
    expect(parseTelemetry(payload, opts)).toEqual({
      ok: true,
      value: { v: 1, readings: [{ tsMs: NOW_MS, rh: 90 }] },
    });
  });

  it.each([
    ['epoch milliseconds', NOW_MS - 1000, NOW_MS - 1000],
    ['ISO with Z', '2026-06-01T07:59:59.000Z', NOW_MS - 1000],
    ['ISO with an offset', '2026-06-01T15:59:59+08:00', NOW_MS - 1000],
    ['ISO without fraction', '2026-06-01T07:59:59Z', NOW_MS - 1000],
    ['ISO with microseconds', '2026-06-01T07:59:59.000999Z', NOW_MS - 1000],
  ])('reads ts given as %s', (_form, ts, tsMs) => {
    const result = parseTelemetry(batch(reading({ ts })), opts);
    expect(result.ok && result.value.readings[0]?.tsMs).toBe(tsMs);
  });

  it.each([
    ['a closed door alone', { door: false }],
    ['a battery level alone', { battery: 0 }],
    ['a position alone', { lat: -90, lon: 180 }],
    ['humidity alone', { rh: 100 }],
    ['a temperature at each limit', { temp: { low: -100, high: 100 } }],
  ])('accepts a reading with %s', (_case, fields) => {
    expect(parseTelemetry(batch({ ts: NOW_MS, ...fields }), opts).ok).toBe(true);
  });

  it('accepts the payload as bytes, as a string or already parsed', () => {
    const message = { v: 1, readings: [reading()] };
    const text = JSON.stringify(message);
    for (const payload of [Buffer.from(text), new TextEncoder().encode(text), text, message]) {
      expect(parseTelemetry(payload, opts).ok).toBe(true);
    }
  });

  it('accepts a batch of exactly MAX_BATCH_READINGS readings', () => {
    const readings = Array.from({ length: MAX_BATCH_READINGS }, (_, seq) => ({
      ts: NOW_MS - seq * 60_000,
      seq,
      rh: 90,
    }));
    const result = parseTelemetry(batch(...readings), opts);
    expect(result.ok && result.value.readings.length).toBe(MAX_BATCH_READINGS);
  });

  it('accepts event times at the edges of the window', () => {
    const edges = [reading({ ts: NOW_MS + MAX_FUTURE_SKEW_MS }), reading({ ts: NOW_MS - MAX_PAST_AGE_MS })];
    expect(parseTelemetry(batch(...edges), opts).ok).toBe(true);
  });
});

describe('parseTelemetry: refused messages', () => {
  it('names the reading, sensor, limit and value of an out-of-range temperature', () => {
    const readings = [reading(), reading(), reading(), reading({ temp: { air: 412 } })];
    expect(problemsOf(parseTelemetry(batch(...readings), opts))).toEqual([
      {
        code: 'invalid_field',
        path: 'readings[3].temp.air',
        expected: 'a number between -100 and 100',
        received: '412',
        message: 'readings[3].temp.air: expected a number between -100 and 100, received 412',
      },
    ]);
  });

  it.each([
    {
      name: 'a reading with no measurement',
      payload: batch({ ts: NOW_MS, seq: 3 }),
      code: 'no_measurement',
      path: 'readings[0]',
    },
    {
      name: 'a latitude without a longitude',
      payload: batch(reading({ lat: 38.9 })),
      code: 'missing_field',
      path: 'readings[0].lon',
    },
    {
      name: 'a longitude without a latitude',
      payload: batch(reading({ lon: 121.6 })),
      code: 'missing_field',
      path: 'readings[0].lat',
    },
    {
      name: 'an unknown field in a reading',
      payload: batch(reading({ humidity: 90 })),
      code: 'unknown_field',
      path: 'readings[0].humidity',
    },
    {
      name: 'an unknown field beside the readings',
      payload: JSON.stringify({ v: 1, readings: [reading()], device: 'x' }),
      code: 'unknown_field',
      path: 'device',
    },
    {
      name: 'a ts beside the readings',
      payload: JSON.stringify({ v: 1, readings: [reading()], ts: NOW_MS }),
      code: 'unknown_field',
      path: 'ts',
    },
    {
      name: 'a number sent as a string',
      payload: batch(reading({ rh: '91.5' })),
      code: 'invalid_field',
      path: 'readings[0].rh',
    },
    {
      name: 'humidity above 100 %',
      payload: batch(reading({ rh: 100.1 })),
      code: 'invalid_field',
      path: 'readings[0].rh',
    },
    {
      name: 'a latitude beyond the pole',
      payload: batch(reading({ lat: 90.5, lon: 0 })),
      code: 'invalid_field',
      path: 'readings[0].lat',
    },
    {
      name: 'a negative battery level',
      payload: batch(reading({ battery: -1 })),
      code: 'invalid_field',
      path: 'readings[0].battery',
    },
    {
      name: 'a door state given as a number',
      payload: batch(reading({ door: 0 })),
      code: 'invalid_field',
      path: 'readings[0].door',
    },
    {
      name: 'a negative seq',
      payload: batch(reading({ seq: -1 })),
      code: 'invalid_field',
      path: 'readings[0].seq',
    },
    {
      name: 'a fractional seq',
      payload: batch(reading({ seq: 1.5 })),
      code: 'invalid_field',
      path: 'readings[0].seq',
    },
    {
      name: 'an empty temp object',
      payload: batch(reading({ temp: {} })),
      code: 'invalid_field',
      path: 'readings[0].temp',
    },
    {
      name: 'more sensors than allowed',
      payload: batch(
        reading({
          temp: Object.fromEntries(Array.from({ length: MAX_SENSORS + 1 }, (_, i) => [`s${i}`, 1])),
        }),
      ),
      code: 'invalid_field',
      path: 'readings[0].temp',
    },
    {
      name: 'a sensor name with capitals',
      payload: batch(reading({ temp: { Air: 3 } })),
      code: 'invalid_field',
      path: 'readings[0].temp.Air',
    },
    {
      name: 'a sensor name with a space',
      payload: batch(reading({ temp: { 'return air': 3 } })),
      code: 'invalid_field',
      path: 'readings[0].temp["return air"]',
    },
    { name: 'a missing ts', payload: batch({ rh: 90 }), code: 'missing_field', path: 'readings[0].ts' },
    {
      name: 'a local time without a timezone',
      payload: batch(reading({ ts: '2026-06-01T08:00:00' })),
      code: 'invalid_field',
      path: 'readings[0].ts',
    },
    {
      name: 'a date without a time',
      payload: batch(reading({ ts: '2026-06-01' })),
      code: 'invalid_field',
      path: 'readings[0].ts',
    },
    {
      name: 'an impossible date',
      payload: batch(reading({ ts: '2026-02-30T08:00:00Z' })),
      code: 'invalid_field',
      path: 'readings[0].ts',
    },
    {
      name: 'a fractional epoch',
      payload: batch(reading({ ts: NOW_MS + 0.5 })),
      code: 'invalid_field',
      path: 'readings[0].ts',
    },
    {
      name: 'an event time too far ahead',
      payload: batch(reading({ ts: NOW_MS + MAX_FUTURE_SKEW_MS + 1 })),
      code: 'timestamp_out_of_range',
      path: 'readings[0].ts',
    },
    {
      name: 'an event time too long ago',
      payload: batch(reading({ ts: NOW_MS - MAX_PAST_AGE_MS - 1 })),
      code: 'timestamp_out_of_range',
      path: 'readings[0].ts',
    },
    {
      name: 'epoch seconds taken for milliseconds',
      payload: batch(reading({ ts: NOW_MS / 1000 })),
      code: 'timestamp_out_of_range',
      path: 'readings[0].ts',
    },
    { name: 'an empty batch', payload: batch(), code: 'invalid_field', path: 'readings' },
    {
      name: 'readings that are not an array',
      payload: JSON.stringify({ v: 1, readings: reading() }),
      code: 'invalid_field',
      path: 'readings',
    },
    {
      name: 'a reading that is not an object',
      payload: batch(42),
      code: 'invalid_field',
      path: 'readings[0]',
    },
    {
      name: 'a message without a version',
      payload: JSON.stringify({ readings: [reading()] }),
      code: 'unsupported_version',
      path: 'v',
    },
    {
      name: 'a message of another version',
      payload: JSON.stringify({ v: 2, readings: [reading()] }),
      code: 'unsupported_version',
      path: 'v',
    },
    { name: 'a JSON array', payload: '[1,2]', code: 'not_an_object', path: '' },
    { name: 'JSON null', payload: 'null', code: 'not_an_object', path: '' },
    { name: 'a JSON string', payload: '"online"', code: 'not_an_object', path: '' },
    { name: 'truncated JSON', payload: '{"v":1,"readings":[', code: 'malformed_json', path: '' },
    { name: 'an empty payload', payload: '', code: 'malformed_json', path: '' },
    {
      name: 'NaN written into JSON',
      payload: '{"v":1,"ts":1780300800000,"rh":NaN}',
      code: 'malformed_json',
      path: '',
    },
    {
      name: 'bytes that are not UTF-8',
      payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      code: 'malformed_json',
      path: '',
    },
    {
      name: 'a __proto__ key in a reading',
      payload: `{"v":1,"readings":[{"ts":${NOW_MS},"rh":1,"__proto__":{"admin":true}}]}`,
      code: 'forbidden_key',
      path: 'readings[0].__proto__',
    },
    {
      name: 'a __proto__ sensor',
      payload: `{"v":1,"ts":${NOW_MS},"temp":{"__proto__":3}}`,
      code: 'forbidden_key',
      path: 'temp.__proto__',
    },
    {
      name: 'a constructor sensor',
      payload: `{"v":1,"ts":${NOW_MS},"temp":{"constructor":3}}`,
      code: 'forbidden_key',
      path: 'temp.constructor',
    },
    {
      name: 'deeply nested garbage',
      payload: `{"v":1,"ts":${NOW_MS},"rh":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      code: 'too_deeply_nested',
      path: 'rh[0][0][0][0][0][0][0]',
    },
  ])('rejects $name', ({ payload, code, path }) => {
    const [first] = problemsOf(parseTelemetry(payload, opts));
    expect(first).toMatchObject({ code, path });
  });

  it('names the allowed window, against the clock it was given, for an event time too far ahead', () => {
    const [problem] = problemsOf(parseTelemetry(batch(reading({ ts: '2026-06-01T09:00:00.000Z' })), opts));
    expect(problem?.message).toBe(
      'readings[0].ts: expected a time at most 5 minutes after the ingest time 2026-06-01T08:00:00.000Z, received 2026-06-01T09:00:00.000Z',
    );
  });

  it('refuses a batch over MAX_BATCH_READINGS before reading any of it', () => {
    const readings = Array.from({ length: MAX_BATCH_READINGS + 1 }, () => ({}));
    expect(problemsOf(parseTelemetry(batch(...readings), opts))).toEqual([
      {
        code: 'too_many_readings',
        path: 'readings',
        expected: `at most ${MAX_BATCH_READINGS} readings`,
        received: `${MAX_BATCH_READINGS + 1} readings`,
        message: `readings: expected at most ${MAX_BATCH_READINGS} readings, received ${MAX_BATCH_READINGS + 1} readings`,
      },
    ]);
  });

  it('measures the payload in bytes before parsing it', () => {
    const padding = (bytes: number) => ' '.repeat(bytes - batch(reading()).length);
    expect(parseTelemetry(batch(reading()) + padding(MAX_PAYLOAD_BYTES), opts).ok).toBe(true);
    const [tooLarge] = problemsOf(
      parseTelemetry(Buffer.from(batch(reading()) + padding(MAX_PAYLOAD_BYTES + 1)), opts),
    );
    expect(tooLarge).toMatchObject({ code: 'payload_too_large', received: `${MAX_PAYLOAD_BYTES + 1} bytes` });
    // "é" takes two bytes in UTF-8: this payload is within the limit in characters, beyond it in bytes.
    const padded = (pad: string) =>
      JSON.stringify({ v: 1, readings: [reading()], pad: pad.repeat(MAX_PAYLOAD_BYTES / 2) });
    expect(problemsOf(parseTelemetry(padded('e'), opts))[0]?.code).toBe('unknown_field');
    expect(problemsOf(parseTelemetry(padded('é'), opts))[0]?.code).toBe('payload_too_large');
  });

  it('reports NaN and Infinity handed in already parsed', () => {
    const problems = problemsOf(
      parseTelemetry({ v: 1, ts: NOW_MS, rh: Number.NaN, battery: Infinity }, opts),
    );
    expect(problems.map((p) => p.message)).toEqual([
      'rh: expected a number between 0 and 100, received NaN',
      'battery: expected a number between 0 and 100, received Infinity',
    ]);
  });

  it(`names at most MAX_PROBLEMS (${MAX_PROBLEMS}) problems`, () => {
    const readings = Array.from({ length: 50 }, () => reading({ rh: -1 }));
    expect(problemsOf(parseTelemetry(batch(...readings), opts))).toHaveLength(MAX_PROBLEMS);
  });

  it('answers a cyclic or hostile object handed in already parsed without throwing', () => {
    const cyclic: Record<string, unknown> = { v: 1, ts: NOW_MS };
    cyclic.temp = cyclic;
    expect(problemsOf(parseTelemetry(cyclic, opts))[0]?.code).toBe('too_deeply_nested');
    const hostile = {
      v: 1,
      get ts(): never {
        throw new Error('boom');
      },
    };
    expect(problemsOf(parseTelemetry(hostile, opts))[0]?.code).toBe('malformed_json');
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(problemsOf(parseTelemetry(revoked.proxy, opts))[0]?.code).toBe('malformed_json');
  });
});

// ---- Properties -------------------------------------------------------------------------------------------

/** A field value together with whether the limits allow it. */
interface Tagged<T = unknown> {
  value: T;
  valid: boolean;
}

// Valid values are the more likely, so that a reading often has just one invalid value: the case where
// a check that is missing lets the whole reading through.
const valid = <T>(arb: fc.Arbitrary<T>) => arb.map((value): Tagged<T> => ({ value, valid: true }));
const invalid = <T>(arb: fc.Arbitrary<T>) => arb.map((value): Tagged<T> => ({ value, valid: false }));
const mostlyValid = <T>(good: fc.Arbitrary<T>, ...bad: fc.Arbitrary<unknown>[]) =>
  fc.oneof({ weight: 3 * bad.length, arbitrary: valid<unknown>(good) }, ...bad.map((arb) => invalid(arb)));

// `+ 0` turns -0 into 0, which JSON cannot tell apart anyway.
const within = ({ min, max }: Range) => fc.double({ min, max, noNaN: true }).map((n) => n + 0);
const outside = ({ min, max }: Range) =>
  fc.oneof(
    // The filters drop -0 below a limit of 0: -0 is no less than 0.
    fc.double({ min: max, minExcluded: true, noNaN: true }).filter((n) => n > max),
    fc.double({ max: min, maxExcluded: true, noNaN: true }).filter((n) => n < min),
    fc.constant(Number.NaN),
    fc.constantFrom('1', null, true, [1]),
  );
const bounded = (range: Range) => mostlyValid(within(range), outside(range));

const sensorName = fc
  .stringMatching(/^[a-z][a-z0-9_]{0,31}$/)
  .filter((name) => SENSOR_NAME_PATTERN.test(name));
const validTsMs = fc.integer({ min: NOW_MS - MAX_PAST_AGE_MS, max: NOW_MS + MAX_FUTURE_SKEW_MS });
const validTs = fc.oneof(
  validTsMs,
  validTsMs.map((ms) => new Date(ms).toISOString()),
);

const taggedTs = mostlyValid(
  validTs,
  fc.integer({ min: NOW_MS + MAX_FUTURE_SKEW_MS + 1, max: 8.64e15 }),
  fc.integer({ min: -8.64e15, max: NOW_MS - MAX_PAST_AGE_MS - 1 }),
  fc.constantFrom('2026-06-01T08:00:00', 'yesterday', NOW_MS + 0.5, null),
);
const taggedSeq = mostlyValid(fc.maxSafeNat(), fc.constantFrom(-1, 1.5, '7', 2 ** 53));
const taggedDoor = mostlyValid(fc.boolean(), fc.constantFrom('true', 0, null));
const taggedTemp = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.dictionary(sensorName, bounded(TEMP_RANGE_C), { minKeys: 1, maxKeys: MAX_SENSORS }).map(
      (sensors): Tagged => ({
        value: Object.fromEntries(Object.entries(sensors).map(([name, tagged]) => [name, tagged.value])),
        valid: Object.values(sensors).every((tagged) => tagged.valid),
      }),
    ),
  },
  invalid(fc.constant({})),
  invalid(
    fc.dictionary(sensorName, within(TEMP_RANGE_C), { minKeys: MAX_SENSORS + 1, maxKeys: MAX_SENSORS + 3 }),
  ),
);
const taggedPosition = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(bounded(LAT_RANGE_DEG), bounded(LON_RANGE_DEG)).map(([lat, lon]) => ({
      value: { lat: lat.value, lon: lon.value },
      valid: lat.valid && lon.valid,
    })),
  },
  invalid(within(LAT_RANGE_DEG).map((lat) => ({ lat }))),
  invalid(within(LON_RANGE_DEG).map((lon) => ({ lon }))),
);

/** A wire reading mixing valid and invalid values, and whether all of it is valid. */
const taggedReading = fc
  .tuple(
    fc.record(
      {
        ts: taggedTs,
        seq: taggedSeq,
        temp: taggedTemp,
        rh: bounded(RH_RANGE_PCT),
        door: taggedDoor,
        position: taggedPosition,
        battery: bounded(BATTERY_RANGE_PCT),
      },
      { requiredKeys: ['ts'] },
    ),
    // One reading in six keeps nothing but ts and seq: rare among readings of random fields otherwise.
    fc.nat(5).map((dice) => dice === 0),
  )
  .map(([{ ts, seq, position, ...others }, onlyTsAndSeq]): Tagged<Record<string, unknown>> => {
    const measurements = onlyTsAndSeq ? [] : Object.entries({ ...others, position });
    const value: Record<string, unknown> = { ts: ts.value };
    if (seq) value.seq = seq.value;
    for (const [name, tagged] of measurements) {
      if (name === 'position') Object.assign(value, tagged?.value);
      else if (tagged) value[name] = tagged.value;
    }
    const tags = [ts, seq, ...measurements.map(([, tagged]) => tagged)];
    const measured = measurements.some(([, tagged]) => tagged !== undefined);
    return { value, valid: measured && tags.every((tagged) => tagged === undefined || tagged.valid) };
  });

/** A valid wire reading, and the Reading it must parse to. */
const validReading = fc
  .record(
    {
      seq: fc.maxSafeNat(),
      temp: fc.dictionary(sensorName, within(TEMP_RANGE_C), { minKeys: 1, maxKeys: MAX_SENSORS }),
      rh: within(RH_RANGE_PCT),
      door: fc.boolean(),
      position: fc.record({ lat: within(LAT_RANGE_DEG), lon: within(LON_RANGE_DEG) }),
      battery: within(BATTERY_RANGE_PCT),
    },
    { requiredKeys: [] },
  )
  .filter((fields) => Object.keys(fields).some((name) => name !== 'seq'))
  .chain(({ position, ...fields }) =>
    fc.tuple(validTsMs, fc.boolean()).map(([tsMs, asIso]) => {
      const measurements = { ...fields, ...position };
      const wire = { ts: asIso ? new Date(tsMs).toISOString() : tsMs, ...measurements };
      const parsed: Reading = { tsMs, ...measurements };
      return { wire, parsed };
    }),
  );

describe('parseTelemetry: properties', () => {
  it('never throws, whatever the payload', () => {
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.string({ unit: 'binary' }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc.anything({
        withBigInt: true,
        withDate: true,
        withMap: true,
        withNullPrototype: true,
        withSparseArray: true,
      }),
    );
    fc.assert(
      fc.property(payload, (value) => expectWellFormed(parseTelemetry(value, opts))),
      { numRuns: 500 },
    );
  });

  it('never throws for a valid message with garbage planted in it', () => {
    const key = fc.constantFrom(
      'v',
      'ts',
      'readings',
      'temp',
      'rh',
      'air',
      '__proto__',
      'constructor',
      'extra',
    );
    fc.assert(
      fc.property(
        fc.array(validReading, { minLength: 1, maxLength: 3 }),
        key,
        fc.jsonValue(),
        fc.nat(3),
        (readings, name, garbage, at) => {
          const message = { v: 1, readings: readings.map((r) => ({ ...r.wire, temp: { ...r.wire.temp } })) };
          const targets: object[] = [message, ...message.readings, ...message.readings.map((r) => r.temp)];
          const target = targets[at % targets.length]!;
          Object.defineProperty(target, name, { value: garbage, enumerable: true });
          expectWellFormed(parseTelemetry(JSON.stringify(message), opts));
          expectWellFormed(parseTelemetry(message, opts));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts a batch exactly when every value of every reading is within the limits', () => {
    fc.assert(
      fc.property(fc.array(taggedReading, { minLength: 1, maxLength: 4 }), (readings) => {
        const result = parseTelemetry({ v: 1, readings: readings.map((r) => r.value) }, opts);
        expect(result.ok).toBe(readings.every((r) => r.valid));
        expectWellFormed(result);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a valid batch once any one of its values is out of its limits', () => {
    const limited = [
      ['air', TEMP_RANGE_C],
      ['rh', RH_RANGE_PCT],
      ['lat', LAT_RANGE_DEG],
      ['lon', LON_RANGE_DEG],
      ['battery', BATTERY_RANGE_PCT],
    ] as const;
    const spoiler = fc
      .constantFrom(...limited)
      .chain(([name, range]) => outside(range).map((bad) => ({ name, bad })));
    fc.assert(
      fc.property(
        fc.array(validReading, { minLength: 1, maxLength: 5 }),
        fc.nat(),
        spoiler,
        (readings, n, { name, bad }) => {
          const at = n % readings.length;
          const wire = readings.map(({ wire }, i): Record<string, unknown> => {
            if (i !== at) return wire;
            const spoilt = name === 'air' ? { temp: { ...wire.temp, air: bad } } : { [name]: bad };
            return { lat: 0, lon: 0, ...wire, ...spoilt };
          });
          const problems = problemsOf(parseTelemetry({ v: 1, readings: wire }, opts));
          expect(problems.some((p) => p.path.startsWith(`readings[${at}]`))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts only readings whose every value satisfies the limits', () => {
    const inRange = (value: number | undefined, { min, max }: Range) =>
      value === undefined || (value >= min && value <= max);
    fc.assert(
      fc.property(taggedReading, ({ value }) => {
        const result = parseTelemetry({ v: 1, readings: [value] }, opts);
        if (!result.ok) return;
        for (const r of result.value.readings) {
          expect(r.tsMs).toBeGreaterThanOrEqual(NOW_MS - MAX_PAST_AGE_MS);
          expect(r.tsMs).toBeLessThanOrEqual(NOW_MS + MAX_FUTURE_SKEW_MS);
          expect(r.seq === undefined || (Number.isSafeInteger(r.seq) && r.seq >= 0)).toBe(true);
          expect(Object.values(r.temp ?? {}).every((t) => inRange(t, TEMP_RANGE_C))).toBe(true);
          expect(Object.keys(r.temp ?? { air: 0 }).length).toBeGreaterThan(0);
          expect(Object.keys(r.temp ?? {}).length).toBeLessThanOrEqual(MAX_SENSORS);
          expect(inRange(r.rh, RH_RANGE_PCT) && inRange(r.battery, BATTERY_RANGE_PCT)).toBe(true);
          expect(inRange(r.lat, LAT_RANGE_DEG) && inRange(r.lon, LON_RANGE_DEG)).toBe(true);
          expect(r.lat === undefined).toBe(r.lon === undefined);
          expect([r.temp, r.rh, r.door, r.lat, r.battery].some((m) => m !== undefined)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips valid messages through JSON, in both forms', () => {
    fc.assert(
      fc.property(fc.array(validReading, { minLength: 1, maxLength: 20 }), (readings) => {
        const asBatch = parseTelemetry(JSON.stringify({ v: 1, readings: readings.map((r) => r.wire) }), opts);
        expect(asBatch).toEqual({ ok: true, value: { v: 1, readings: readings.map((r) => r.parsed) } });
        const [first] = readings;
        const asSingle = parseTelemetry(Buffer.from(JSON.stringify({ v: 1, ...first!.wire })), opts);
        expect(asSingle).toEqual({ ok: true, value: { v: 1, readings: [first!.parsed] } });
      }),
    );
  });
});
