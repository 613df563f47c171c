import type { InfluxConnection } from '@coldchain/influx';
import type { Pipeline } from './pipeline.js';
import { type ServiceProcess, startService } from './service-process.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';

export interface ApiProcess extends ServiceProcess {
  url: string;
  /** fetch against the api with a bearer token (the admin's unless given), JSON in and out. */
  call(
    path: string,
    init?: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<Response>;
}

/** The api as its own process on a free port, next to a pipeline's broker and store. */
export async function startApiProcess(
  pipeline: Pipeline,
  influx: InfluxConnection,
  env: Record<string, string> = {},
  opts: { built?: boolean } = {},
): Promise<ApiProcess> {
  const api = startService(
    'api',
    {
      COLDCHAIN_DATA_DIR: pipeline.dataDir,
      MQTT_URL: pipeline.broker.url,
      API_MQTT_PASSWORD: pipeline.creds.api?.password ?? '',
      API_PORT: '0',
      INFLUX_URL: influx.url,
      INFLUX_TOKEN: influx.token,
      INFLUX_ORG: influx.org,
      INFLUX_BUCKET: influx.bucket,
      COLDCHAIN_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      ...env,
    },
    opts,
  );
  const line = await api.waitForLog((l) => typeof l.port === 'number' && /listening/.test(String(l.msg)));
  const url = `http://127.0.0.1:${line.port}`;
  return Object.assign(api, {
    url,
    call(
      path: string,
      init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
    ) {
      const token = init.token === undefined ? TEST_ADMIN_TOKEN : init.token;
      return fetch(`${url}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    },
  });
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads a Server-Sent Events response (WHATWG HTML §9.2) into a growing list of events. */
export function readSse(res: Response): { events: SseEvent[]; close(): void; done: Promise<void> } {
  const events: SseEvent[] = [];
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  let closed = false;
  const done = (async () => {
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) return;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event: SseEvent = { data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'data') data.push(value);
            else if (field === 'id') event.id = value;
            else if (field === 'event') event.event = value;
          }
          if (data.length > 0) {
            event.data = data.join('\n');
            events.push(event);
          }
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch (err) {
      if (!closed) throw err;
    }
  })();
  return {
    events,
    done,
    close() {
      closed = true;
      void reader.cancel().catch(() => {});
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
