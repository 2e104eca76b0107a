import net from 'node:net';

/** A TCP proxy in front of the real Postgres that a test can cut and restore. */
export class CuttableProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private accepting = true;
  /** When set, the connection is cut as soon as the client sends COMMIT (which never reaches the server). */
  cutOnCommit = false;
  /**
   * When a client message matches, it is forwarded and THEN the connection is cut: the
   * server runs it but the client never hears back (an ambiguous commit). Fires once.
   */
  cutAfterForwarding: RegExp | null = null;
  /** When a client message matches, the connection is cut without forwarding it. Fires once. */
  cutBeforeForwarding: RegExp | null = null;
  /** How many times a cutAfterForwarding / cutBeforeForwarding trap fired. */
  fired = 0;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      if (!this.accepting) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.sockets.add(client).add(upstream);
      let flushing = false;
      const drop = () => {
        client.destroy();
        // A message being flushed to the server must get there: let that side end by itself.
        if (!flushing) upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      let draining = false;
      // The server has the whole request once it has the Sync message ('S', length 4) that
      // closes an extended-protocol query (Parse/Bind/Execute may come in separate chunks).
      const endsWithSync = (b: Buffer) =>
        b.length >= 5 && b[b.length - 5] === 0x53 && b.readInt32BE(b.length - 4) === 4;
      const cutAfter = (chunk: Buffer) => {
        flushing = true;
        // end() flushes the request to the server before closing; the client side goes now.
        upstream.end(chunk);
        client.destroy();
      };
      client.on('data', (chunk: Buffer) => {
        if (draining) {
          if (endsWithSync(chunk)) cutAfter(chunk);
          else upstream.write(chunk);
          return;
        }
        const text = chunk.toString('latin1');
        if ((this.cutOnCommit && /\bcommit\b/i.test(text)) || this.cutBeforeForwarding?.test(text)) {
          if (this.cutBeforeForwarding) this.fired++;
          this.cutBeforeForwarding = null;
          drop();
          return;
        }
        if (this.cutAfterForwarding?.test(text)) {
          this.cutAfterForwarding = null;
          this.fired++;
          draining = true;
          // A simple query ('Q') is one message; an extended one ends with Sync.
          if (endsWithSync(chunk) || chunk[0] === 0x51) cutAfter(chunk);
          else upstream.write(chunk);
          return;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server!.address() as net.AddressInfo).port;
  }

  /** Drops every open connection and refuses new ones. */
  cut(): void {
    this.accepting = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.accepting = true;
    this.cutOnCommit = false;
    this.cutAfterForwarding = null;
    this.cutBeforeForwarding = null;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server?.close(r));
  }
}
