import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { ColdchainBroker } from './create-broker.js';

export interface Listener {
  /** The bound port (the chosen one when 0 was asked for). */
  port: number;
  /** Stops accepting connections. Safe to call twice. */
  close(): Promise<void>;
}

function bound(server: Server, port: number, host: string): Promise<Listener> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      let closing: Promise<void> | undefined;
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        close: () => {
          closing ??= new Promise<void>((r) => server.close(() => r()));
          return closing;
        },
      });
    });
  });
}

/** MQTT over TCP, or over TLS when a certificate and key are given. */
export function listenTcp(
  broker: ColdchainBroker,
  opts: { host: string; port: number; tls?: { certFile: string; keyFile: string } | undefined },
): Promise<Listener> {
  const server = opts.tls
    ? createTlsServer(
        { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) },
        (socket) => broker.handle(socket),
      )
    : createTcpServer((socket) => broker.handle(socket));
  return bound(server, opts.port, opts.host);
}

/** MQTT over WebSocket (subprotocol `mqtt`), for browsers and gateways behind HTTP proxies. */
export function listenWebSocket(
  broker: ColdchainBroker,
  opts: { host: string; port: number; maxPacketBytes: number },
): Promise<Listener> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
  });
  const wss = new WebSocketServer({
    server: http,
    maxPayload: opts.maxPacketBytes + 16,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));
  return bound(http, opts.port, opts.host).then((listener) => ({
    port: listener.port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await listener.close();
    },
  }));
}
