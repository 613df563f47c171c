import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** What a client may do before and while it logs in; the broker's options and env take these. */
export interface ConnectionLimitOptions {
  /** Largest CONNECT (the first packet), in bytes of remaining length. */
  maxConnectBytes: number;
  /** How long a new connection may take to deliver its CONNECT before it is closed. */
  connectTimeoutMs: number;
  /** Open connections in total, and from one remote address. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Successful CONNECTs per device id: a token bucket. */
  connectRatePerMin: number;
  connectBurst: number;
  /** Failed logins before the back-off starts, per username and per remote address. */
  loginFailuresPerId: number;
  loginFailuresPerAddress: number;
  /** The first wait of the back-off (it doubles with each further failure), and the longest. */
  loginBackoffMs: number;
  loginBackoffMaxMs: number;
}

/**
 * Defaults for a large fleet behind NAT (1,000 devices on one address, 50,000 in all) whose
 * devices reconnect a few times a minute at worst; a CONNECT of ours is under 300 bytes.
 */
export const CONNECTION_LIMIT_DEFAULTS: Readonly<ConnectionLimitOptions> = {
  maxConnectBytes: 8 * 1024,
  connectTimeoutMs: 10_000,
  maxConnections: 50_000,
  maxConnectionsPerAddress: 1_000,
  connectRatePerMin: 20,
  connectBurst: 10,
  loginFailuresPerId: 5,
  loginFailuresPerAddress: 100,
  loginBackoffMs: 1_000,
  loginBackoffMaxMs: 60_000,
};

/**
 * Caps on open connections, in total and per remote address. A connection costs the broker
 * memory before it has sent a single byte of CONNECT; without a cap, anyone who can reach the
 * port can open sockets until the process runs out of memory or file descriptors. The cap per
 * address is high because a whole fleet may sit behind one NAT (a depot, a mobile carrier).
 */
export interface ConnectionLimits {
  /**
   * Takes a place for a new connection from `address`: `release` gives it back (safe to call
   * twice). When there is no room, `refused` names the cap that was reached.
   */
  open(address: string | undefined): { release(): void } | { refused: 'total' | 'address' };
  /** Connections open. */
  count(): number;
}

export function createConnectionLimits(opts: { maxTotal: number; maxPerAddress: number }): ConnectionLimits {
  let total = 0;
  const perAddress = new Map<string, number>();
  return {
    open(address) {
      if (total >= opts.maxTotal) return { refused: 'total' };
      const key = address ?? '';
      const fromAddress = perAddress.get(key) ?? 0;
      if (fromAddress >= opts.maxPerAddress) return { refused: 'address' };
      total++;
      perAddress.set(key, fromAddress + 1);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          total--;
          const left = (perAddress.get(key) ?? 1) - 1;
          if (left > 0) perAddress.set(key, left);
          else perAddress.delete(key);
        },
      };
    },
    count: () => total,
  };
}

/** The peer's address of a TCP or TLS socket, or of the HTTP request a WebSocket came with. */
export function remoteAddressOf(conn: Duplex, req?: IncomingMessage): string | undefined {
  return req?.socket.remoteAddress ?? (conn as { remoteAddress?: string }).remoteAddress;
}
