import pg from 'pg';

type Callback = (payload: string) => void;

/**
 * LISTEN/NOTIFY on a dedicated PostgreSQL connection that survives a lost server: when the
 * connection drops it reconnects with backoff, listens again on every channel, and tells
 * `onReset` subscribers, since notifications sent while it was away are gone and they must resync.
 */
export class PgListener {
  readonly #url: string;
  readonly #channels = new Map<string, Set<Callback>>();
  readonly #resetCallbacks = new Set<() => void>();
  #client: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs = 0;
  #closed = false;

  constructor(url: string) {
    this.#url = url;
  }

  async listen(channel: string, callback: Callback): Promise<() => Promise<void>> {
    let set = this.#channels.get(channel);
    const isNew = !set;
    if (!set) {
      set = new Set();
      this.#channels.set(channel, set);
    }
    set.add(callback);
    const client = await this.#connection();
    if (isNew) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    return async () => {
      set.delete(callback);
    };
  }

  /** Called after a reconnect: anything notified while the connection was down was missed. */
  onReset(callback: () => void): () => void {
    this.#resetCallbacks.add(callback);
    return () => this.#resetCallbacks.delete(callback);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  #connection(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#url });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (this.#client === client) this.#client = undefined;
      this.#scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (msg) => {
      for (const cb of this.#channels.get(msg.channel) ?? []) cb(msg.payload ?? '');
    });
    await client.connect();
    for (const channel of this.#channels.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    this.#client = client;
    this.#retryMs = 0;
    return client;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer || this.#channels.size === 0) return;
    this.#retryMs = Math.min(10_000, this.#retryMs === 0 ? 250 : this.#retryMs * 2);
    this.#retryTimer = setTimeout(async () => {
      this.#retryTimer = undefined;
      if (this.#closed) return;
      try {
        await this.#connection();
        for (const cb of this.#resetCallbacks) cb();
      } catch {
        this.#scheduleReconnect();
      }
    }, this.#retryMs);
    this.#retryTimer.unref();
  }
}
