import { type Socket, connect as tcpConnect } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

/**
 * An MQTT connection written packet by packet (mqtt-packet's encoder over a plain TCP socket), for
 * what a well-behaved client library will not do: a burst of PUBLISHes written at once and the
 * socket closed behind them, a QoS 2 retransmission with the same packet id, a half CONNECT.
 */
export interface RawMqtt {
  readonly socket: Socket;
  /** Packets the broker sent, in order. */
  readonly received: Packet[];
  /** Writes all packets in one socket write. */
  send(...packets: Packet[]): void;
  /** Resolves with the first received packet (past or future) that matches. */
  next(match: (p: Packet) => boolean, timeoutMs?: number): Promise<Packet>;
  closed: Promise<void>;
}

export function rawMqtt(port: number): Promise<RawMqtt> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const received: Packet[] = [];
    const waiters: Array<{ match: (p: Packet) => boolean; resolve: (p: Packet) => void }> = [];
    parser.on('packet', (p: Packet) => {
      received.push(p);
      for (const w of [...waiters])
        if (w.match(p)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(p);
        }
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        socket,
        received,
        closed,
        send(...packets) {
          socket.write(Buffer.concat(packets.map((p) => mqttPacket.generate(p))));
        },
        next(match, timeoutMs = 5_000) {
          const seen = received.find(match);
          if (seen) return Promise.resolve(seen);
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error('no matching packet from the broker')), timeoutMs);
            waiters.push({
              match,
              resolve: (p) => {
                clearTimeout(timer);
                res(p);
              },
            });
          });
        },
      }),
    );
  });
}

export const connectPacket = (clientId: string, username: string, password: string): Packet => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 4,
  clean: true,
  clientId,
  keepalive: 30,
  username,
  password: Buffer.from(password),
});

export const publishPacket = (
  topic: string,
  payload: string,
  qos: 0 | 1 | 2,
  messageId?: number,
  dup = false,
): Packet => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from(payload),
  qos,
  retain: false,
  dup,
  ...(messageId === undefined ? {} : { messageId }),
});
