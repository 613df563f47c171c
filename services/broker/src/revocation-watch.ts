import type { MetadataStore } from '@coldchain/store';

export type DeviceChange = Awaited<ReturnType<MetadataStore['devicesChangedSince']>>[number];

/**
 * Reports each device disabled, enabled or given a new secret after `startMs`, once, by polling
 * the store's change times (indexed: nothing to do while nothing changes). Changes that share the
 * newest time seen so far are remembered, so one landing in the same millisecond as the last poll
 * is neither missed nor reported twice. A tick that finds the previous poll still waiting on the
 * store skips, so that a slow store never piles polls up.
 */
export function watchDeviceChanges(opts: {
  store: Pick<MetadataStore, 'devicesChangedSince'>;
  startMs: number;
  pollMs: number;
  onChange: (change: DeviceChange) => void;
  onError: (err: unknown) => void;
}): { poll(): Promise<void>; stop(): void } {
  let since = opts.startMs;
  let seenAtSince = new Set<string>();
  const poll = async () => {
    let newest = since;
    const atNewest = new Set<string>();
    for (const change of await opts.store.devicesChangedSince(since)) {
      const mark = `${change.id}@${change.changedAtMs}`;
      if (change.changedAtMs === since && seenAtSince.has(mark)) continue;
      if (change.changedAtMs > newest) {
        newest = change.changedAtMs;
        atNewest.clear();
      }
      atNewest.add(mark);
      opts.onChange(change);
    }
    if (newest > since) {
      since = newest;
      seenAtSince = atNewest;
    } else for (const mark of atNewest) seenAtSince.add(mark);
  };
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    poll()
      .catch(opts.onError)
      .finally(() => {
        polling = false;
      });
  }, opts.pollMs);
  timer.unref();
  return { poll, stop: () => clearInterval(timer) };
}
