/**
 * Faults a simulated device can be given, each for a window of event time:
 * - `compressor-failure`: the refrigeration stops; the air drifts toward ambient, the product follows.
 * - `power-cut`: no mains power: the refrigeration stops and a mains device runs on its backup battery.
 * - `offline`: the device keeps measuring but cannot transmit; it stores readings and forwards the backlog
 *   as batches when the window ends (store-and-forward).
 */
export const FAULT_KINDS = ['compressor-failure', 'power-cut', 'offline'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** Event time the fault starts (epoch ms). */
  fromMs: number;
  /** Event time it ends (exclusive); absent: it lasts until the simulation stops. */
  toMs?: number;
}

/** Whether a fault of `kind` is active at `tsMs`. */
export function isFaultActive(faults: readonly Fault[], kind: FaultKind, tsMs: number): boolean {
  return faults.some((f) => f.kind === kind && tsMs >= f.fromMs && (f.toMs === undefined || tsMs < f.toMs));
}
