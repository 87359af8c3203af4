/**
 * Test helper: a TCP relay in front of Postgres, to cut and restore the network path — or to
 * freeze it after a given protocol step (the path goes silent: nothing forwarded either way, no
 * FIN, no RST, as when a firewall or a dead NAT drops a connection that is already logged in).
 */
import net from 'node:net';

/**
 * Where each connection freezes, counted on the server's messages (PostgreSQL frontend/backend
 * protocol: a 1-byte type and a 4-byte length per message; ReadyForQuery 'Z' ends the startup
 * and every query, DataRow 'D' carries a result row):
 *  - after-startup: once login completed (the first ReadyForQuery reached the client)
 *  - after-query-1 / after-query-2: once the first / second query completed
 *  - mid-result: inside the first result row (its header forwarded, not its body)
 */
export type FreezePoint = 'after-startup' | 'after-query-1' | 'after-query-2' | 'mid-result';

const READY_COUNT: Record<Exclude<FreezePoint, 'mid-result'>, number> = { 'after-startup': 1, 'after-query-1': 2, 'after-query-2': 3 };

/** Walks the server → client byte stream message by message and says where to stop forwarding. */
class FreezeCutter {
  private header = Buffer.alloc(0);
  private remaining = 0;
  private readies = 0;
  private freezeAtEnd = false;
  constructor(private readonly point: FreezePoint) {}

  /** How many bytes of `chunk` to forward, and whether the path freezes after them. */
  cut(chunk: Buffer): { forward: number; freeze: boolean } {
    const at = (forward: number) => ({ forward, freeze: true });
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0 && this.freezeAtEnd) return at(i);
        continue;
      }
      const take = Math.min(5 - this.header.length, chunk.length - i);
      this.header = Buffer.concat([this.header, chunk.subarray(i, i + take)]);
      i += take;
      if (this.header.length < 5) break;
      const type = String.fromCharCode(this.header[0]);
      this.remaining = this.header.readUInt32BE(1) - 4;
      this.header = Buffer.alloc(0);
      if (this.point === 'mid-result' && type === 'D') return at(i);
      if (this.point !== 'mid-result' && type === 'Z' && ++this.readies === READY_COUNT[this.point]) {
        this.freezeAtEnd = true;
        if (this.remaining === 0) return at(i);
      }
    }
    return { forward: chunk.length, freeze: false };
  }
}

/** A TCP relay in front of Postgres that can be stopped (connections cut, port refused) and restarted on the same port. */
export class Relay {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  private accepted = 0;
  port = 0;
  /** `freeze`: every connection made from now on goes silent at that point (see FreezePoint) */
  constructor(
    private target: { host: string; port: number },
    private readonly opts: { freeze?: FreezePoint } = {},
  ) {}

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
      const point = this.opts.freeze;
      if (!point) {
        client.pipe(up);
        up.pipe(client);
        return;
      }
      // frozen: both directions stop; the sockets stay open and quiet
      const cutter = new FreezeCutter(point);
      let frozen = false;
      client.on('data', (b: Buffer) => {
        if (!frozen) up.write(b);
      });
      up.on('data', (b: Buffer) => {
        if (frozen) return;
        const { forward, freeze } = cutter.cut(b);
        if (forward > 0) client.write(forward === b.length ? b : b.subarray(0, forward));
        frozen = freeze;
      });
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
