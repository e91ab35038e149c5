/**
 * The part every module of the SQLite metadata store shares: one connection, its statements
 * prepared once and kept, the write transaction modules compose in, and how this dialect's values
 * cross the driver. better-sqlite3 is synchronous: a module's work inside `transaction` is plain
 * synchronous calls, so modules compose atomic writes by calling each other's `...Now` methods.
 * Timestamps are stored as ISO 8601 UTC TEXT with milliseconds, so text order is time order.
 */
import type Database from 'better-sqlite3';
import { openSqlite } from './open.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { rowReader, type Bind } from '../sql/rows.js';
import type { TagsEncoding } from '../sql/agent-columns.js';

/** Options of the SQLite metadata store. */
export interface SqliteMetadataOptions {
  /** Database file, or `:memory:`. */
  path: string;
  /** Checkpoint the file's write-ahead log on a worker thread (default true; a file database only). */
  checkpointOffThread?: boolean;
  /** Where a background failure is reported (the checkpoint thread's). */
  onError?: (message: string) => void;
}

/** One SQLite database file (or `:memory:`) and its prepared statements. */
export class SqliteDb {
  readonly db: Database.Database;
  /** Statements prepared once per store, keyed by their SQL (list queries have a few shapes each). */
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();
  /** Checkpoints the write-ahead log off the event loop (a file database only). */
  private readonly checkpointer: Checkpointer | null;

  constructor(options: SqliteMetadataOptions) {
    this.db = openSqlite(options.path);
    const onFile = options.path !== ':memory:' && options.path !== '';
    this.checkpointer = onFile && options.checkpointOffThread !== false ? startCheckpointer(this.db, options.path, { ...(options.onError ? { onError: options.onError } : {}) }) : null;
  }

  statement(sql: string): Database.Statement<unknown[]> {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /** A write: IMMEDIATE takes the write lock up front, so a read-then-write cannot fail half-way with SQLITE_BUSY. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Reads that must see one state of the database (a page and its total). */
  snapshot<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  async close(): Promise<void> {
    this.statements.clear();
    // The thread first: the connection's close then checkpoints what is left and removes the log.
    await this.checkpointer?.close();
    if (this.db.open) this.db.close();
  }
}

// ------------------------------------------------------------------ values

/** How better-sqlite3 returns the columns SQLite stores its own way: ISO TEXT, 0/1, JSON TEXT. */
export interface SqliteColumns {
  time: string;
  flag: number;
  json: string | null;
  tags: string | null;
}

export const read = rowReader<SqliteColumns>({
  time: (value) => value,
  flag: (value) => value === 1,
  json: parseJson,
  tags: (value) => stringArray(parseJson(value)),
});

/** Tags are a JSON array in TEXT. */
export const encodeTags: TagsEncoding = (tags) => JSON.stringify(tags);

export const zeroOne = (value: boolean): number => (value ? 1 : 0);

export function nowIso(): string {
  return new Date().toISOString();
}

/** Binds positional `?` parameters: pushes each value onto `params`. */
export function bindTo(params: unknown[]): Bind {
  return (value) => {
    params.push(value);
    return '?';
  };
}

function parseJson(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
