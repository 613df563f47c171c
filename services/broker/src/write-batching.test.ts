import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { batchWritesPerTurn } from './write-batching.js';

const puback = (messageId: number) => ({ cmd: 'puback' as const, messageId });
const refusal = { cmd: 'connack' as const, returnCode: 5, sessionPresent: false };

let server: Server | undefined;
afterEach(() => server?.close());

/**
 * A real loopback connection: `serve` gets the accepted socket with batching on, counting the
 * writes the socket hands to the kernel; resolves with every byte the client received.
 */
async function exchange(serve: (conn: Socket) => void): Promise<{ bytes: Buffer; writes: number }> {
  let writes = 0;
  server = createServer((conn) => {
    for (const method of ['_write', '_writev'] as const) {
      const socket = conn as unknown as Record<string, (...args: unknown[]) => void>;
      const original = (socket[method] as (...args: unknown[]) => void).bind(conn);
      socket[method] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }
    serve(batchWritesPerTurn(conn));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const client = createConnection(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  client.on('data', (c: Buffer) => chunks.push(c));
  await once(client, 'close');
  return { bytes: Buffer.concat(chunks), writes };
}

const encoded = (...packets: mqttPacket.Packet[]) =>
  Buffer.concat(packets.map((p) => mqttPacket.generate(p)));

describe('write batching per event-loop turn', () => {
  it('sends the packets of one turn in one write, in order', async () => {
    // Each packet from a callback of its own, as Aedes answers and routes each message.
    const { bytes, writes } = await exchange((conn) => {
      for (let id = 1; id <= 5; id++) setImmediate(() => mqttPacket.writeToStream(puback(id), conn));
      setTimeout(() => conn.end(), 20);
    });
    expect(bytes).toEqual(encoded(puback(1), puback(2), puback(3), puback(4), puback(5)));
    expect(writes).toBe(1);
  });

  it('loses no packet written just before the connection is destroyed', async () => {
    const { bytes } = await exchange((conn) => {
      mqttPacket.writeToStream(puback(7), conn);
      mqttPacket.writeToStream(refusal, conn);
      conn.destroy();
    });
    expect(bytes).toEqual(encoded(puback(7), refusal));
  });

  it('loses no packet written just before the connection is ended', async () => {
    const { bytes } = await exchange((conn) => {
      mqttPacket.writeToStream(refusal, conn);
      conn.end();
    });
    expect(bytes).toEqual(encoded(refusal));
  });

  it('keeps writing in later turns', async () => {
    const { bytes, writes } = await exchange((conn) => {
      mqttPacket.writeToStream(puback(1), conn);
      setTimeout(() => {
        mqttPacket.writeToStream(puback(2), conn);
        mqttPacket.writeToStream(puback(3), conn);
        setTimeout(() => conn.end(), 20);
      }, 20);
    });
    expect(bytes).toEqual(encoded(puback(1), puback(2), puback(3)));
    expect(writes).toBe(2);
  });
});
