import { describe, expect, it } from 'vitest';
import { parseCredentials, readFleetEnv } from './env.js';

describe('readFleetEnv', () => {
  it('fills in defaults around the one required variable', () => {
    expect(readFleetEnv({ FLEET_CREDENTIALS_FILE: 'creds.json' })).toEqual({
      url: 'mqtt://127.0.0.1:1883',
      credentialsFile: 'creds.json',
      intervalMs: 5_000,
      speed: 1,
      seed: 1,
      faults: [],
    });
  });

  it('reads every variable', () => {
    const env = readFleetEnv({
      MQTT_URL: 'mqtts://broker.example:8883',
      FLEET_CREDENTIALS_FILE: 'creds.json',
      FLEET_DEVICES_FILE: 'devices.json',
      FLEET_PROFILES_FILE: 'profiles.json',
      FLEET_INTERVAL_MS: '1000',
      FLEET_SPEED: '60',
      FLEET_DURATION_MS: '600000',
      FLEET_START: '-6h',
      FLEET_SEED: '7',
      FLEET_FAULTS:
        '[{"deviceId":"veh-dl-seafood-01","kind":"offline","afterMs":3600000,"durationMs":7200000}]',
    });
    expect(env).toMatchObject({
      url: 'mqtts://broker.example:8883',
      intervalMs: 1000,
      speed: 60,
      durationMs: 600_000,
      start: '-6h',
      seed: 7,
      faults: [{ deviceId: 'veh-dl-seafood-01', kind: 'offline', afterMs: 3_600_000, durationMs: 7_200_000 }],
    });
  });

  it('names every bad variable in one error', () => {
    const read = () =>
      readFleetEnv({
        MQTT_URL: 'http://localhost',
        FLEET_INTERVAL_MS: '0',
        FLEET_SPEED: 'fast',
        FLEET_START: 'yesterday',
        FLEET_FAULTS: '[{"deviceId":"x","kind":"meteor"}]',
      });
    expect(read).toThrow(/MQTT_URL/);
    for (const name of [
      'FLEET_CREDENTIALS_FILE',
      'FLEET_INTERVAL_MS',
      'FLEET_SPEED',
      'FLEET_START',
      'FLEET_FAULTS',
    ]) {
      expect(read).toThrow(name);
    }
  });
});

describe('parseCredentials', () => {
  it('reads a map of device id to secret', () => {
    expect(parseCredentials('{"a":"s1","b":"s2"}', 'f')).toEqual({ a: 's1', b: 's2' });
  });

  it.each(['[]', '{"a":1}', '{"a":""}', 'nope'])('refuses %s', (text) => {
    expect(() => parseCredentials(text, 'creds.json')).toThrow(/creds\.json/);
  });
});
