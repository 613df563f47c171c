import { type Duplex, Transform, type TransformCallback } from 'node:stream';

export class PacketTooLargeError extends Error {
  readonly code = 'packet_too_large';
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`MQTT packet of ${bytes} bytes exceeds the limit of ${maxBytes}`);
  }
}

/** The first packet of a connection (its CONNECT, MQTT-3.1.0-1) is over its own, smaller limit. */
export class ConnectTooLargeError extends Error {
  readonly code = 'connect_too_large';
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`MQTT CONNECT of ${bytes} bytes exceeds the limit of ${maxBytes}`);
  }
}

export class MalformedLengthError extends Error {
  readonly code = 'malformed_length';
  constructor() {
    super('malformed MQTT remaining length: more than 4 bytes');
  }
}

/**
 * Follows the MQTT fixed headers in a byte stream and reports the first packet that announces a
 * remaining length above the limit, before its body is buffered. Aedes itself has no packet size
 * limit; without this a client could make the broker hold up to 256 MB per packet (MQTT 3.1.1
 * §2.2.3, the remaining length's maximum). Bodies are skipped without being looked at.
 *
 * The first packet has a limit of its own, `maxFirstBytes`: it must be the CONNECT (MQTT-3.1.0-1),
 * which carries a client id, credentials and perhaps a will, and the broker holds it before it
 * knows who sent it. A CONNECT as large as a telemetry PUBLISH lets anyone without credentials
 * make the broker hold a quarter of a megabyte per socket.
 */
export class MqttFrameInspector {
  private bodyLeft = 0;
  private header: number[] = [];
  private first = true;

  constructor(
    private readonly maxBytes: number,
    private readonly maxFirstBytes: number = maxBytes,
  ) {}

  /** Looks at the next chunk of the stream; returns an error at the first bad header, else null. */
  inspect(chunk: Uint8Array): Error | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++] as number;
      this.header.push(byte);
      // The first byte is the packet type; then 1 to 4 bytes of remaining length, 7 bits each,
      // the high bit saying another byte follows (§2.2.3).
      if (this.header.length === 1) continue;
      if (byte & 0x80) {
        if (this.header.length === 5) return new MalformedLengthError();
        continue;
      }
      let length = 0;
      for (let k = this.header.length - 1; k >= 1; k--)
        length = length * 128 + ((this.header[k] as number) & 0x7f);
      this.header = [];
      if (this.first) {
        this.first = false;
        if (length > this.maxFirstBytes) return new ConnectTooLargeError(length, this.maxFirstBytes);
      }
      if (length > this.maxBytes) return new PacketTooLargeError(length, this.maxBytes);
      this.bodyLeft = length;
    }
    return null;
  }
}

/** The inspector as a pass-through stream (for piping; the broker itself uses `guardConnection`). */
export class PacketSizeGuard extends Transform {
  private readonly inspector: MqttFrameInspector;

  constructor(maxBytes: number) {
    super();
    this.inspector = new MqttFrameInspector(maxBytes);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const err = this.inspector.inspect(chunk);
    if (err) done(err);
    else done(null, chunk);
  }
}

/**
 * Guards a connection in place. Aedes pulls bytes with `conn.read()` (lib/client.js), so the guard
 * wraps that one method of this one connection: no extra stream per client, which would cost
 * memory on every idle device and a buffer copy on every packet.
 */
export function guardConnection<T extends Duplex>(
  conn: T,
  limits: { maxPacketBytes: number; maxConnectBytes: number },
  onRefused: (err: Error) => void,
): T {
  const inspector = new MqttFrameInspector(limits.maxPacketBytes, limits.maxConnectBytes);
  const read = conn.read.bind(conn);
  conn.read = (size?: number) => {
    const chunk: unknown = read(size);
    if (chunk instanceof Uint8Array) {
      const err = inspector.inspect(chunk);
      if (err) {
        onRefused(err);
        conn.destroy();
        return null;
      }
    }
    return chunk;
  };
  return conn;
}
