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
  return pool;
}

/** Runs `fn` in a transaction on one client of the pool. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
