import { describe, expect, it } from 'vitest';
import { eventToLine, readingToLine } from './line-protocol.js';

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

  it('escapes quotes in event string fields', () => {
    expect(
      eventToLine('cab-1', { tsMs: 9, type: 'alarm', code: 'T_HIGH', message: 'say "hot" \\ now' }),
    ).toBe('events,device=cab-1,type=alarm code="T_HIGH",message="say \\"hot\\" \\\\ now" 9');
    expect(eventToLine('cab-1', { tsMs: 9, type: 'scan', action: 'load', shipmentId: 'SHP-1' })).toBe(
      'events,device=cab-1,type=scan action="load",shipment="SHP-1" 9',
    );
  });
});
