import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBrokerEnv, startBroker } from '@coldchain/broker';
import { alertTopicForDevice, alertTopicForShipment } from '@coldchain/schema';
import { type Alert, createSqliteStore } from '@coldchain/store';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';

/**
 * Test helper: our broker (its authentication, ACL and persistence) on a free loopback port, with
 * the `ingest` and `api` service accounts and the given devices provisioned in its store.
 */
export interface TestBroker {
  url: string;
  secrets: Record<string, string>;
  /** A client of one of the provisioned accounts, connected. */
  connectAs(username: string, clientId?: string): Promise<MqttClient>;
  close(): Promise<void>;
}

export async function startTestBroker(devices: string[] = []): Promise<TestBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-api-live-'));
  const store = createSqliteStore({ file: join(dataDir, 'metadata.db') });
  const secrets: Record<string, string> = {
    ingest: await store.provisionServiceAccount('ingest', 'ingest'),
    api: await store.provisionServiceAccount('api', 'api'),
  };
  for (const id of devices) secrets[id] = (await store.provisionDevice({ id })).secret;
  const env = readBrokerEnv({
    COLDCHAIN_DATA_DIR: dataDir,
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    BROKER_STATS_INTERVAL_MS: '0',
  });
  const broker = await startBroker(env, pino({ level: 'silent' }), { store });
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const clients: MqttClient[] = [];
  return {
    url,
    secrets,
    connectAs(username, clientId = username) {
      return new Promise((resolve, reject) => {
        const client = mqtt.connect(url, {
          clientId,
          username,
          password: secrets[username],
          reconnectPeriod: 0,
          connectTimeout: 5_000,
        });
        clients.push(client);
        client.once('connect', () => resolve(client));
        client.once('error', reject);
      });
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await broker.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Test helper: an alert as the store keeps it; `id` and `updatedAtMs` given, the rest plausible. */
export function sampleAlert(fields: Partial<Alert> & Pick<Alert, 'id' | 'updatedAtMs'>): Alert {
  return {
    key: `SH-1:1:critical:critical-high:${fields.id}`,
    rule: 'critical',
    severity: 'critical',
    shipmentId: 'SH-1',
    deviceId: 'truck-1',
    holder: 'Haiyun Logistics',
    startMs: fields.updatedAtMs - 60_000,
    endMs: null,
    detectedAtMs: fields.updatedAtMs,
    limit: -15,
    peakValue: -10,
    peakTsMs: fields.updatedAtMs - 60_000,
    status: 'open',
    acknowledgedBy: null,
    acknowledgedAtMs: null,
    note: null,
    resolvedAtMs: null,
    resolvedBy: null,
    resolutionNote: null,
    assignedTo: null,
    detail: null,
    ...fields,
  };
}

/** Test helper: publishes an alert event as the ingest does, on the shipment's topic and the device's. */
export async function publishAlertEvent(
  ingest: MqttClient,
  alert: Alert,
  event: 'alert.created' | 'alert.updated' = 'alert.created',
): Promise<void> {
  const payload = JSON.stringify({ event, alert });
  const topics = [alertTopicForDevice(alert.deviceId)];
  if (alert.shipmentId) topics.push(alertTopicForShipment(alert.shipmentId));
  for (const topic of topics) await ingest.publishAsync(topic, payload, { qos: 1 });
}

/** One server-sent event, or a comment line (`: …`), as a browser's EventSource would read it. */
export interface SseMessage {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

/**
 * Test helper: reads a `text/event-stream` body as it arrives, as the HTML standard's "parsing an
 * event stream" says: blocks end with a blank line, `data` lines join with a newline, a line
 * starting with a colon is a comment. `ended` resolves when the stream ends.
 */
export function readSse(body: ReadableStream<Uint8Array>): { messages: SseMessage[]; ended: Promise<void> } {
  const messages: SseMessage[] = [];
  const parse = (block: string): SseMessage[] => {
    const message: SseMessage = {};
    const comments: SseMessage[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        comments.push({ comment: line.slice(1).trim() });
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`;
      else if (field === 'event' || field === 'id') message[field] = value;
    }
    return Object.keys(message).length > 0 ? [...comments, message] : comments;
  };
  const ended = (async () => {
    let buffered = '';
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffered += value.replace(/\r\n?/g, '\n');
        for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
          messages.push(...parse(buffered.slice(0, end)));
          buffered = buffered.slice(end + 2);
        }
      }
    } catch {
      // The client aborted its request.
    }
  })();
  return { messages, ended };
}
