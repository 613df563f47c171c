import { isValidDeviceId, isValidShipmentId } from './ids.js';
import { isOneOf } from './is-one-of.js';

/** Every topic of wire format v1 lives under this prefix (DESIGN.md §2). */
export const TOPIC_PREFIX = 'coldchain/v1';

/**
 * What a device topic carries: `telemetry` readings (QoS 1), `events`, retained `status` (`online` /
 * `offline`, the last will), and `commands`, the topic the device itself subscribes to.
 */
export const DEVICE_TOPIC_KINDS = ['telemetry', 'events', 'status', 'commands'] as const;
export type DeviceTopicKind = (typeof DEVICE_TOPIC_KINDS)[number];

export interface DeviceTopic {
  deviceId: string;
  kind: DeviceTopicKind;
}

/** Topic filters for the ingest's and api's subscriptions; `+` matches exactly one level (MQTT 3.1.1 §4.7.1.3). */
export const TELEMETRY_TOPIC_FILTER = `${TOPIC_PREFIX}/devices/+/telemetry`;
export const EVENTS_TOPIC_FILTER = `${TOPIC_PREFIX}/devices/+/events`;
export const STATUS_TOPIC_FILTER = `${TOPIC_PREFIX}/devices/+/status`;
export const SHIPMENT_ALERTS_TOPIC_FILTER = `${TOPIC_PREFIX}/alerts/+`;
export const DEVICE_ALERTS_TOPIC_FILTER = `${TOPIC_PREFIX}/alerts/devices/+`;
/** Custody changes of every shipment: the api tells the ingest, which re-evaluates the shipment's legs. */
export const CUSTODY_TOPIC_FILTER = `${TOPIC_PREFIX}/custody/+`;

/** `coldchain/v1/devices/{deviceId}/{kind}`. Throws on an invalid id: it would publish to the wrong topic. */
export function formatDeviceTopic(deviceId: string, kind: DeviceTopicKind): string {
  return `${TOPIC_PREFIX}/devices/${checked(deviceId, isValidDeviceId, 'device id')}/${kind}`;
}

const DEVICES_PREFIX = `${TOPIC_PREFIX}/devices/`;
const CUSTODY_PREFIX = `${TOPIC_PREFIX}/custody/`;

/**
 * The device and kind a topic names, or null for any other topic. Never throws. Read without
 * splitting the topic: the broker and the ingest ask for every message. Exactly five levels: a
 * device id and a kind hold no `/`.
 */
export function parseDeviceTopic(topic: unknown): DeviceTopic | null {
  if (typeof topic !== 'string' || !topic.startsWith(DEVICES_PREFIX)) return null;
  const slash = topic.indexOf('/', DEVICES_PREFIX.length);
  if (slash < 0) return null;
  const deviceId = topic.slice(DEVICES_PREFIX.length, slash);
  const kind = topic.slice(slash + 1);
  return isValidDeviceId(deviceId) && isOneOf(DEVICE_TOPIC_KINDS, kind) ? { deviceId, kind } : null;
}

/** `coldchain/v1/alerts/{shipmentId}`. Throws on an invalid id. */
export function alertTopicForShipment(shipmentId: string): string {
  return `${TOPIC_PREFIX}/alerts/${checked(shipmentId, isValidShipmentId, 'shipment id')}`;
}

/** `coldchain/v1/alerts/devices/{deviceId}`. Throws on an invalid id. */
export function alertTopicForDevice(deviceId: string): string {
  return `${TOPIC_PREFIX}/alerts/devices/${checked(deviceId, isValidDeviceId, 'device id')}`;
}

/** `coldchain/v1/custody/{shipmentId}`. Throws on an invalid id. */
export function custodyTopicForShipment(shipmentId: string): string {
  return `${TOPIC_PREFIX}/custody/${checked(shipmentId, isValidShipmentId, 'shipment id')}`;
}

/** The shipment a custody topic names, or null for any other topic. Never throws. A shipment id holds no `/`. */
export function parseCustodyTopic(topic: unknown): string | null {
  if (typeof topic !== 'string' || !topic.startsWith(CUSTODY_PREFIX)) return null;
  const shipmentId = topic.slice(CUSTODY_PREFIX.length);
  return isValidShipmentId(shipmentId) ? shipmentId : null;
}

/** Every topic an alert is published on: its device's, and its shipment's when it has one. */
export function alertTopics(alert: { deviceId: string; shipmentId: string | null }): string[] {
  return [
    alertTopicForDevice(alert.deviceId),
    ...(alert.shipmentId ? [alertTopicForShipment(alert.shipmentId)] : []),
  ];
}

function checked(id: string, isValid: (id: unknown) => id is string, what: string): string {
  if (!isValid(id)) throw new TypeError(`invalid ${what}: ${JSON.stringify(id)}`);
  return id;
}
