// What the demo keeps in its data folder between starts (mode 0600, like the device secrets): when
// it first started, which fixes its shipments' legs and its faults in time, and how far the fleet
// had sent its readings, so that a later start sends only what is new. Also the operator's token
// and the consignee's share link, which are shown only once when they are made.
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DemoState {
  /** Epoch ms of the first start: the origin of the recorded history, the legs and the faults. */
  firstStartMs: number;
  /** The fleet's readings up to this event time were sent (and acknowledged) by an earlier run. */
  sentUntilMs?: number;
  operatorToken?: string;
  shareLink?: { shipmentId: string; token: string; expiresAtMs: number };
}

export function demoStateFile(dataDir: string): string {
  return join(dataDir, 'demo-state.json');
}

/** The saved state, or null on a first start (no file, or one that cannot be read as state). */
export async function readDemoState(dataDir: string): Promise<DemoState | null> {
  const text = await readFile(demoStateFile(dataDir), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const state = JSON.parse(text) as DemoState;
    return Number.isFinite(state.firstStartMs) ? state : null;
  } catch {
    return null;
  }
}

/** Written to a temporary file and renamed over the old one, so that a crash never leaves half a file. */
export async function writeDemoState(dataDir: string, state: DemoState): Promise<void> {
  const file = demoStateFile(dataDir);
  const temporary = `${file}.tmp`;
  await writeFile(temporary, JSON.stringify(state, null, 2), { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}
