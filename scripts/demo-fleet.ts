// The demo's simulated fleet: the seed devices with hours of recorded history and faults placed so
// that a newcomer sees what the pipeline is for within the first two minutes. Every device has been
// logging since DEMO_HISTORY_MS before the demo's first start and sends that past as a
// store-and-forward backlog (original timestamps) when it connects, as real loggers do after an
// outage; then it goes on live. The faults are fixed in event time relative to that first start, so
// a later start continues the same story instead of telling it again.
import { type Fleet, type FleetFault, type FleetLogger, runFleet } from '@coldchain/fleet-simulator';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** How far back the recorded journeys go: the longest seed shipment starts 10 h before the first start. */
export const DEMO_HISTORY_MS = 11 * HOUR;
/** One reading a minute in the recorded past: what the GSP appendix asks sensors to update at least. */
export const DEMO_HISTORY_INTERVAL_MS = MINUTE;
/** Live readings. */
export const DEMO_LIVE_INTERVAL_MS = 5_000;

/** A fault the demo shows, and the alert it must raise (the alert's `rule`). */
export interface DemoFault {
  deviceId: string;
  shipmentId: string;
  kind: FleetFault['kind'];
  /** Start, relative to the demo's first start (negative: in the recorded past). */
  atMs: number;
  durationMs?: number;
  tempC?: number;
  rule: 'range' | 'critical' | 'cumulative' | 'door' | 'gap';
  /** What an operator sees, for the printed summary. */
  story: string;
}

/** Courier stops of the insulin round: the box opened in the sun for a few minutes at each one. */
const insulinStops: DemoFault[] = Array.from({ length: 7 }, (_, i) => ({
  deviceId: 'log-ins-01',
  shipmentId: 'SHP-INS-001',
  kind: 'door-open' as const,
  atMs: -160 * MINUTE + i * 24 * MINUTE,
  durationMs: 150_000,
  rule: 'cumulative' as const,
  story:
    'insulin courier box opened in the sun at each of 7 stops: never 15 min above 8 °C at once, over an hour in all',
}));

export const DEMO_FAULTS: readonly DemoFault[] = [
  {
    deviceId: 'cr-dl-frozen-01',
    shipmentId: 'SHP-DL-FROZEN-001',
    kind: 'door-open',
    atMs: -5 * HOUR,
    durationMs: 12 * MINUTE,
    rule: 'door',
    story: 'frozen store door left open 12 min (limit 5 min); the pallets stay frozen',
  },
  {
    deviceId: 'veh-dl-seafood-01',
    shipmentId: 'SHP-DL-SEAFOOD-001',
    kind: 'compressor-failure',
    atMs: -160 * MINUTE,
    durationMs: 2 * HOUR,
    rule: 'range',
    story: 'reefer compressor failed for 2 h on the way to Shenyang: the seafood rose above 4 °C',
  },
  ...insulinStops,
  {
    deviceId: 'cab-sy-cherry-01',
    shipmentId: 'SHP-DL-CHERRY-001',
    kind: 'offline',
    atMs: -25 * MINUTE,
    durationMs: 25 * MINUTE + 100_000,
    rule: 'gap',
    story: 'cherry cabinet offline for 25 min: a data gap, filled by its backlog 100 s after start',
  },
  {
    deviceId: 'veh-dd-straw-01',
    shipmentId: 'SHP-DD-STRAW-001',
    kind: 'warm-load',
    atMs: 45_000,
    tempC: 10,
    rule: 'critical',
    story: 'live, 45 s after start: a pallet of strawberries loaded at 10 °C without pre-cooling',
  },
];

/** The shipments whose journeys have no fault: they must stay without alerts. */
export const DEMO_HEALTHY_SHIPMENTS = ['SHP-PJ-CRAB-001', 'SHP-VAX-001', 'SHP-AS-PEAR-001'] as const;

export async function startDemoFleet(opts: {
  url: string;
  credentials: Record<string, string>;
  /** The demo's first start (epoch ms): the origin of the faults and of the recorded history. */
  firstStartMs: number;
  /** What an earlier run already sent: the history up to there is not sent again. */
  sentUntilMs?: number;
  log: FleetLogger;
}): Promise<Fleet> {
  const startMs = opts.firstStartMs - DEMO_HISTORY_MS;
  const known = new Set(Object.keys(opts.credentials));
  const faults: FleetFault[] = DEMO_FAULTS.filter((f) => known.has(f.deviceId)).map((f) => ({
    deviceId: f.deviceId,
    kind: f.kind,
    afterMs: opts.firstStartMs + f.atMs - startMs,
    ...(f.durationMs === undefined ? {} : { durationMs: f.durationMs }),
    ...(f.tempC === undefined ? {} : { tempC: f.tempC }),
  }));
  return runFleet({
    url: opts.url,
    credentials: opts.credentials,
    faults,
    startMs,
    history: {
      intervalMs: DEMO_HISTORY_INTERVAL_MS,
      ...(opts.sentUntilMs === undefined ? {} : { sentUntilMs: opts.sentUntilMs }),
    },
    intervalMs: DEMO_LIVE_INTERVAL_MS,
    log: opts.log,
  });
}
