import type { MqttClient } from 'mqtt';
import type { Credentials } from '../support/broker.js';
import { connect, until } from '../support/mqtt.js';
import type { BrokerUnderTest } from './broker-under-test.js';
import { subscribeAsIngest } from './ingest-subscriber.js';
import type { DeviceCredentials } from './load-protocol.js';
import { sampleProcess } from './proc-stats.js';

/** What a broker costs while the ingest is away and devices keep publishing, and how it hands over. */
export interface IngestAwayResult {
  messages: number;
  payloadBytes: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  /** Until every message was acknowledged to its device. */
  publishSeconds: number;
  /** From the ingest's return (same persistent session, no new SUBSCRIBE) to its last message. */
  handOverSeconds: number;
  received: number;
}

/** Publishes in flight per device. */
const WINDOW = 50;
const SETTLE_MS = 5_000;

/**
 * The ingest subscribes with its persistent session and goes away; `devices` publish `messages`
 * QoS 1 messages of `payloadBytes`, all acknowledged; then the ingest comes back on the same
 * session and must receive every one. Runs in the calling process; stops by itself.
 */
export async function measureIngestAway(opts: {
  broker: BrokerUnderTest;
  devices: DeviceCredentials[];
  ingest: Credentials;
  messages: number;
  payloadBytes: number;
  say: (line: string) => void;
}): Promise<IngestAwayResult> {
  const { broker, devices, ingest, messages, payloadBytes, say } = opts;
  const clients: MqttClient[] = [];
  try {
    const subscriber = await subscribeAsIngest(broker.url, ingest);
    await subscriber.close();
    await new Promise((r) => setTimeout(r, 500));
    const rssBeforeMb = sampleProcess(broker.pid).rssKb / 1024;
    const payload = Buffer.alloc(payloadBytes, 'x');
    const perDevice = Math.ceil(messages / devices.length);
    for (const d of devices)
      clients.push(await connect(broker.url, { clientId: d.id, username: d.id, password: d.password }));
    const started = performance.now();
    let acked = 0;
    await Promise.all(
      clients.map(async (client, i) => {
        const topic = `coldchain/v1/devices/${devices[i]?.id}/telemetry`;
        for (let sent = 0; sent < perDevice; sent += WINDOW) {
          const n = Math.min(WINDOW, perDevice - sent);
          await Promise.all(Array.from({ length: n }, () => client.publishAsync(topic, payload, { qos: 1 })));
          acked += n;
        }
      }),
    );
    const publishSeconds = (performance.now() - started) / 1000;
    // Settled: what the burst allocated and let go of has had time to be collected.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rssAfterMb = sampleProcess(broker.pid).rssKb / 1024;
    say(
      `${acked.toLocaleString('en-US')} acknowledged in ${publishSeconds.toFixed(1)} s; broker RSS ${rssBeforeMb.toFixed(0)} → ${rssAfterMb.toFixed(0)} MB; the ingest returns`,
    );

    let received = 0;
    const back = await connect(broker.url, { clientId: 'ingest', clean: false, ...ingest }, (c) =>
      c.on('message', () => {
        received++;
      }),
    );
    clients.push(back);
    const returned = performance.now();
    await until(() => received >= acked, 180_000, `the returning ingest to receive ${acked} messages`);
    return {
      messages: acked,
      payloadBytes,
      rssBeforeMb,
      rssAfterMb,
      publishSeconds,
      handOverSeconds: (performance.now() - returned) / 1000,
      received,
    };
  } finally {
    for (const c of clients) c.end(true);
  }
}
