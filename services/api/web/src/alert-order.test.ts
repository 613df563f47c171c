import { describe, expect, it } from 'vitest';
import { boardOrder, mergeAlert } from './alert-order.js';
import type { Alert } from './types.js';

const alert = (id: number, over: Partial<Alert> = {}): Alert => ({
  id,
  key: `S-1:1:range:high:${id}`,
  rule: 'range',
  severity: 'warning',
  shipmentId: 'S-1',
  deviceId: 'D-1',
  holder: 'carrier',
  startMs: 1_000,
  endMs: null,
  detectedAtMs: 2_000,
  limit: 8,
  peakValue: 9,
  peakTsMs: 1_000,
  status: 'open',
  acknowledgedBy: null,
  acknowledgedAtMs: null,
  note: null,
  resolvedAtMs: null,
  resolvedBy: null,
  resolutionNote: null,
  assignedTo: null,
  detail: null,
  updatedAtMs: 2_000,
  ...over,
});

describe('the alert board order', () => {
  it('puts critical alerts first, then the oldest excursion first', () => {
    const alerts = [
      alert(1, { startMs: 500 }),
      alert(2, { severity: 'critical', startMs: 3_000 }),
      alert(3, { startMs: 100 }),
      alert(4, { severity: 'critical', startMs: 900 }),
    ];
    expect([...alerts].sort(boardOrder).map((a) => a.id)).toEqual([4, 2, 3, 1]);
  });

  it('keeps the newer version of an alert whichever arrives last, and drops a resolved one', () => {
    const acked = alert(1, { status: 'acknowledged', updatedAtMs: 3_000 });
    const board = mergeAlert(new Map(), acked);
    expect(mergeAlert(board, alert(1)).get(1)).toEqual(acked);
    expect(mergeAlert(mergeAlert(new Map(), alert(1)), acked).get(1)).toEqual(acked);
    expect(mergeAlert(board, alert(1, { status: 'resolved', updatedAtMs: 4_000 })).has(1)).toBe(false);
  });
});
