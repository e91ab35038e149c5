/**
 * The part every module of the PostgreSQL metadata store shares: queries on the pool or, inside a
 * transaction (pool.ts's inTransaction), on its client, and how this dialect's values cross the
 * driver. Modules compose atomic writes by passing the transaction's client to each other's
 * functions that take a Queryable. Timestamps leave as `Date` (pg's default for TIMESTAMPTZ) and
 * cross the port as ISO strings; batches go in as one JSON parameter expanded by jsonb_to_recordset.
 */
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { rowReader, type Bind } from '../sql/rows.js';
import type { TagsEncoding } from '../sql/agent-columns.js';

/** A pool, or one of its clients inside a transaction. */
export type Queryable = Pool | PoolClient;

export async function rows<R extends QueryResultRow>(db: Queryable, sql: string, params: unknown[] = []): Promise<R[]> {
  const result = await db.query<R>(sql, params);
  return result.rows;
}

/** How pg returns the columns PostgreSQL types natively: TIMESTAMPTZ, BOOLEAN, JSONB, text[]. */
export interface PostgresColumns {
  time: Date;
  flag: boolean;
  json: unknown;
  tags: string[] | null;
}

export const read = rowReader<PostgresColumns>({
  time: (value) => value.toISOString(),
  flag: (value) => value,
  json: (value) => value,
  tags: (value) => value ?? [],
});

/** Tags are a text[]: pg binds a JavaScript array as one. */
export const encodeTags: TagsEncoding = (tags) => tags;

/** Booleans are booleans. */
export const asIs = <T>(value: T): T => value;

/** Binds `$n` parameters: pushes each value onto `params`. */
export function bindTo(params: unknown[]): Bind {
  return (value) => `$${params.push(value)}`;
}
