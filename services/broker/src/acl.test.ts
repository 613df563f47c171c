import type { Principal } from '@coldchain/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BROKER_STATS_TOPIC, canPublish, canReceive, canSubscribe, canUseClientId } from './acl.js';

const truck: Principal = { kind: 'device', deviceId: 'truck-1' };
const ingest: Principal = { kind: 'service', id: 'ingest', role: 'ingest' };
const api: Principal = { kind: 'service', id: 'api', role: 'api' };

describe('topic ACL', () => {
  it.each([
    [truck, 'coldchain/v1/devices/truck-1/telemetry', true],
    [truck, 'coldchain/v1/devices/truck-1/events', true],
    [truck, 'coldchain/v1/devices/truck-1/status', false],
    [truck, 'coldchain/v1/devices/truck-2/telemetry', false],
    [truck, 'coldchain/v1/devices/truck-1/commands', false],
    [truck, 'coldchain/v1/alerts/SHP-1', false],
    [truck, '$SYS/anything', false],
    [truck, 'other/topic', false],
    [ingest, 'coldchain/v1/alerts/SHP-1', true],
    [ingest, 'coldchain/v1/alerts/devices/truck-1', true],
    [ingest, 'coldchain/v1/devices/truck-1/telemetry', false],
    [api, 'coldchain/v1/devices/truck-1/commands', true],
    [api, 'coldchain/v1/alerts/SHP-1', true],
    [api, 'coldchain/v1/custody/SHP-1', true],
    [api, 'coldchain/v1/custody/devices', false],
    [api, 'coldchain/v1/custody/', false],
    [api, 'coldchain/v1/custody/SHP-1/x', false],
    [ingest, 'coldchain/v1/custody/SHP-1', false],
    [truck, 'coldchain/v1/custody/SHP-1', false],
  ] as const)('%o publishing to %s: %s', (who, topic, allowed) => {
    expect(canPublish(who, topic).allowed).toBe(allowed);
  });

  it.each([
    [truck, 'coldchain/v1/devices/truck-1/commands', true],
    [truck, 'coldchain/v1/devices/truck-2/commands', false],
    [truck, '#', false],
    [truck, 'coldchain/v1/devices/+/telemetry', false],
    [ingest, 'coldchain/v1/devices/+/telemetry', true],
    [ingest, '#', false],
    [api, 'coldchain/v1/devices/truck-1/status', true],
    [api, 'coldchain/v1/devices/truck-1/telemetry', false],
    [api, 'coldchain/v1/alerts/#', true],
    [api, 'coldchain/v1/devices/+/telemetry', false],
    [ingest, 'coldchain/v1/custody/+', true],
    [ingest, 'coldchain/v1/custody/#', false],
    [api, 'coldchain/v1/custody/+', false],
    [truck, 'coldchain/v1/custody/+', false],
  ] as const)('%o subscribing to %s: %s', (who, filter, allowed) => {
    expect(canSubscribe(who, filter).allowed).toBe(allowed);
  });

  /** MQTT 3.1.1 §4.7 topic matching, written out independently of the ACL. */
  const matches = (filter: string, topic: string): boolean => {
    if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
    const f = filter.split('/');
    const t = topic.split('/');
    for (let i = 0; i < f.length; i++) {
      if (f[i] === '#') return true;
      if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
    }
    return f.length === t.length;
  };
  const level = fc.constantFrom(
    'coldchain',
    'v1',
    'devices',
    'alerts',
    'truck-1',
    'truck-2',
    'SHP-1',
    'telemetry',
    'events',
    'status',
    'commands',
    'custody',
    '$SYS',
    'coldchain',
    'broker',
    '',
  );
  const levels = fc.array(level, { minLength: 1, maxLength: 6 });
  /** Topics under our own prefix, where the rules differ by a level: random levels seldom get there. */
  const ourTopic = fc
    .tuple(fc.constantFrom('devices', 'alerts', 'custody'), fc.array(level, { maxLength: 3 }))
    .map(([kind, rest]) => ['coldchain', 'v1', kind, ...rest].join('/'));
  const topicArb = fc.oneof(
    levels.map((l) => l.join('/')),
    ourTopic,
    fc.constant(BROKER_STATS_TOPIC),
  );
  const filterArb = fc.oneof(
    fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 6 }).map((l) => l.join('/')),
    fc
      .array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 5 })
      .map((l) => [...l, '#'].join('/')),
  );

  it('delivers a topic to a client exactly when some filter it may subscribe to matches it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(truck, ingest, api),
        topicArb,
        fc.array(filterArb, { maxLength: 40 }),
        (who, topic, filters) => {
          // Every allowed filter that matches implies delivery; and delivery has a witness among
          // the filters the ACL documents (its own set, plus the one device-status filter).
          for (const f of filters)
            if (canSubscribe(who, f).allowed && matches(f, topic)) expect(canReceive(who, topic)).toBe(true);
          const witnesses = [
            'coldchain/v1/devices/truck-1/commands',
            'coldchain/v1/devices/#',
            'coldchain/v1/alerts/#',
            'coldchain/v1/devices/+/status',
            'coldchain/v1/custody/+',
            BROKER_STATS_TOPIC,
            topic,
          ].filter((f) => canSubscribe(who, f).allowed && matches(f, topic));
          expect(canReceive(who, topic)).toBe(witnesses.length > 0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    [truck, 'coldchain/v1/devices/truck-1/commands', true],
    [truck, 'coldchain/v1/devices/truck-2/commands', false],
    [truck, 'coldchain/v1/devices/truck-2/telemetry', false],
    [truck, 'coldchain/v1/alerts/SHP-1', false],
    [ingest, 'coldchain/v1/devices/truck-2/telemetry', true],
    [ingest, 'coldchain/v1/alerts/SHP-1', false],
    [api, 'coldchain/v1/alerts/devices/truck-1', true],
    [api, 'coldchain/v1/devices/truck-1/telemetry', false],
    [api, '$SYS/other-broker/heartbeat', false],
    [ingest, 'coldchain/v1/custody/SHP-1', true],
    // `+` matches an empty level too (MQTT 3.1.1 §4.7.1.3).
    [ingest, 'coldchain/v1/custody/', true],
    [ingest, 'coldchain/v1/custody/SHP-1/x', false],
    [api, 'coldchain/v1/custody/SHP-1', false],
    [truck, 'coldchain/v1/custody/SHP-1', false],
  ] as const)('%o receiving %s: %s', (who, topic, allowed) => {
    expect(canReceive(who, topic)).toBe(allowed);
  });

  it('tells the broker which kind of its own topic a device publishes to', () => {
    expect(canPublish(truck, 'coldchain/v1/devices/truck-1/events')).toEqual({
      allowed: true,
      kind: 'events',
    });
    expect(canPublish(truck, 'coldchain/v1/devices/truck-1/telemetry')).toEqual({
      allowed: true,
      kind: 'telemetry',
    });
  });

  it('requires a device to use its own id as client id', () => {
    expect(canUseClientId(truck, 'truck-1').allowed).toBe(true);
    expect(canUseClientId(truck, 'truck-2').allowed).toBe(false);
    expect(canUseClientId(ingest, 'ingest:worker-1').allowed).toBe(true);
    expect(canUseClientId(ingest, 'truck-1').allowed).toBe(false);
  });
});
