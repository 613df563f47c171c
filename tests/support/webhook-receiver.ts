import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookCall {
  body: string;
  signature: string;
}

/**
 * An HTTP endpoint on loopback that records every POST it gets and answers `status` (204 by default;
 * 503 makes a receiver that always fails).
 */
export async function startWebhookReceiver(status = 204): Promise<{
  url: string;
  calls: WebhookCall[];
  close(): void;
}> {
  const calls: WebhookCall[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push({ body, signature: String(req.headers['x-coldchain-signature']) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    calls,
    close: () => server.close(),
  };
}
