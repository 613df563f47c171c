import { describe, expect, it } from 'vitest';
import { parseCustodyChange } from './custody-change.js';
import { expectWellFormed, problemsOf } from './testing.js';

describe('parseCustodyChange', () => {
  it('reads a custody change for the shipment its topic names, as bytes or text', () => {
    const payload = JSON.stringify({ event: 'custody.changed', shipmentId: 'SH-1' });
    const value = { event: 'custody.changed', shipmentId: 'SH-1' };
    expect(parseCustodyChange(payload, 'SH-1')).toEqual({ ok: true, value });
    expect(parseCustodyChange(Buffer.from(payload), 'SH-1')).toEqual({ ok: true, value });
  });

  it('drops fields it does not know, so that a later version may add some', () => {
    const payload = JSON.stringify({ event: 'custody.changed', shipmentId: 'SH-1', legId: 7 });
    expect(parseCustodyChange(payload, 'SH-1')).toEqual({
      ok: true,
      value: { event: 'custody.changed', shipmentId: 'SH-1' },
    });
  });

  it('refuses a payload that names another shipment than its topic', () => {
    const payload = JSON.stringify({ event: 'custody.changed', shipmentId: 'SH-2' });
    expect(problemsOf(parseCustodyChange(payload, 'SH-1'))).toEqual([
      expect.objectContaining({ code: 'invalid_field', path: 'shipmentId', received: '"SH-2"' }),
    ]);
  });

  it.each([
    ['text that is not JSON', 'custody changed', 'malformed_json'],
    ['another event', JSON.stringify({ event: 'custody.ended', shipmentId: 'SH-1' }), 'invalid_field'],
    ['no shipment', JSON.stringify({ event: 'custody.changed' }), 'missing_field'],
    [
      'an invalid shipment id',
      JSON.stringify({ event: 'custody.changed', shipmentId: 'a/b' }),
      'invalid_field',
    ],
    ['a JSON array', '[]', 'invalid_field'],
  ])('refuses %s', (_case, payload, code) => {
    const result = parseCustodyChange(payload, 'SH-1');
    expectWellFormed(result);
    expect(problemsOf(result)[0]?.code).toBe(code);
  });
});
