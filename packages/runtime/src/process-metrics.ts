import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Node's default process metrics (`process_*`, `nodejs_*`), rendered at most once per `maxAgeMs`:
 * collecting them reads /proc and summarises histograms, about a millisecond, which a scraper
 * polling many times a second (a dashboard, the benchmark) would otherwise take from the service.
 * A service's own counters are rendered fresh at every scrape.
 */
export function createProcessMetrics(maxAgeMs = 1_000, now: () => number = Date.now) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let cached: { atMs: number; text: Promise<string> } | undefined;
  return {
    render(): Promise<string> {
      const atMs = now();
      if (!cached || atMs - cached.atMs >= maxAgeMs) cached = { atMs, text: registry.metrics() };
      return cached.text;
    },
  };
}
