import { createConnection, createServer, Server, Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /**
   * Cuts the link the way a network failure would: every open connection is reset, and new
   * ones are accepted but never answered (a black hole), so clients see both a dropped
   * connection and a server that does not respond.
   */
  cut(): void;
  /** Forwards new connections again (the ones held during the cut are dropped). */
  restore(): void;
  /**
   * Hangs the link without closing anything, as a frozen server or a silent network would:
   * open connections stop forwarding (their bytes wait in the proxy), new ones are accepted
   * and left waiting. Nothing is reset, so clients only notice through their own timeouts.
   */
  pause(): void;
  /** Ends the hang: the waiting bytes and connections go through. */
  resume(): void;
  close(): Promise<void>;
}

/** A TCP proxy on a free local port to `targetHost:targetPort`, which a test can cut and restore. */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const held = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const waiting = new Set<Socket>();
  let cut = false;
  let paused = false;

  const track = (set: Set<Socket>, socket: Socket): void => {
    set.add(socket);
    socket.on('close', () => set.delete(socket));
    // A reset peer is expected here; an unhandled 'error' would end the test process.
    socket.on('error', () => socket.destroy());
  };

  const forward = (client: Socket): void => {
    const upstream = createConnection({ host: targetHost, port: targetPort });
    track(open, upstream);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  };

  const server: Server = createServer((client) => {
    if (cut) {
      track(held, client);
      return;
    }
    track(open, client);
    if (paused) {
      waiting.add(client);
      client.on('close', () => waiting.delete(client));
      return;
    }
    forward(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const destroyAll = (set: Set<Socket>): void => {
    for (const socket of [...set]) socket.resetAndDestroy();
  };

  return {
    port,
    cut: () => {
      cut = true;
      destroyAll(open);
    },
    restore: () => {
      cut = false;
      destroyAll(held);
    },
    pause: () => {
      paused = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    resume: () => {
      paused = false;
      for (const [client, upstream] of pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
      for (const client of [...waiting]) {
        waiting.delete(client);
        if (!client.destroyed) forward(client);
      }
    },
    close: async () => {
      destroyAll(open);
      destroyAll(held);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
