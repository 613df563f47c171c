import { TELEMETRY_MEASUREMENT } from '@coldchain/influx';
import { TELEMETRY_TOPIC_FILTER } from '@coldchain/schema';

/**
 * The reference stack of the ingest benchmark: Mosquitto with Telegraf's `mqtt_consumer` writing
 * to InfluxDB, which is what a user would otherwise deploy. Pure: builds Telegraf's TOML, so that
 * a smoke test can check it without starting anything.
 */

export interface TelegrafConfigOptions {
  mqttUrl: string;
  username: string;
  password: string;
  influx: { url: string; token: string; org: string; bucket: string };
  /** Readings per telemetry message: 1 is the single-reading form `{"v":1,"ts":...}`. */
  readingsPerMessage: number;
  /**
   * `tuned`: configured as a competent user would for at-least-once delivery (see below).
   * `defaults`: Telegraf's and the plugin's defaults, with only what it takes to read our topics.
   */
  settings: 'tuned' | 'defaults';
}

/** Metrics per InfluxDB write (tuned); our ingest writes 5,000 lines per request too. */
export const TUNED_METRIC_BATCH_SIZE = 5000;

/**
 * Messages Telegraf takes from the broker before their metrics are written (tuned): the plugin's
 * default of 1,000, or enough for two full batches when messages are small. With one reading per
 * message, 1,000 undelivered messages never fill a batch of 5,000: Telegraf then writes only once
 * per flush interval and stalls at 1,000 messages per interval.
 */
export function tunedMaxUndeliveredMessages(readingsPerMessage: number): number {
  return Math.max(1000, Math.ceil((2 * TUNED_METRIC_BATCH_SIZE) / Math.max(1, readingsPerMessage)));
}
/** The MQTT client id of Telegraf's persistent session. */
export const TELEGRAF_CLIENT_ID = 'telegraf-bench';

/** TOML basic string: quotes and backslashes escaped. */
const str = (value: string) => JSON.stringify(value);

/**
 * What the tuned configuration changes from the defaults, and why:
 *
 * - `persistent_session = true` with a fixed `client_id`: the plugin then turns paho's automatic
 *   PUBACK off and acknowledges a message only once an output has written its metrics (tracking
 *   metrics); with the default clean session paho acknowledges on receipt, and whatever Telegraf
 *   holds in memory is lost when it dies, and the broker forgets the session while it is away.
 * - `max_undelivered_messages` enough for two full batches (see `tunedMaxUndeliveredMessages`).
 * - `metric_buffer_limit` ≥ `max_undelivered_messages` × readings per message: the buffer can hold
 *   every tracked metric, so it never drops one (a dropped tracked metric is acknowledged as
 *   undelivered, and the message is lost). The default buffer (10,000) is smaller than the default
 *   1,000 undelivered messages of 100 readings each.
 * - `metric_batch_size` 5,000: InfluxDB takes large batches far more cheaply than the default 1,000.
 * - `content_encoding = "identity"`: on loopback gzip costs CPU and saves nothing.
 * - `flush_interval` 200 ms (default 10 s), our ingest's flush interval: a partial batch is written
 *   soon, not ten seconds later (a full batch is written at once either way). `flush_jitter` 0.
 *
 * Both read the same wire format with `json_v2`: the readings array (or the message itself in the
 * single-reading form) become metrics of `telemetry`, the timestamp from `ts` (epoch ms), the device
 * from the topic as tag `device`, nested `temp.{sensor}` flattened to `temp_{sensor}`, `seq` an
 * integer, as packages/influx maps a reading. No topic tag (one series per topic would be a
 * high-cardinality tag that our mapping does not have).
 */
export function telegrafConfig(opts: TelegrafConfigOptions): string {
  const tuned = opts.settings === 'tuned';
  const undelivered = tunedMaxUndeliveredMessages(opts.readingsPerMessage);
  const buffer = undelivered * Math.max(1, opts.readingsPerMessage);
  const single = opts.readingsPerMessage === 1;
  const server = opts.mqttUrl.replace(/^mqtt:/, 'tcp:');
  const telemetryTopic = TELEMETRY_TOPIC_FILTER;
  const lines = [
    '[agent]',
    '  interval = "10s"',
    '  omit_hostname = true',
    // Said explicitly only to silence the start-up notice about its future default: there are no
    // processors or aggregators here.
    '  skip_processors_after_aggregators = true',
    ...(tuned
      ? [
          `  metric_batch_size = ${TUNED_METRIC_BATCH_SIZE}`,
          `  metric_buffer_limit = ${Math.max(buffer, 10_000)}`,
          '  flush_interval = "200ms"',
          '  flush_jitter = "0s"',
        ]
      : []),
    '',
    '[[outputs.influxdb_v2]]',
    `  urls = [${str(opts.influx.url)}]`,
    `  token = ${str(opts.influx.token)}`,
    `  organization = ${str(opts.influx.org)}`,
    `  bucket = ${str(opts.influx.bucket)}`,
    ...(tuned ? ['  content_encoding = "identity"'] : []),
    '',
    '[[inputs.mqtt_consumer]]',
    `  servers = [${str(server)}]`,
    `  topics = [${str(telemetryTopic)}]`,
    '  qos = 1',
    `  username = ${str(opts.username)}`,
    `  password = ${str(opts.password)}`,
    '  topic_tag = ""',
    ...(tuned
      ? [
          '  persistent_session = true',
          `  client_id = ${str(TELEGRAF_CLIENT_ID)}`,
          `  max_undelivered_messages = ${undelivered}`,
        ]
      : []),
    '  data_format = "json_v2"',
    '  [[inputs.mqtt_consumer.topic_parsing]]',
    `    topic = ${str(telemetryTopic)}`,
    // coldchain/v1/devices/{id}/telemetry: the fourth level is the device.
    '    tags = "_/_/_/device/_"',
    '  [[inputs.mqtt_consumer.json_v2]]',
    `    measurement_name = ${str(TELEMETRY_MEASUREMENT)}`,
    '    [[inputs.mqtt_consumer.json_v2.object]]',
    `      path = ${str(single ? '@this' : 'readings')}`,
    '      timestamp_key = "ts"',
    '      timestamp_format = "unix_ms"',
    ...(single ? ['      excluded_keys = ["v"]'] : []),
    '      [inputs.mqtt_consumer.json_v2.object.fields]',
    '        seq = "int"',
    '',
  ];
  return lines.join('\n');
}
