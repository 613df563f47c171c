import { describe, expect, it } from 'vitest';
import { alertKey } from './alert-key.js';

describe('alertKey', () => {
  // The format is persisted: after an upgrade the ingest finds the alerts it stored before by it.
  it('names shipment, leg and excursion, so the same excursion on another leg is another alert', () => {
    expect(alertKey('SH-1', 7, 'range:high:1780300800000')).toBe('SH-1:7:range:high:1780300800000');
    expect(alertKey('SH-1', 8, 'range:high:1780300800000')).not.toBe(
      alertKey('SH-1', 7, 'range:high:1780300800000'),
    );
  });
});
