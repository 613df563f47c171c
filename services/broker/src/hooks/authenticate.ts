import type { MetadataStore } from '@coldchain/store';
import type { AuthenticateHandler } from 'aedes';
import { canPublish, canUseClientId } from '../acl.js';
import type { BrokerContext } from './broker-context.js';

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
 */
export function createAuthenticate(ctx: BrokerContext, store: MetadataStore): AuthenticateHandler {
  const { refuse } = ctx;
  return (client, username, password, done) => {
    if (!username || !password) {
      refuse('no_credentials', { clientId: client.id }, 'anonymous connection refused');
      return done(authError('credentials required', NOT_AUTHORIZED), false);
    }
    store.verifyCredentials(username, password).then(
      (principal) => {
        if (!principal) {
          refuse('bad_credentials', { clientId: client.id, username }, 'bad username or password');
          return done(authError('bad username or password', BAD_USERNAME_OR_PASSWORD), false);
        }
        const idCheck = canUseClientId(principal, client.id);
        if (!idCheck.allowed) {
          refuse('client_id_mismatch', { clientId: client.id, username }, idCheck.reason);
          return done(authError(idCheck.reason, IDENTIFIER_REJECTED), false);
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
