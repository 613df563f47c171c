import { TELEMETRY_TOPIC_FILTER } from '@coldchain/schema';
import type { Credentials } from '../support/broker.js';
import { connect } from '../support/mqtt.js';
import { onCleanup } from './cleanup.js';

/** The one consumer of device telemetry, as the ingest service subscribes: persistent session, QoS 1. */
export interface IngestSubscriber {
  delivered(): number;
  /** Connections lost while subscribed; the ingest should see none. */
  closes(): number;
  close(): Promise<void>;
}

export async function subscribeAsIngest(url: string, ingest: Credentials): Promise<IngestSubscriber> {
  const client = await connect(url, { clientId: 'ingest', clean: false, ...ingest });
  let delivered = 0;
  let closes = 0;
  let closing = false;
  client.on('message', () => {
    delivered++;
  });
  client.on('close', () => {
    if (!closing) closes++;
  });
  client.on('error', (err) => {
    if (!closing) console.error(`ingest subscriber: ${err.message}`);
  });
  const granted = await client.subscribeAsync(TELEMETRY_TOPIC_FILTER, { qos: 1 });
  if (granted[0]?.qos !== 1) throw new Error(`ingest subscription refused: ${JSON.stringify(granted)}`);
  let ending: Promise<void> | undefined;
  const close = () => {
    closing = true;
    ending ??= client.endAsync().catch(() => {});
    return ending;
  };
  const forget = onCleanup(close);
  return {
    delivered: () => delivered,
    closes: () => closes,
    async close() {
      await close();
      forget();
    },
  };
}
