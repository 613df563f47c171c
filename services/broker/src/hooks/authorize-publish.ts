import type { AedesOptions, Client, PublishPacket } from 'aedes';
import { canPublish } from '../acl.js';
import type { InflowGate, Pausable } from '../inflow-gate.js';
import type { RateLimiter } from '../rate-limit.js';
import type { Spool } from '../spool.js';
import type { UnroutedMessages } from '../unrouted-messages.js';
import type { BrokerContext } from './broker-context.js';

type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;

export interface AuthorizePublishDeps {
  spool: Spool;
  limiter: RateLimiter;
  rateLimit: { ratePerSec: number };
  gate: InflowGate;
  /** The pausable reads of each connection (`client.conn`), for flow control. */
  pausable: WeakMap<object, Pausable>;
  unrouted: UnroutedMessages;
  /** Whether an ingest has subscribed in this broker run (else spooled messages are parked). */
  ingestSubscribed(): boolean;
}

/** Whether Aedes already holds this QoS 2 message (a retransmission with the same id), as its own handler asks. */
const holdsIncomingQos2 = (client: Client, packet: PublishPacket): Promise<boolean> =>
  (
    client as unknown as {
      broker: { persistence: { incomingGetPacket(c: Client, p: PublishPacket): Promise<unknown> } };
    }
  ).broker.persistence
    .incomingGetPacket(client, packet)
    .then(
      () => true,
      () => false,
    );

/**
 * Publish rules: the topic ACL (`canPublish`), the per-device rate limit, and the spool: a device
 * message of QoS 1 or 2 is on disk before Aedes answers it (PUBACK / PUBREC), so the broker owns
 * it from then on (MQTT 3.1.1 §4.3.2).
 */
export function createAuthorizePublish(ctx: BrokerContext, deps: AuthorizePublishDeps): AuthorizePublish {
  const { spool, limiter, gate, unrouted } = deps;
  const { refuse, counters } = ctx;

  const spoolThenAnswer = (
    client: Client,
    topic: string,
    payload: Buffer,
    done: (err?: Error | null) => void,
  ) => {
    unrouted.add(client, topic, payload);
    spool.add(topic, payload, (err) => {
      if (err) {
        unrouted.forget(client, payload);
        // No PUBACK then: the device keeps the message and sends it again.
        refuse('spool_failed', { clientId: client.id, err }, 'could not spool message');
        return done(new Error('spool unavailable'));
      }
      // Before the ingest has subscribed in this broker run nothing will take the message from
      // Aedes: it waits on disk for the replay, not in memory.
      if (!deps.ingestSubscribed()) spool.park(payload);
      unrouted.spooled(client, payload);
      // The connection may have closed while the spool wrote: Aedes would then neither answer
      // nor route the message, and it is ours now, so it is routed without the device.
      if (unrouted.isGone(client)) {
        unrouted.routeNow(client, payload);
        return done(new Error('connection closed'));
      }
      done(null);
    });
  };

  return (client, packet, done) => {
    const topic = packet.topic;
    if (!client) {
      // Wills of clients of an earlier broker life are dropped before they get here (see
      // `guardPersistence`); nothing else publishes without a client.
      return done(new Error('no publisher'));
    }
    const who = ctx.principals.get(client);
    if (!who) return done(new Error('not authenticated'));
    const decision = canPublish(who, topic);
    if (!decision.allowed) {
      refuse('publish_denied', { clientId: client.id, topic }, decision.reason);
      return done(new Error(decision.reason));
    }
    if (who.kind !== 'device') return done(null);
    if (!limiter.take(who.deviceId, ctx.now())) {
      refuse(
        'rate_limited',
        { clientId: client.id },
        `rate limit of ${deps.rateLimit.ratePerSec}/s exceeded: disconnecting`,
      );
      return done(new Error('rate limit exceeded'));
    }
    counters.messagesIn++;
    const reads = deps.pausable.get(client.conn);
    if (reads) gate.admit(reads);
    const { kind } = decision;
    if (packet.qos === 0 || (kind !== 'telemetry' && kind !== 'events')) return done(null);
    // Aedes writes the PUBACK (PUBREC) once this calls back: only after the spool has committed.
    const payload = packet.payload as Buffer;
    if (packet.qos === 1) return spoolThenAnswer(client, topic, payload, done);
    // QoS 2: a retransmission of a message Aedes already holds is answered without routing it
    // again (MQTT-4.3.3-2), so it must not be spooled again either.
    holdsIncomingQos2(client, packet).then(
      (held) => (held ? done(null) : spoolThenAnswer(client, topic, payload, done)),
      () => spoolThenAnswer(client, topic, payload, done),
    );
  };
}
