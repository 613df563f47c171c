import { session } from './session.js';

/** A failed request: the API's `{error:{code,message}}` when it answered, `network` when it did not. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function failureOf(res: Response): Promise<ApiFailure> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  return new ApiFailure(
    res.status,
    body?.error?.code ?? 'http_error',
    body?.error?.message ?? res.statusText,
  );
}

/** Calls the API on our origin with the session's bearer token (none for share-link routes). */
export async function request(path: string, init: { method?: string; body?: unknown; accept?: string } = {}) {
  const token = session.token();
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json' };
  if (token && !path.startsWith('/v1/shared/')) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  } catch (err) {
    throw new ApiFailure(0, 'network', (err as Error).message);
  }
  if (!res.ok) throw await failureOf(res);
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return (await (await request(path, { body })).json()) as T;
}

/**
 * Fetches a file with the bearer token and hands it to the browser as a download: a plain link
 * cannot carry the Authorization header, and the token must not go into the link.
 */
export async function download(path: string, fileName: string) {
  const blob = await (await request(path, { accept: '*/*' })).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
