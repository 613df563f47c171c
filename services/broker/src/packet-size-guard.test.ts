import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  ConnectTooLargeError,
  MqttFrameInspector,
  PacketSizeGuard,
  PacketTooLargeError,
} from './packet-size-guard.js';

const publish = (payloadBytes: number) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 'coldchain/v1/devices/d/telemetry',
    payload: Buffer.alloc(payloadBytes, 1),
    qos: 0,
    retain: false,
    dup: false,
  });

async function pass(chunks: Buffer[], max: number): Promise<Buffer> {
  const out: Buffer[] = [];
  const guard = new PacketSizeGuard(max);
  guard.on('data', (c: Buffer) => out.push(c));
  await pipeline(Readable.from(chunks), guard);
  return Buffer.concat(out);
}

/** Splits a buffer into pieces of random sizes (1..7 bytes) so headers straddle chunks. */
function shred(buf: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0, n = 1; i < buf.length; i += n, n = (n % 7) + 1) parts.push(buf.subarray(i, i + n));
  return parts;
}

describe('the packet size guard', () => {
  it('passes packets under the limit byte for byte, however the stream is chunked', async () => {
    const stream = Buffer.concat([publish(10), publish(200), publish(20_000), publish(0)]);
    expect(await pass([stream], 64 * 1024)).toEqual(stream);
    expect(await pass(shred(stream), 64 * 1024)).toEqual(stream);
  });

  it('fails the stream at the header of a packet over the limit', async () => {
    const stream = Buffer.concat([publish(10), publish(70_000)]);
    await expect(pass(shred(stream), 64 * 1024)).rejects.toThrow(/exceeds the limit of 65536/);
  });

  it('fails on a remaining length longer than four bytes', async () => {
    await expect(pass([Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])], 1024)).rejects.toThrow(
      /malformed/,
    );
  });
});

describe('the CONNECT size limit', () => {
  const connect = (passwordBytes: number) =>
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'truck-7',
      keepalive: 60,
      username: 'truck-7',
      password: Buffer.alloc(passwordBytes, 1),
    });
  const inspect = (chunks: Buffer[], maxBytes: number, maxFirstBytes: number) => {
    const inspector = new MqttFrameInspector(maxBytes, maxFirstBytes);
    for (const chunk of chunks) {
      const err = inspector.inspect(chunk);
      if (err) return err;
    }
    return null;
  };

  it('refuses a first packet over the CONNECT limit at its header, before its body arrives', () => {
    const big = connect(20_000);
    const err = inspect(shred(big.subarray(0, 6)), 64 * 1024, 8 * 1024);
    expect(err).toBeInstanceOf(ConnectTooLargeError);
    expect(err?.message).toMatch(/CONNECT of \d+ bytes exceeds the limit of 8192/);
  });

  it('lets later packets be as large as the packet limit', () => {
    const stream = Buffer.concat([connect(43), publish(20_000), publish(30_000)]);
    expect(inspect(shred(stream), 64 * 1024, 8 * 1024)).toBeNull();
    expect(inspect([Buffer.concat([connect(43), publish(70_000)])], 64 * 1024, 8 * 1024)).toBeInstanceOf(
      PacketTooLargeError,
    );
  });
});
