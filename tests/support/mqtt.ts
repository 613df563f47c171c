import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/**
 * Connects an mqtt.js client; rejects with the broker's refusal (CONNACK return code) if any.
 * `setup` runs before the connection opens: a client resuming a session must listen for messages
 * there, since the broker sends the queued ones right behind the CONNACK.
 */
export function connect(
  url: string,
  opts: IClientOptions,
  setup?: (client: MqttClient) => void,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
    setup?.(client);
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** Collects messages per topic. */
export function collect(client: MqttClient): Map<string, Buffer[]> {
  const byTopic = new Map<string, Buffer[]>();
  client.on('message', (topic, payload) => {
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), payload]);
  });
  return byTopic;
}

export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves when the client is closed by the broker (or rejects after the timeout). */
export function closedByBroker(client: MqttClient, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error('the broker did not close the connection')), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
