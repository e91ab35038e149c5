/** One pg pool for both PostgreSQL stores, optionally confined to a schema (tests use one each). */
import pg from 'pg';

/** Options of a PostgreSQL connection. */
export interface PostgresOptions {
  connectionString: string;
  /** Schema to create (if missing) and use as search_path; default: the server's default (public). */
  schema?: string;
  /** Most connections the pool opens (default 10). */
  max?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Parses TIMESTAMPTZ as-is text and INT8/NUMERIC as numbers, the way the stores expect them. */
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v: string) => Number(v));

/** Opens a pool; with `schema`, every connection uses it (created on first use). */
export async function openPostgresPool(options: PostgresOptions): Promise<pg.Pool> {
  const { connectionString, schema, max = 10 } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  if (schema !== undefined) {
    const setup = new pg.Client({ connectionString });
    // Its connection dying mid-way fails the query below; it must not crash the process as well.
    setup.on('error', () => undefined);
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({
    connectionString,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // A broken idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // Nor one that dies in the moment between a query and its return to the pool (pool.query's own
  // clients, between their query and their release): every client listens for its death for
  // good; its next query fails (503) and the pool drops it as not queryable.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * A client taken out of the pool. While it is out, the pool does not listen to it, and a
 * connection that dies then (the database restarted, the backend terminated) emits 'error' with
 * nobody listening, which would end the process. This listens for it: the client's pending and
 * next queries fail instead, and `release` destroys it rather than give a dead connection back.
 */
export interface CheckedOut {
  client: pg.PoolClient;
  /** The error the connection died of, once it has. */
  broken(): Error | null;
  /** Gives the client back, or destroys it when it broke or `err` says it is unusable. */
  release(err?: Error): void;
}

/** Takes a client out of the pool, listening for its death while it is out. */
export async function checkout(pool: pg.Pool): Promise<CheckedOut> {
  const client = await pool.connect();
  let died: Error | null = null;
  const onError = (err: Error): void => {
    died = err;
  };
  client.on('error', onError);
  let released = false;
  return {
    client,
    broken: () => died,
    release(err?: Error) {
      if (released) return;
      released = true;
      client.off('error', onError);
      client.release(err ?? died ?? undefined);
    },
  };
}

/** Runs `fn` in a transaction on one client of the pool. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const out = await checkout(pool);
  const { client } = out;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    out.release();
    return result;
  } catch (err) {
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    // A client whose ROLLBACK failed is in an unknown state: destroyed, not reused.
    out.release(rolledBack ? undefined : err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}
