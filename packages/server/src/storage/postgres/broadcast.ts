/** LISTEN/NOTIFY fan-out of live messages between instances sharing one PostgreSQL schema. */
import pg from 'pg';
import type { BroadcastMessage, Broadcaster } from '../ports.js';

/** NOTIFY payloads must stay under 8000 bytes; larger messages are not shared. */
const MAX_PAYLOAD = 7900;

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

  async listen(handler: (message: BroadcastMessage) => void, onError: (err: Error) => void): Promise<() => Promise<void>> {
    const channel = await this.channel();
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      ...(this.options.schema ? { options: `-c search_path=${this.options.schema}` } : {}),
    });
    client.on('error', onError);
    client.on('notification', (n) => {
      if (n.channel !== channel || !n.payload) return;
      try {
        handler(JSON.parse(n.payload) as BroadcastMessage);
      } catch (err) {
        onError(err as Error);
      }
    });
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    return async () => {
      await client.query(`UNLISTEN ${channel}`).catch(() => undefined);
      await client.end();
    };
  }
}
