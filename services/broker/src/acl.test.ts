import type { Principal } from '@coldchain/store';
import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe, canUseClientId } from './acl.js';

const truck: Principal = { kind: 'device', deviceId: 'truck-1' };
const ingest: Principal = { kind: 'service', id: 'ingest', role: 'ingest' };
const api: Principal = { kind: 'service', id: 'api', role: 'api' };

describe('topic ACL', () => {
  it.each([
    [truck, 'coldchain/v1/devices/truck-1/telemetry', true],
    [truck, 'coldchain/v1/devices/truck-1/events', true],
    [truck, 'coldchain/v1/devices/truck-1/status', true],
    [truck, 'coldchain/v1/devices/truck-2/telemetry', false],
    [truck, 'coldchain/v1/devices/truck-1/commands', false],
    [truck, 'coldchain/v1/alerts/SHP-1', false],
    [truck, '$SYS/anything', false],
    [truck, 'other/topic', false],
    [ingest, 'coldchain/v1/alerts/SHP-1', true],
    [ingest, 'coldchain/v1/alerts/devices/truck-1', true],
    [ingest, 'coldchain/v1/devices/truck-1/telemetry', false],
    [api, 'coldchain/v1/devices/truck-1/commands', true],
    [api, 'coldchain/v1/alerts/SHP-1', false],
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
  ] as const)('%o subscribing to %s: %s', (who, filter, allowed) => {
    expect(canSubscribe(who, filter).allowed).toBe(allowed);
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
