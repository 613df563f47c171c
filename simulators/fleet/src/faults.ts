/**
 * Faults a simulated device can be given, each for a window of event time:
 * - `compressor-failure`: the refrigeration stops; the air drifts toward ambient, the product follows.
 * - `power-cut`: no mains power: the refrigeration stops and a mains device runs on its backup battery.
 * - `offline`: the device keeps measuring but cannot transmit; it stores readings and forwards the backlog
 *   as batches when the window ends (store-and-forward).
 * - `door-open`: a door (a parcel logger: its box's lid) is left open; outside air comes in through it.
 * - `warm-load`: goods that were not pre-cooled are loaded at the fault's start and the product probe goes
 *   into them: the product reads their temperature (`tempC`, default the outside air) and then cools with
 *   the unit. Its end does not matter: the load stays.
 */
export const FAULT_KINDS = ['compressor-failure', 'power-cut', 'offline', 'door-open', 'warm-load'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** Event time the fault starts (epoch ms). */
  fromMs: number;
  /** Event time it ends (exclusive); absent: it lasts until the simulation stops. */
  toMs?: number;
  /** `warm-load`: the temperature of the goods loaded, °C. */
  tempC?: number;
}

/** Whether a fault of `kind` is active at `tsMs`. */
export function isFaultActive(faults: readonly Fault[], kind: FaultKind, tsMs: number): boolean {
  return activeFault(faults, kind, tsMs) !== undefined;
}

/** The fault of `kind` active at `tsMs`, if any. */
export function activeFault(faults: readonly Fault[], kind: FaultKind, tsMs: number): Fault | undefined {
  return faults.find((f) => f.kind === kind && tsMs >= f.fromMs && (f.toMs === undefined || tsMs < f.toMs));
}
