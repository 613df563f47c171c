import type { Principal } from '@coldchain/store';
import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import { canSubscribe } from './acl.js';

interface StoredWill {
  clientId: string;
  brokerId: string;
  topic: string;
}

/** The part of an Aedes persistence (memory or Redis) this module guards. */
interface GuardedPersistence {
  addSubscriptions(client: Client, subs: Array<{ topic: string; qos: number }>): Promise<void>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<void>;
  streamWill(brokers: Record<string, number>): AsyncIterable<StoredWill>;
  delWill(client: { id: string; brokerId: string }): Promise<unknown>;
}

export interface PersistenceGuard {
  /** Removes a filter from a client's stored session. */
  forgetStoredFilter(clientId: string, filter: string): void;
}

/**
 * What the broker's persistence may hold, whichever persistence it is:
 * - **Subscriptions**: Aedes 1.2 stores the whole SUBSCRIBE list of a persistent session once one
 *   filter of it is granted, refused ones included, and the session then queues (and on reconnect
 *   delivers) what those match. Only filters the client's ACL allows are stored.
 * - **Wills of an earlier broker life** (found by Aedes' periodic sweep): the broker itself marks
 *   such devices offline at start, and a will it can no longer check against a live client is
 *   dropped. Aedes would otherwise hand it to `authorizePublish` without a client, and a refusal
 *   there is emitted as a broker `'error'` every sweep, for as long as the will stays stored.
 */
export function guardPersistence(
  aedes: Aedes,
  principals: WeakMap<Client, Principal>,
  log: Logger,
): PersistenceGuard {
  const persistence = (aedes as unknown as { persistence: GuardedPersistence }).persistence;
  const addSubscriptions = persistence.addSubscriptions.bind(persistence);
  persistence.addSubscriptions = (client, subs) => {
    const who = principals.get(client);
    const allowed = who ? subs.filter((s) => canSubscribe(who, s.topic).allowed) : [];
    return allowed.length > 0 ? addSubscriptions(client, allowed) : Promise.resolve();
  };

  const streamWill = persistence.streamWill.bind(persistence);
  persistence.streamWill = (brokers) =>
    (async function* dropOrphanWills() {
      for await (const will of streamWill(brokers)) {
        await persistence.delWill({ id: will.clientId, brokerId: will.brokerId }).catch((err: unknown) => {
          log.warn({ err, clientId: will.clientId }, 'could not delete a will left by an earlier broker');
        });
        log.info(
          { clientId: will.clientId, topic: will.topic },
          'dropped a will left by an earlier broker run (the device is marked offline instead)',
        );
      }
    })();

  return {
    forgetStoredFilter(clientId, filter) {
      persistence.removeSubscriptions({ id: clientId }, [filter]).catch((err: unknown) => {
        log.warn({ err, clientId, filter }, 'could not remove a refused filter from a stored session');
      });
    },
  };
}
