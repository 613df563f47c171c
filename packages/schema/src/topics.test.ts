import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alertTopicForDevice,
  alertTopicForShipment,
  alertTopics,
  CUSTODY_TOPIC_FILTER,
  custodyTopicForShipment,
  DEVICE_TOPIC_KINDS,
  formatDeviceTopic,
  parseCustodyTopic,
  parseDeviceTopic,
  TELEMETRY_TOPIC_FILTER,
} from './topics.js';

const validDeviceId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const kind = fc.constantFrom(...DEVICE_TOPIC_KINDS);
const invalidDeviceId = fc.oneof(
  fc.constant(''),
  fc.stringMatching(/^[A-Za-z0-9_-]{65,100}$/),
  fc
    .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{0,20}$/), fc.constantFrom('/', '+', '#', ' ', '.', 'é', '\0'))
    .map(([id, bad]) => `${id}${bad}${id}`),
);

describe('device topics', () => {
  it.each([
    ['truck-07', 'telemetry', 'coldchain/v1/devices/truck-07/telemetry'],
    ['room_2', 'events', 'coldchain/v1/devices/room_2/events'],
    ['L1', 'status', 'coldchain/v1/devices/L1/status'],
    ['L1', 'commands', 'coldchain/v1/devices/L1/commands'],
  ] as const)('formats the topic of device %s for %s', (deviceId, topicKind, topic) => {
    expect(formatDeviceTopic(deviceId, topicKind)).toBe(topic);
    expect(parseDeviceTopic(topic)).toEqual({ deviceId, kind: topicKind });
  });

  it.each([
    ['another version', 'coldchain/v2/devices/truck-07/telemetry'],
    ['another root', 'other/v1/devices/truck-07/telemetry'],
    ['an unknown kind', 'coldchain/v1/devices/truck-07/logs'],
    ['an extra level', 'coldchain/v1/devices/truck-07/telemetry/x'],
    ['a missing level', 'coldchain/v1/devices/telemetry'],
    ['a wildcard filter', TELEMETRY_TOPIC_FILTER],
    ['an alert topic', 'coldchain/v1/alerts/devices/truck-07'],
    ['an empty device id', 'coldchain/v1/devices//telemetry'],
    ['a trailing slash', 'coldchain/v1/devices/truck-07/telemetry/'],
    ['an empty topic', ''],
  ])('does not take %s for a device topic', (_case, topic) => {
    expect(parseDeviceTopic(topic)).toBeNull();
  });

  it('returns null rather than throwing for a value that is not a string', () => {
    for (const topic of [undefined, null, 42, {}, ['coldchain', 'v1']])
      expect(parseDeviceTopic(topic)).toBeNull();
  });

  it('refuses to format a topic for an id that would change its levels', () => {
    expect(() => formatDeviceTopic('a/b', 'telemetry')).toThrow(/invalid device id/);
    expect(() => formatDeviceTopic('+', 'telemetry')).toThrow(/invalid device id/);
  });

  it('round-trips every valid device id and kind', () => {
    fc.assert(
      fc.property(validDeviceId, kind, (deviceId, topicKind) => {
        expect(parseDeviceTopic(formatDeviceTopic(deviceId, topicKind))).toEqual({
          deviceId,
          kind: topicKind,
        });
      }),
    );
  });

  it('rejects ids with separators, wildcards, other characters, no characters or too many', () => {
    fc.assert(
      fc.property(invalidDeviceId, kind, (deviceId, topicKind) => {
        expect(parseDeviceTopic(`coldchain/v1/devices/${deviceId}/${topicKind}`)).toBeNull();
        expect(() => formatDeviceTopic(deviceId, topicKind)).toThrow(TypeError);
      }),
    );
  });
});

describe('alert topics', () => {
  it("publishes an alert on its device's topic, and on its shipment's when it has one", () => {
    expect(alertTopics({ deviceId: 'truck-1', shipmentId: 'SHP-1' })).toEqual([
      'coldchain/v1/alerts/devices/truck-1',
      'coldchain/v1/alerts/SHP-1',
    ]);
    expect(alertTopics({ deviceId: 'truck-1', shipmentId: null })).toEqual([
      'coldchain/v1/alerts/devices/truck-1',
    ]);
  });

  it('names a shipment alert topic and a device alert topic', () => {
    expect(alertTopicForShipment('SH-2026-0001')).toBe('coldchain/v1/alerts/SH-2026-0001');
    expect(alertTopicForDevice('truck-07')).toBe('coldchain/v1/alerts/devices/truck-07');
  });

  it('refuses a shipment named "devices", whose topic device-alert subscribers would also receive', () => {
    expect(() => alertTopicForShipment('devices')).toThrow(/invalid shipment id/);
    expect(alertTopicForShipment('devices-1')).toBe('coldchain/v1/alerts/devices-1');
  });

  it('refuses ids that are not one topic level', () => {
    expect(() => alertTopicForShipment('a/#')).toThrow(TypeError);
    expect(() => alertTopicForDevice('')).toThrow(TypeError);
  });
});

describe('custody topics', () => {
  it('names the custody topic of a shipment and reads the shipment back', () => {
    expect(custodyTopicForShipment('SH-2026-0001')).toBe('coldchain/v1/custody/SH-2026-0001');
    expect(parseCustodyTopic('coldchain/v1/custody/SH-2026-0001')).toBe('SH-2026-0001');
  });

  it.each([
    ['the filter itself', CUSTODY_TOPIC_FILTER],
    ['an empty shipment id', 'coldchain/v1/custody/'],
    ['the reserved id "devices"', 'coldchain/v1/custody/devices'],
    ['an extra level', 'coldchain/v1/custody/SH-1/x'],
    ['another version', 'coldchain/v2/custody/SH-1'],
    ['an alert topic', 'coldchain/v1/alerts/SH-1'],
    ['a value that is not a string', 42],
  ])('does not take %s for a custody topic', (_case, topic) => {
    expect(parseCustodyTopic(topic)).toBeNull();
  });

  it('refuses to format a custody topic for an id that is not one topic level', () => {
    expect(() => custodyTopicForShipment('a/b')).toThrow(/invalid shipment id/);
    expect(() => custodyTopicForShipment('+')).toThrow(TypeError);
  });
});
