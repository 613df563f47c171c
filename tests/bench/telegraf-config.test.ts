import { describe, expect, it } from 'vitest';
import {
  TELEGRAF_CLIENT_ID,
  type TelegrafConfigOptions,
  TUNED_METRIC_BATCH_SIZE,
  telegrafConfig,
  tunedMaxUndeliveredMessages,
} from './telegraf-config.js';

const base: TelegrafConfigOptions = {
  mqttUrl: 'mqtt://127.0.0.1:18830',
  username: 'ingest',
  password: 'pa"ss\\word',
  influx: { url: 'http://127.0.0.1:18086', token: 'tok', org: 'coldchain', bucket: 'telemetry' },
  readingsPerMessage: 100,
  settings: 'tuned',
};

/** `key = value` of a TOML line, as the config builder writes it (one key per line). */
const setting = (toml: string, key: string): string | undefined =>
  new RegExp(`^\\s*${key} = (.+)$`, 'm').exec(toml)?.[1];

describe('the Telegraf configuration of the ingest benchmark', () => {
  it('acknowledges only written messages: a persistent session with a fixed client id', () => {
    const toml = telegrafConfig(base);
    expect(setting(toml, 'persistent_session')).toBe('true');
    expect(setting(toml, 'client_id')).toBe(JSON.stringify(TELEGRAF_CLIENT_ID));
    expect(setting(toml, 'qos')).toBe('1');
  });

  it.each([1, 100, 1000])(
    'sizes the buffer for every tracked metric with %i readings per message',
    (readingsPerMessage) => {
      const toml = telegrafConfig({ ...base, readingsPerMessage });
      const undelivered = Number(setting(toml, 'max_undelivered_messages'));
      expect(undelivered).toBe(tunedMaxUndeliveredMessages(readingsPerMessage));
      // Undelivered messages fill at least two batches, or Telegraf waits for its flush interval.
      expect(undelivered * readingsPerMessage).toBeGreaterThanOrEqual(2 * TUNED_METRIC_BATCH_SIZE);
      expect(Number(setting(toml, 'metric_buffer_limit'))).toBeGreaterThanOrEqual(
        undelivered * readingsPerMessage,
      );
      expect(Number(setting(toml, 'metric_batch_size'))).toBe(5000);
      expect(setting(toml, 'content_encoding')).toBe('"identity"');
    },
  );

  it('reads the readings array of a batch, and the message itself in the single-reading form', () => {
    expect(setting(telegrafConfig(base), 'path')).toBe('"readings"');
    const single = telegrafConfig({ ...base, readingsPerMessage: 1 });
    expect(setting(single, 'path')).toBe('"@this"');
    expect(setting(single, 'excluded_keys')).toBe('["v"]');
    for (const toml of [telegrafConfig(base), single]) {
      expect(setting(toml, 'timestamp_key')).toBe('"ts"');
      expect(setting(toml, 'timestamp_format')).toBe('"unix_ms"');
      expect(setting(toml, 'tags')).toBe('"_/_/_/device/_"');
      expect(setting(toml, 'measurement_name')).toBe('"telemetry"');
      expect(setting(toml, 'topic_tag')).toBe('""');
    }
  });

  it('leaves the defaults alone when asked for them', () => {
    const toml = telegrafConfig({ ...base, settings: 'defaults' });
    for (const key of [
      'persistent_session',
      'client_id',
      'max_undelivered_messages',
      'metric_buffer_limit',
      'metric_batch_size',
      'content_encoding',
      'flush_interval',
    ]) {
      expect(setting(toml, key), key).toBeUndefined();
    }
  });

  it('writes the broker as tcp:// and escapes strings', () => {
    const toml = telegrafConfig(base);
    expect(setting(toml, 'servers')).toBe('["tcp://127.0.0.1:18830"]');
    expect(setting(toml, 'password')).toBe('"pa\\"ss\\\\word"');
  });
});
