// The demo's simulated fleet: the seed devices, one reading every 5 s, with two faults so that
// the demo shows what the pipeline is for: a reefer's compressor fails after 10 minutes, and a
// terminal cabinet goes offline for 15 minutes, then flushes its backlog.
import { type Fleet, type FleetFault, runFleet } from '@coldchain/fleet-simulator';

const MINUTE = 60_000;

export async function startDemoFleet(opts: {
  url: string;
  credentials: Record<string, string>;
  log: (line: string) => void;
}): Promise<Fleet> {
  const ids = Object.keys(opts.credentials);
  const vehicle = ids.find((id) => id.startsWith('veh-'));
  const cabinet = ids.find((id) => id.startsWith('cab-'));
  const faults: FleetFault[] = [
    ...(vehicle
      ? [
          {
            deviceId: vehicle,
            kind: 'compressor-failure' as const,
            afterMs: 10 * MINUTE,
            durationMs: 30 * MINUTE,
          },
        ]
      : []),
    ...(cabinet
      ? [{ deviceId: cabinet, kind: 'offline' as const, afterMs: 5 * MINUTE, durationMs: 15 * MINUTE }]
      : []),
  ];
  return runFleet({ url: opts.url, credentials: opts.credentials, faults, intervalMs: 5_000, log: opts.log });
}
