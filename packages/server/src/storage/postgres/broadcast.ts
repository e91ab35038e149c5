/** LISTEN/NOTIFY fan-out of live messages between instances sharing one PostgreSQL schema. */
import pg from 'pg';
import type { BroadcastHooks, BroadcastMessage, Broadcaster } from '../ports.js';

/** NOTIFY payloads must stay under 8000 bytes; larger messages are not shared. */
const MAX_PAYLOAD = 7900;
/** First wait before listening again after the connection was lost, ms; it doubles up to the max. */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 30_000;

/** Broadcaster over a pool (NOTIFY) and a dedicated listening connection (LISTEN). */
export class PostgresBroadcaster implements Broadcaster {
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { connectionString: string; schema?: string },
  ) {}

  /** The channel: one per schema, so separate deployments (and tests) never hear each other. */
  private async channel(): Promise<string> {
    const { rows } = await this.pool.query<{ schema: string }>('SELECT current_schema() AS schema');
    return `agentmon_live_${(rows[0]?.schema ?? 'public').replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
  }

  async publish(message: BroadcastMessage): Promise<void> {
    const payload = JSON.stringify(message);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD) return;
    await this.pool.query('SELECT pg_notify($1, $2)', [await this.channel(), payload]);
  }

  async listen(handler: (message: BroadcastMessage) => void, hooks: BroadcastHooks): Promise<() => Promise<void>> {
    const channel = await this.channel();
    let client: pg.Client | null = null;
    let stopped = false;
    let attempt = 0;
    let timer: NodeJS.Timeout | null = null;

    const connect = async (): Promise<pg.Client> => {
      const c = new pg.Client({
        connectionString: this.options.connectionString,
        // A peer that vanished without a word (a cut network) is noticed too.
        keepAlive: true,
        ...(this.options.schema ? { options: `-c search_path=${this.options.schema}` } : {}),
      });
      c.on('error', (err) => lost(c, err));
      c.on('end', () => lost(c, new Error('the listening connection to PostgreSQL ended')));
      c.on('notification', (n) => {
        if (n.channel !== channel || !n.payload) return;
        try {
          handler(JSON.parse(n.payload) as BroadcastMessage);
        } catch (err) {
          hooks.error(err as Error);
        }
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${channel}`);
      } catch (err) {
        await c.end().catch(() => undefined);
        throw err;
      }
      return c;
    };

    // The listening connection died (PostgreSQL restarted, the backend was terminated): make it again.
    const lost = (c: pg.Client, err: Error) => {
      if (stopped || c !== client) return;
      client = null;
      hooks.error(err);
      c.end().catch(() => undefined);
      retry();
    };

    const retry = () => {
      const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.min(attempt, 10)) * (0.75 + Math.random() * 0.5);
      attempt++;
      timer = setTimeout(() => {
        timer = null;
        if (stopped) return;
        connect().then(
          (c) => {
            if (stopped) {
              c.end().catch(() => undefined);
              return;
            }
            client = c;
            attempt = 0;
            hooks.reconnected();
          },
          (err: unknown) => {
            hooks.error(err as Error);
            if (!stopped) retry();
          },
        );
      }, delay);
      // A pending reconnect never keeps the process alive.
      timer.unref();
    };

    client = await connect();
    return async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      if (!c) return;
      await c.query(`UNLISTEN ${channel}`).catch(() => undefined);
      await c.end().catch(() => undefined);
    };
  }
}
