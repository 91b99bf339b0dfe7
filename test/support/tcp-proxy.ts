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
  close(): Promise<void>;
}

/** A TCP proxy on a free local port to `targetHost:targetPort`, which a test can cut and restore. */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const held = new Set<Socket>();
  let cut = false;

  const track = (set: Set<Socket>, socket: Socket): void => {
    set.add(socket);
    socket.on('close', () => set.delete(socket));
    // A reset peer is expected here; an unhandled 'error' would end the test process.
    socket.on('error', () => socket.destroy());
  };

  const server: Server = createServer((client) => {
    if (cut) {
      track(held, client);
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    track(open, client);
    track(open, upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
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
    close: async () => {
      destroyAll(open);
      destroyAll(held);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
