import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { alertEventSchema, parseAlertEvent } from './alert.js';
import { expectWellFormed, problemsOf } from './testing.js';

const alert = {
  id: 12,
  key: 'SH-1:3:range:high:1780300800000',
  rule: 'range',
  severity: 'warning',
  shipmentId: 'SH-1',
  deviceId: 'truck-07',
  holder: 'Haiyun Logistics',
  startMs: 1_780_300_800_000,
  endMs: null,
  detectedAtMs: 1_780_302_600_000,
  limit: 4,
  peakValue: 7.5,
  peakTsMs: 1_780_302_000_000,
  status: 'acknowledged',
  acknowledgedBy: 'operator-li',
  acknowledgedAtMs: 1_780_303_000_000,
  note: 'driver called',
  resolvedAtMs: null,
  resolvedBy: null,
  resolutionNote: null,
  assignedTo: 'operator-li',
  detail: null,
  updatedAtMs: 1_780_303_000_000,
} as const;

describe('alert events', () => {
  it('reads an alert event as the ingest publishes it, from bytes or text', () => {
    const payload = JSON.stringify({ event: 'alert.updated', alert });
    expect(parseAlertEvent(payload)).toEqual({ ok: true, value: { event: 'alert.updated', alert } });
    expect(parseAlertEvent(Buffer.from(payload))).toEqual({
      ok: true,
      value: { event: 'alert.updated', alert },
    });
  });

  it('reads the fields an earlier ingest did not publish as null', () => {
    const { resolvedBy: _r, resolutionNote: _n, assignedTo: _a, ...earlier } = alert;
    const result = parseAlertEvent(JSON.stringify({ event: 'alert.created', alert: earlier }));
    expect(result).toEqual({
      ok: true,
      value: {
        event: 'alert.created',
        alert: { ...alert, resolvedBy: null, resolutionNote: null, assignedTo: null },
      },
    });
  });

  it('drops fields it does not know, so that a newer ingest can add some', () => {
    const result = parseAlertEvent(JSON.stringify({ event: 'alert.created', alert: { ...alert, legId: 3 } }));
    expect(result.ok && result.value.alert).toEqual(alert);
  });

  it.each([
    ['text that is not JSON', '{"event":', 'malformed_json', ''],
    ['another event', JSON.stringify({ event: 'alert.deleted', alert }), 'invalid_field', 'event'],
    ['no alert', JSON.stringify({ event: 'alert.created' }), 'missing_field', 'alert'],
    [
      'a time that is not epoch milliseconds',
      JSON.stringify({ event: 'alert.created', alert: { ...alert, startMs: '2026-06-01T08:00:00Z' } }),
      'invalid_field',
      'alert.startMs',
    ],
    [
      'an unknown status',
      JSON.stringify({ event: 'alert.created', alert: { ...alert, status: 'closed' } }),
      'invalid_field',
      'alert.status',
    ],
    [
      'a missing device',
      JSON.stringify({ event: 'alert.created', alert: { ...alert, deviceId: undefined } }),
      'missing_field',
      'alert.deviceId',
    ],
  ])('refuses %s', (_case, payload, code, path) => {
    const result = parseAlertEvent(payload);
    expectWellFormed(result);
    expect(problemsOf(result)[0]).toMatchObject({ code, path });
  });

  it('describes itself for the API document as Alert and AlertEvent: every field, times as integers', () => {
    type Doc = {
      $defs: Record<
        string,
        {
          required: string[];
          properties: Record<string, { type?: unknown; description?: string; $ref?: string }>;
        }
      >;
    };
    const { $defs } = z.toJSONSchema(alertEventSchema, { io: 'output' }) as unknown as Doc;
    const alertDoc = $defs.Alert;
    expect(alertDoc?.required.sort()).toEqual(Object.keys(alert).sort());
    for (const [name, property] of Object.entries(alertDoc?.properties ?? {}))
      expect(property.description, name).toBeTruthy();
    expect(alertDoc?.properties.startMs?.type).toBe('integer');
    expect($defs.AlertEvent?.properties.alert?.$ref).toBe('#/$defs/Alert');
    expect($defs.AlertEvent?.required.sort()).toEqual(['alert', 'event']);
  });
});
