/** What a dependency probe says: up, or down with why. */
export interface ProbeResult {
  [key: string]: unknown;
  status: 'up' | 'down';
  detail?: string;
}

export interface InfluxProbeOptions {
  url: string;
  /** InfluxDB's `/health` must answer within this. Default 1 s. */
  timeoutMs?: number;
  /** An answer is reused this long, so that frequent `/healthz` polls stay cheap. Default 5 s. */
  cacheMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

/**
 * Asks InfluxDB whether it is ready: 2.x (and 1.8) answer `/health` with 200 when ready and 503
 * while not. Concurrent callers share one request; answers are cached for `cacheMs`.
 */
export function createInfluxProbe(opts: InfluxProbeOptions): () => Promise<ProbeResult> {
  const now = opts.now ?? Date.now;
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 1000;
  const cacheMs = opts.cacheMs ?? 5000;
  let cached: { atMs: number; result: ProbeResult } | undefined;
  let probing: Promise<ProbeResult> | undefined;

  const probe = async (): Promise<ProbeResult> => {
    try {
      const res = await doFetch(new URL('/health', opts.url), { signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      return res.ok ? { status: 'up' } : { status: 'down', detail: `/health answered ${res.status}` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { status: 'down', detail: e.cause?.code ?? e.message };
    }
  };
  return () => {
    if (cached && now() - cached.atMs < cacheMs) return Promise.resolve(cached.result);
    probing ??= probe().then((result) => {
      cached = { atMs: now(), result };
      probing = undefined;
      return result;
    });
    return probing;
  };
}
