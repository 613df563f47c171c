import {
  CUSTODY_TOPIC_FILTER,
  type DeviceTopicKind,
  INGEST_BATCH_OFFER_TOPIC,
  INGEST_BATCH_TOPIC,
  parseCustodyTopic,
  parseDeviceTopic,
  STATUS_TOPIC_FILTER,
  TOPIC_PREFIX,
} from '@coldchain/schema';
import type { Principal } from '@coldchain/store';

/**
 * Topic access rules. Secure by default: anything not allowed here is refused.
 * - A device publishes only under its own `coldchain/v1/devices/{id}/` (telemetry, events, status)
 *   and subscribes only to its own `commands` topic.
 * - The ingest account subscribes to every device topic and to custody changes, and alone
 *   publishes alerts.
 * - The api account reads device status, alerts and broker statistics, and writes device commands
 *   and custody changes (`coldchain/v1/custody/{shipmentId}`, which the ingest re-evaluates).
 */
export type Decision = { allowed: true } | { allowed: false; reason: string };
/** A publish decision; for a device's own topic it also says which kind of topic it is. */
export type PublishDecision = Decision & { kind?: DeviceTopicKind };

const ALLOW: Decision = { allowed: true };
const deny = (reason: string): Decision => ({ allowed: false, reason });

const ALERTS_ROOT = `${TOPIC_PREFIX}/alerts`;
const ALERTS_PREFIX = `${ALERTS_ROOT}/`;
const DEVICES_ROOT = `${TOPIC_PREFIX}/devices`;
/** What `coldchain/v1/devices/+/status` matches: any one level, even an empty one. */
const ANY_STATUS = new RegExp(`^${TOPIC_PREFIX}/devices/[^/]*/status$`);
/** What `coldchain/v1/custody/+` matches: any one level, even an empty one. */
const ANY_CUSTODY = new RegExp(`^${TOPIC_PREFIX}/custody/[^/]*$`);
export const BROKER_STATS_TOPIC = '$SYS/coldchain/broker/stats';

/** Filters the ingest account may subscribe to. */
const INGEST_FILTERS = new Set([
  `${TOPIC_PREFIX}/devices/+/telemetry`,
  `${TOPIC_PREFIX}/devices/+/events`,
  STATUS_TOPIC_FILTER,
  `${TOPIC_PREFIX}/devices/#`,
  CUSTODY_TOPIC_FILTER,
  BROKER_STATS_TOPIC,
  INGEST_BATCH_OFFER_TOPIC,
  INGEST_BATCH_TOPIC,
]);
const API_FILTERS = new Set([
  STATUS_TOPIC_FILTER,
  `${TOPIC_PREFIX}/alerts/#`,
  `${TOPIC_PREFIX}/alerts/+`,
  `${TOPIC_PREFIX}/alerts/devices/+`,
  BROKER_STATS_TOPIC,
]);

export function canPublish(who: Principal, topic: string): PublishDecision {
  if (topic.startsWith('$')) return deny('topics starting with $ are reserved to the broker');
  if (who.kind === 'device') {
    const parsed = parseDeviceTopic(topic);
    if (!parsed) return deny(`not a device topic: ${topic}`);
    if (parsed.deviceId !== who.deviceId)
      return deny(`device ${who.deviceId} may not publish for ${parsed.deviceId}`);
    if (parsed.kind === 'commands') return deny('devices receive commands, they do not publish them');
    // The broker alone says whether a device is online (retained, and offline on disconnect).
    if (parsed.kind === 'status') return deny('the broker publishes device status, devices do not');
    // The broker needs the kind next (is it spooled?): parsed once, here.
    return { allowed: true, kind: parsed.kind };
  }
  if (who.role === 'ingest') {
    return topic.startsWith(ALERTS_PREFIX) ? ALLOW : deny('the ingest account publishes alerts only');
  }
  // Operators' changes to alerts (acknowledged, resolved, assigned) go out on the alert topics, so
  // that every api replica's stream carries them like the ingest's changes.
  if (
    parseDeviceTopic(topic)?.kind === 'commands' ||
    parseCustodyTopic(topic) !== null ||
    topic.startsWith(ALERTS_PREFIX)
  )
    return ALLOW;
  return deny('the api account publishes device commands, custody changes and alert changes only');
}

export function canSubscribe(who: Principal, filter: string): Decision {
  if (who.kind === 'device') {
    const own = `${TOPIC_PREFIX}/devices/${who.deviceId}/commands`;
    return filter === own ? ALLOW : deny(`device ${who.deviceId} may subscribe to ${own} only`);
  }
  const allowed = who.role === 'ingest' ? INGEST_FILTERS : API_FILTERS;
  // Services may also watch one device's status.
  if (allowed.has(filter) || parseDeviceTopic(filter)?.kind === 'status') return ALLOW;
  return deny(`${who.role} account may not subscribe to ${filter}`);
}

/**
 * Whether a message on `topic` may be delivered to `who`: exactly when a filter `who` may
 * subscribe to (`canSubscribe`) matches it. Checked for every message written to a client.
 */
export function canReceive(who: Principal, topic: string): boolean {
  if (who.kind === 'device') return topic === `${TOPIC_PREFIX}/devices/${who.deviceId}/commands`;
  if (topic === BROKER_STATS_TOPIC) return true;
  // `coldchain/v1/devices/#`: the level itself and everything below it (MQTT 3.1.1 §4.7.1.2);
  // and `coldchain/v1/custody/+`.
  if (who.role === 'ingest')
    return (
      topic === DEVICES_ROOT ||
      topic.startsWith(`${DEVICES_ROOT}/`) ||
      ANY_CUSTODY.test(topic) ||
      topic === INGEST_BATCH_TOPIC ||
      topic === INGEST_BATCH_OFFER_TOPIC
    );
  // `coldchain/v1/alerts/#` and `coldchain/v1/devices/+/status`.
  return topic === ALERTS_ROOT || topic.startsWith(ALERTS_PREFIX) || ANY_STATUS.test(topic);
}

/**
 * A device's MQTT client id must be its device id: MQTT-3.1.4-2 makes the broker drop an
 * existing session with the same client id, so a free choice would let one device knock another
 * off the air. Service accounts use their account id, optionally with a `:suffix`.
 */
export function canUseClientId(who: Principal, clientId: string): Decision {
  if (who.kind === 'device') {
    return clientId === who.deviceId ? ALLOW : deny(`client id must be the device id ${who.deviceId}`);
  }
  return clientId === who.id || clientId.startsWith(`${who.id}:`)
    ? ALLOW
    : deny(`client id must be ${who.id} or start with ${who.id}:`);
}
