#!/usr/bin/env node
// Provisions devices and service accounts in the metadata store and prints the secret once.
//   provision device <id> [--kind vehicle|cold-room|cabinet|logger] [--name NAME]
//   provision rotate <id>
//   provision disable <id> | enable <id>
//   provision service <id> ingest|api
import { parseArgs } from 'node:util';
import { isValidDeviceId } from '@coldchain/schema';
import { DEVICE_KINDS, type DeviceKind, openMetadataStore } from '@coldchain/store';
import { readBrokerEnv } from './env.js';

const usage = `usage:
  provision device <id> [--kind ${DEVICE_KINDS.join('|')}] [--name NAME]
  provision rotate <id>
  provision disable <id> | enable <id>
  provision service <id> ingest|api`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { kind: { type: 'string' }, name: { type: 'string' } },
});
const [command, id, role] = positionals;
const fail = (message: string): never => {
  console.error(`${message}\n${usage}`);
  process.exit(2);
};
if (!id || !isValidDeviceId(id))
  fail(`invalid or missing id: ${id ?? ''} (letters, digits, _ and -, at most 64)`);
const env = readBrokerEnv();
const store = await openMetadataStore({ databaseUrl: env.databaseUrl, file: env.metadataFile });
try {
  if (command === 'device') {
    const kind = values.kind ?? 'logger';
    if (!DEVICE_KINDS.includes(kind as DeviceKind)) fail(`unknown kind ${kind}`);
    const { device, secret } = await store.provisionDevice({
      id: id as string,
      kind: kind as DeviceKind,
      ...(values.name ? { name: values.name } : {}),
    });
    console.log(
      JSON.stringify({ device: device.id, kind: device.kind, username: device.id, password: secret }),
    );
  } else if (command === 'rotate') {
    console.log(
      JSON.stringify({ device: id, username: id, password: await store.rotateDeviceSecret(id as string) }),
    );
  } else if (command === 'disable' || command === 'enable') {
    const device = await store.setDeviceDisabled(id as string, command === 'disable');
    console.log(JSON.stringify({ device: device.id, disabled: device.disabled }));
    console.error(
      command === 'disable'
        ? 'The device can no longer log in; a running broker disconnects it within seconds.'
        : 'The device can log in again with its current secret.',
    );
  } else if (command === 'service') {
    if (role !== 'ingest' && role !== 'api') fail('service role must be ingest or api');
    console.log(
      JSON.stringify({
        service: id,
        username: id,
        password: await store.provisionServiceAccount(id as string, role as 'ingest' | 'api'),
      }),
    );
  } else {
    fail(`unknown command ${command ?? ''}`);
  }
  if (command !== 'disable' && command !== 'enable')
    console.error('The password is shown once and stored only as a salted hash.');
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await store.close();
}
