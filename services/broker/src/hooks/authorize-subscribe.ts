import type { AedesOptions } from 'aedes';
import { canSubscribe } from '../acl.js';
import type { BrokerContext } from './broker-context.js';

type AuthorizeSubscribe = NonNullable<AedesOptions['authorizeSubscribe']>;

/** The highest QoS the broker grants: device messages reach subscribers at QoS 1 at most. */
const MAX_GRANTED_QOS = 1;

/**
 * Subscribe rules (`canSubscribe`). A refused filter is negated: SUBACK carries 0x80 for it and
 * the connection stays (MQTT 3.1.1 §3.9.3). Granted QoS is capped at 1: Aedes does not downgrade
 * a QoS 2 message to a wildcard subscription's QoS, and the spool is released by PUBACKs.
 */
export function createAuthorizeSubscribe(
  ctx: BrokerContext,
  deps: {
    /** Drops a refused filter that a persistent session restored (stored before it was refused). */
    forgetStoredFilter(clientId: string, filter: string): void;
  },
): AuthorizeSubscribe {
  return (client, subscription, done) => {
    const who = ctx.principals.get(client);
    const decision = who
      ? canSubscribe(who, subscription.topic)
      : { allowed: false as const, reason: 'not authenticated' };
    if (!decision.allowed) {
      ctx.refuse('subscribe_denied', { clientId: client.id, filter: subscription.topic }, decision.reason);
      // While a session is being restored (CONNECT, not yet connected) a refused filter can only
      // come from persistence: it goes, so that the session queues nothing for it.
      if (!client.clean && !(client as unknown as { connected: boolean }).connected)
        deps.forgetStoredFilter(client.id, subscription.topic);
      return done(null, null);
    }
    done(null, subscription.qos > MAX_GRANTED_QOS ? { ...subscription, qos: MAX_GRANTED_QOS } : subscription);
  };
}
