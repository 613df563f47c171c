import type { AedesOptions } from 'aedes';
import { canReceive } from '../acl.js';
import type { BrokerContext } from './broker-context.js';

type AuthorizeForward = NonNullable<AedesOptions['authorizeForward']>;

/**
 * The last check before a message is written to a client: nothing reaches a client that its ACL
 * would not let it subscribe to, whatever a session, a persistence or a queue holds (defence in
 * depth: filters are checked at SUBSCRIBE and never stored when refused). QoS 2 goes out as QoS 1
 * (see `createAuthorizeSubscribe`).
 */
export function createAuthorizeForward(ctx: BrokerContext): AuthorizeForward {
  const withheld = { count: 0 };
  return (client, packet) => {
    const who = ctx.principals.get(client);
    if (!who || !canReceive(who, packet.topic)) {
      withheld.count++;
      // One line per thousand: a client with a stale subscription must not flood the log.
      if (withheld.count % 1000 === 1)
        ctx.log.warn(
          { clientId: client.id, topic: packet.topic, withheld: withheld.count },
          'message withheld from a client its ACL does not let read it',
        );
      return null;
    }
    ctx.counters.messagesOut++;
    return packet.qos > 1 ? { ...packet, qos: 1 } : packet;
  };
}
