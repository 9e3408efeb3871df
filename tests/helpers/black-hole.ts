// A local TCP server that accepts connections and never answers: an unreachable
// database without sending traffic anywhere but loopback.
import net from 'node:net';

export interface BlackHole {
  port: number;
  /** How many connections it accepted: one per connection attempt of the client. */
  accepted(): number;
  close: () => Promise<void>;
}

export async function blackHole(): Promise<BlackHole> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
