import type { Alert } from './types.js';

const SEVERITY_ORDER = { critical: 0, warning: 1 } as const;

/** The board's order: critical first, then the longest-lasting first: what needs a person soonest is on top. */
export function boardOrder(a: Alert, b: Alert): number {
  return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.startMs - b.startMs || a.id - b.id;
}

/**
 * The board after a version of an alert arrived: the newer of two versions wins (the stream and the
 * first page may both carry one), and a resolved alert leaves the board.
 */
export function mergeAlert(board: ReadonlyMap<number, Alert>, alert: Alert): Map<number, Alert> {
  const next = new Map(board);
  const known = board.get(alert.id);
  if (known && known.updatedAtMs > alert.updatedAtMs) return next;
  if (alert.status === 'resolved') next.delete(alert.id);
  else next.set(alert.id, alert);
  return next;
}
