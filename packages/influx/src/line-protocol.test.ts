import { describe, expect, it } from 'vitest';
import { eventToLine, parseTelemetryLine, readingFields, readingToLine } from './line-protocol.js';

describe('point mapping', () => {
  it('maps a full reading to one telemetry line at its event time', () => {
    expect(
      readingToLine('truck-1', {
        tsMs: 1780300800000,
        seq: 1841,
        temp: { air: 3.4, product: 2 },
        rh: 91.5,
        door: false,
        lat: 38.914,
        lon: 121.614,
        battery: 87,
      }),
    ).toBe(
      'telemetry,device=truck-1 temp_air=3.4,temp_product=2,rh=91.5,door=false,lat=38.914,lon=121.614,battery=87,seq=1841i 1780300800000',
    );
  });

  it('maps the same reading to the same line, so a redelivery rewrites the same point', () => {
    const r = { tsMs: 5, temp: { air: -18.25 } };
    expect(readingToLine('d', r)).toBe(readingToLine('d', { ...r }));
  });

  it('gives the same field set for the same values, whatever the order of the sensors on the wire', () => {
    const a = readingFields({ tsMs: 1, temp: { product: 2.5, air: 3.4, a0: 1, a: 0 }, seq: 1 });
    const b = readingFields({ tsMs: 1, temp: { a: 0, air: 3.4, a0: 1, product: 2.5 }, seq: 1 });
    expect(a).toBe('temp_a=0,temp_a0=1,temp_air=3.4,temp_product=2.5,seq=1i');
    expect(b).toBe(a);
    expect(readingFields({ tsMs: 1, temp: { air: Number('3.40') } })).toBe(
      readingFields({ tsMs: 1, temp: { air: 3.4 } }),
    );
  });

  it('reads a telemetry line back as device, canonical field set and time, and nothing else', () => {
    const line = readingToLine('truck-1', { tsMs: 1780300800000, temp: { air: 3.4 }, door: true, seq: 7 });
    expect(parseTelemetryLine(line)).toEqual({
      deviceId: 'truck-1',
      fields: 'temp_air=3.4,door=true,seq=7i',
      tsMs: 1780300800000,
    });
    // An older release wrote the sensors in wire order.
    expect(parseTelemetryLine('telemetry,device=d temp_a0=1,temp_a=0,rh=5 9')?.fields).toBe(
      'temp_a=0,temp_a0=1,rh=5',
    );
    expect(parseTelemetryLine('events,device=d,type=door open=true 9')).toBeNull();
    expect(parseTelemetryLine('telemetry,device=d temp_air=1')).toBeNull();
  });

  it('escapes quotes in event string fields', () => {
    expect(
      eventToLine('cab-1', { tsMs: 9, type: 'alarm', code: 'T_HIGH', message: 'say "hot" \\ now' }),
    ).toBe('events,device=cab-1,type=alarm code="T_HIGH",message="say \\"hot\\" \\\\ now" 9');
    expect(eventToLine('cab-1', { tsMs: 9, type: 'scan', action: 'load', shipmentId: 'SHP-1' })).toBe(
      'events,device=cab-1,type=scan action="load",shipment="SHP-1" 9',
    );
  });
});
