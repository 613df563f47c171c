import { Duplex, Transform, type TransformCallback } from 'node:stream';

export class PacketTooLargeError extends Error {
  readonly code = 'packet_too_large';
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`MQTT packet of ${bytes} bytes exceeds the limit of ${maxBytes}`);
  }
}

export class MalformedLengthError extends Error {
  readonly code = 'malformed_length';
  constructor() {
    super('malformed MQTT remaining length: more than 4 bytes');
  }
}

/**
 * Watches the MQTT fixed headers in a byte stream and fails it as soon as a packet announces a
 * remaining length above the limit, before the body is buffered. Aedes itself has no packet size
 * limit; without this a client could make the broker hold up to 256 MB per packet (MQTT 3.1.1
 * §2.2.3, the remaining length's maximum). Bodies are skipped without being looked at.
 */
export class PacketSizeGuard extends Transform {
  private bodyLeft = 0;
  private header: number[] = [];

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
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
        if (this.header.length === 5) {
          done(new MalformedLengthError());
          return;
        }
        continue;
      }
      let length = 0;
      for (let k = this.header.length - 1; k >= 1; k--)
        length = length * 128 + ((this.header[k] as number) & 0x7f);
      this.header = [];
      if (length > this.maxBytes) {
        done(new PacketTooLargeError(length, this.maxBytes));
        return;
      }
      this.bodyLeft = length;
    }
    done(null, chunk);
  }
}

/** The connection as Aedes sees it: reads pass through the guard, writes go straight out. */
export function guardConnection(conn: Duplex, maxBytes: number, onTooLarge: (err: Error) => void): Duplex {
  const guard = new PacketSizeGuard(maxBytes);
  guard.on('error', (err) => {
    // The guard fails only on a bad header; other errors (an abort when the client goes away) are
    // not refusals.
    if (err instanceof PacketTooLargeError || err instanceof MalformedLengthError) onTooLarge(err);
    conn.destroy();
  });
  conn.pipe(guard);
  return Duplex.from({ readable: guard, writable: conn });
}
