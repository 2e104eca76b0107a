import type pg from 'pg';

/** NOTIFY payloads must be shorter than 8000 bytes; a longer line is not sent (receivers notice the gap). */
export const NOTIFY_MAX_BYTES = 7_900;
const CHANNEL = 'wave_control';

/**
 * Postgres LISTEN/NOTIFY on the channel `wave_control` of the store's database: every process
 * of a store that is a Postgres server hears it, on any machine. One connection of its own,
 * outside the store's pool (a LISTEN lives as long as its connection); it reconnects after a
 * loss and says so (onReconnect), since NOTIFY keeps nothing for a listener that was away.
 */
export class PgNotifyTransport {
  readonly name = 'postgres notify';
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private onLine: ((line: string) => void) | null = null;
  private onReconnect: (() => void) | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly url: string) {}

  private connect(): Promise<pg.Client> {
    this.connecting ??= (async () => {
      // Loaded when first used: a process on the embedded store never loads it.
      const { default: pgModule } = await import('pg');
      const client = new pgModule.Client({ connectionString: this.url, connectionTimeoutMillis: 3_000 });
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      client.on('notification', (n) => {
        if (n.channel === CHANNEL && n.payload) this.onLine?.(n.payload);
      });
      await client.connect();
      if (this.onLine) await client.query(`LISTEN ${CHANNEL}`);
      this.client = client;
      return client;
    })().catch((e: unknown) => {
      this.connecting = null;
      throw e;
    });
    return this.connecting;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client && this.connecting === null) return;
    this.client = null;
    this.connecting = null;
    void client.end().catch(() => undefined);
    if (this.closed || !this.onLine || this.retry) return;
    const attempt = (delay: number) => {
      this.retry = setTimeout(() => {
        this.retry = null;
        if (this.closed) return;
        this.connect().then(
          () => this.onReconnect?.(),
          () => attempt(Math.min(delay * 2, 2_000)),
        );
      }, delay);
      this.retry.unref();
    };
    attempt(100);
  }

  async send(line: string): Promise<void> {
    if (this.closed || Buffer.byteLength(line) > NOTIFY_MAX_BYTES) return;
    const client = this.client ?? (await this.connect());
    await client.query('select pg_notify($1, $2)', [CHANNEL, line]);
  }

  async listen(onLine: (line: string) => void, onReconnect: () => void): Promise<void> {
    this.onLine = onLine;
    this.onReconnect = onReconnect;
    const client = await this.connect();
    // A connection opened for sending before listening started.
    await client.query(`LISTEN ${CHANNEL}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client ?? (this.connecting ? await this.connecting.catch(() => null) : null);
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
