/** Test helper: a TCP relay in front of Postgres, to cut and restore the network path. */
import net from 'node:net';

/** A TCP relay in front of Postgres that can be stopped (connections cut, port refused) and restarted on the same port. */
export class Relay {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  private accepted = 0;
  port = 0;
  constructor(private target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      this.accepted++;
      const up = net.connect(this.target.port, this.target.host);
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          up.destroy();
        });
      }
      client.pipe(up);
      up.pipe(client);
    });
    await new Promise<void>((res, rej) => {
      this.server!.once('error', rej);
      this.server!.listen(this.port, '127.0.0.1', () => res());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
    this.server = undefined;
  }

  /** connections accepted since the relay was made (across restarts) */
  connections(): number {
    return this.accepted;
  }

  url(dbUrl: string): string {
    const u = new URL(dbUrl);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}
