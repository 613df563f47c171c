import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrokerProcess,
  type Credentials,
  provision,
  runProvisionCli,
  startBrokerProcess,
} from '../support/broker.js';
import { closedByBroker, connect } from '../support/mqtt.js';

describe('revoking a device (provision disable / rotate) while it is connected', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldchain-e2e-revoke-'));
  let broker: BrokerProcess;
  let creds: Record<string, Credentials>;
  const clients: MqttClient[] = [];
  const device = async (id: string, password = creds[id]?.password as string) => {
    const c = await connect(broker.url, { clientId: id, username: id, password });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    creds = await provision(dataDir, { devices: ['stolen-1', 'rekeyed-1'] });
    broker = await startBrokerProcess(dataDir, { BROKER_REVOCATION_POLL_MS: '200' });
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('disconnects a disabled device at once and refuses it until it is enabled again', async () => {
    const stolen = await device('stolen-1');
    const closed = closedByBroker(stolen, 5_000);
    await runProvisionCli(dataDir, ['disable', 'stolen-1']);
    await closed;
    await expect(device('stolen-1')).rejects.toThrow(/bad user ?name or password|not authorized/i);
    expect(
      broker.logs.some((l) => l.msg === 'device disabled: disconnecting it' && l.clientId === 'stolen-1'),
    ).toBe(true);

    await runProvisionCli(dataDir, ['enable', 'stolen-1']);
    const back = await device('stolen-1');
    expect(back.connected).toBe(true);
  });

  it('disconnects a device whose secret was rotated; only the new secret logs in', async () => {
    const rekeyed = await device('rekeyed-1');
    const closed = closedByBroker(rekeyed, 5_000);
    const { stdout } = await runProvisionCli(dataDir, ['rotate', 'rekeyed-1']);
    const { password } = JSON.parse(stdout) as { password: string };
    await closed;
    await expect(device('rekeyed-1')).rejects.toThrow(/bad user ?name or password|not authorized/i);
    const withNew = await device('rekeyed-1', password);
    expect(withNew.connected).toBe(true);
  });
});
