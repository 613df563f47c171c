import type { MetadataStore } from '@coldchain/store';
import { createMiddleware } from 'hono/factory';
import { ApiError } from '../http/api-error.js';
import type { AppEnv, Caller } from '../http/app-env.js';
import { createFailedAuthLimiter } from './failed-auth-limiter.js';

export interface BearerAuthOptions {
  store: MetadataStore;
  /** Failed attempts per client address per minute before 429. */
  failuresPerMinute: number;
  /** A verified token is trusted this long without a store read; a revocation takes up to this. */
  cacheMs: number;
  /** The client address (from the socket; a proxy in front should be trusted explicitly). */
  clientAddress: (c: Parameters<Parameters<typeof createMiddleware<AppEnv>>[0]>[0]) => string;
  now?: () => number;
}

const BEARER = /^Bearer ([\x21-\x7e]{1,256})$/;

/**
 * Requires `Authorization: Bearer <token>` and puts the caller in the context. Tokens are checked
 * against the store (one indexed lookup by hash) and the answer cached briefly, so a request
 * costs no store read in the common case; unknown tokens are never cached, so a token created a
 * moment ago works at once.
 */
export function bearerAuth(opts: BearerAuthOptions) {
  const now = opts.now ?? Date.now;
  const limiter = createFailedAuthLimiter({ perMinute: opts.failuresPerMinute, now });
  const cache = new Map<string, { caller: Caller; untilMs: number }>();
  const MAX_CACHED = 10_000;

  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    const address = opts.clientAddress(c);
    const waitMs = limiter.retryAfterMs(address);
    if (waitMs > 0) {
      c.header('Retry-After', String(Math.ceil(waitMs / 1000)));
      throw new ApiError('rate_limited', 'too many failed authentications; try again later', {
        retryAfterSeconds: Math.ceil(waitMs / 1000),
      });
    }
    const match = BEARER.exec(c.req.header('authorization') ?? '');
    if (!match) {
      limiter.fail(address);
      c.header('WWW-Authenticate', 'Bearer');
      throw new ApiError('unauthorized', 'an Authorization: Bearer <token> header is required');
    }
    const token = match[1] as string;
    const at = now();
    let entry = cache.get(token);
    if (!entry || entry.untilMs <= at) {
      cache.delete(token);
      const verified = await opts.store.verifyApiToken(token, at);
      if (!verified) {
        limiter.fail(address);
        c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
        throw new ApiError('unauthorized', 'unknown, revoked or expired token');
      }
      const expiresAtMs = verified.token.expiresAtMs ?? Number.POSITIVE_INFINITY;
      entry = { caller: verified, untilMs: Math.min(at + opts.cacheMs, expiresAtMs) };
      if (cache.size >= MAX_CACHED) cache.clear();
      if (opts.cacheMs > 0) cache.set(token, entry);
    }
    c.set('caller', entry.caller);
    await next();
  });
  return Object.assign(middleware, {
    /** Stops trusting a cached token at once (it was revoked, or its user disabled, here). */
    forget(match: (caller: Caller) => boolean) {
      for (const [token, entry] of cache) if (match(entry.caller)) cache.delete(token);
    },
  });
}
