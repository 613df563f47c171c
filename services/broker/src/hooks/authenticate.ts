import type { MetadataStore } from '@coldchain/store';
import type { AuthenticateHandler } from 'aedes';
import { canPublish, canUseClientId } from '../acl.js';
import { remoteAddressOf } from '../connection-limits.js';
import type { LoginBackoff } from '../login-backoff.js';
import type { RateLimiter } from '../rate-limit.js';
import type { BrokerContext } from './broker-context.js';

export interface AuthenticateDeps {
  store: MetadataStore;
  /** CONNECTs per device id, charged for logins that succeed. */
  connects: RateLimiter;
  /** Back-off after failed logins per username, and per remote address. */
  backoff: { byUsername: LoginBackoff; byAddress: LoginBackoff };
}

type AuthError = Error & { returnCode: number };
const authError = (message: string, returnCode: number): AuthError =>
  Object.assign(new Error(message), { returnCode });

/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3. */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/**
 * Every client authenticates (no anonymous access); its client id must be its own (see
 * `canUseClientId`), and a will it leaves must go where it could publish itself: the will is
 * checked here, at CONNECT, so that no will a device could not send is ever stored or published.
 *
 * Wrong secrets are throttled: past a few failures a username, or a remote address, waits for
 * a growing time before its next attempt is even checked (answered "server unavailable", without
 * the scrypt run a check costs). A device that logs in too often is refused the same way
 * (`connects`); only logins that succeed count there, so that nobody without the secret can use
 * up a device's CONNECTs.
 */
export function createAuthenticate(ctx: BrokerContext, deps: AuthenticateDeps): AuthenticateHandler {
  const { refuse } = ctx;
  const { store, connects, backoff } = deps;
  return (client, username, password, done) => {
    if (!username || !password) {
      refuse('no_credentials', { clientId: client.id }, 'anonymous connection refused');
      return done(authError('credentials required', NOT_AUTHORIZED), false);
    }
    const remote = remoteAddressOf(client.conn, client.req);
    const nowMs = ctx.now();
    const waitMs = Math.max(
      backoff.byUsername.waitMs(username, nowMs),
      remote === undefined ? 0 : backoff.byAddress.waitMs(remote, nowMs),
    );
    if (waitMs > 0) {
      refuse(
        'login_backoff',
        { clientId: client.id, username, remote, waitMs },
        'too many failed logins: refused without checking',
      );
      return done(authError('too many failed logins, try later', SERVER_UNAVAILABLE), false);
    }
    store.verifyCredentials(username, password).then(
      (principal) => {
        if (!principal) {
          const failedAtMs = ctx.now();
          backoff.byUsername.failed(username, failedAtMs);
          if (remote !== undefined) backoff.byAddress.failed(remote, failedAtMs);
          refuse('bad_credentials', { clientId: client.id, username, remote }, 'bad username or password');
          return done(authError('bad username or password', BAD_USERNAME_OR_PASSWORD), false);
        }
        backoff.byUsername.succeeded(username);
        const idCheck = canUseClientId(principal, client.id);
        if (!idCheck.allowed) {
          refuse('client_id_mismatch', { clientId: client.id, username }, idCheck.reason);
          return done(authError(idCheck.reason, IDENTIFIER_REJECTED), false);
        }
        if (principal.kind === 'device' && !connects.take(principal.deviceId, ctx.now())) {
          refuse('connect_rate_limited', { clientId: client.id }, 'device connects too often: refused');
          return done(authError('too many connects, try later', SERVER_UNAVAILABLE), false);
        }
        // Aedes keeps the CONNECT's will in `_will` until the connection is accepted.
        const will = (client as unknown as { _will?: { topic: string } | null })._will;
        if (will) {
          const decision = canPublish(principal, will.topic);
          if (!decision.allowed) {
            refuse('will_denied', { clientId: client.id, topic: will.topic }, decision.reason);
            return done(authError(`will refused: ${decision.reason}`, NOT_AUTHORIZED), false);
          }
        }
        ctx.principals.set(client, principal);
        done(null, true);
      },
      (err: unknown) => {
        ctx.log.error({ err, clientId: client.id }, 'credential check failed');
        done(authError('server unavailable', SERVER_UNAVAILABLE), false);
      },
    );
  };
}
