import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, type Credentials, provision, startBrokerProcess } from '../support/broker.js';
import { collect, connect, until } from '../support/mqtt.js';

const run = promisify(execFile);
const telemetry = (id: string) => `coldchain/v1/devices/${id}/telemetry`;
const reading = (seq: number) =>
  JSON.stringify({ v: 1, readings: [{ ts: Date.now(), seq, temp: { air: 4.2 } }] });

/** How a connection attempt ended: connected, or the error (or close) that stopped it. */
function attempt(url: string, opts: mqtt.IClientOptions): Promise<string> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
    const done = (outcome: string) => {
      client.end(true);
      resolve(outcome);
    };
    client.once('connect', () => done('connected'));
    client.once('error', (err) => done(`error: ${err.message}`));
    client.once('close', () => done('closed'));
  });
}

describe('the broker over TLS (MQTT_TLS_CERT, MQTT_TLS_KEY)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  let ca: Buffer;
  let broker: BrokerProcess;
  let creds: Record<string, Credentials>;
  let url: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    // A self-signed certificate for the loopback address, made for this run.
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=coldchain test broker',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    ca = readFileSync(certFile);
    creds = await provision(join(dir, 'data'), {
      devices: ['tls-1', 'tls-2'],
      services: [{ id: 'ingest', role: 'ingest' }],
    });
    broker = await startBrokerProcess(join(dir, 'data'), { MQTT_TLS_CERT: certFile, MQTT_TLS_KEY: keyFile });
    url = `mqtts://127.0.0.1:${broker.port}`;
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves devices and the ingest that trust its certificate, mqtt.js and mosquitto_pub alike', async () => {
    expect(broker.logs.some((l) => l.tls === true)).toBe(true);
    const ingest = await connect(url, { clientId: 'ingest', clean: false, ca, ...creds.ingest });
    clients.push(ingest);
    const received = collect(ingest);
    await ingest.subscribeAsync('coldchain/v1/devices/+/telemetry', { qos: 1 });

    const device = await connect(url, { clientId: 'tls-1', ca, ...creds['tls-1'] });
    clients.push(device);
    await device.publishAsync(telemetry('tls-1'), reading(1), { qos: 1 });

    const secret = creds['tls-2']?.password as string;
    await run('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(broker.port), '--cafile', certFile],
      ...['-i', 'tls-2', '-u', 'tls-2', '-P', secret],
      ...['-q', '1', '-t', telemetry('tls-2'), '-m', reading(2)],
    ]);
    await until(
      () =>
        (received.get(telemetry('tls-1'))?.length ?? 0) === 1 &&
        (received.get(telemetry('tls-2'))?.length ?? 0) === 1,
      5_000,
      'both devices over TLS',
    );
  });

  it('refuses a client that does not trust the certificate, and plain MQTT on the TLS port', async () => {
    expect(await attempt(url, { clientId: 'tls-1', ...creds['tls-1'] })).toMatch(/^error: .*self[- ]signed/i);
    expect(
      await attempt(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'tls-1', ...creds['tls-1'] }),
    ).not.toBe('connected');
    // And it still serves the others.
    const device = await connect(url, { clientId: 'tls-1', ca, ...creds['tls-1'] });
    clients.push(device);
    await device.publishAsync(telemetry('tls-1'), reading(3), { qos: 1 });
  });
});
