/**
 * Opens a SQLite database the way every SQLite store wants it: WAL, foreign keys, busy timeout,
 * and a WAL file that stays small: checkpointed every 256 pages (1 MiB, not SQLite's 4 MiB) and
 * cut back to 1 MiB after each checkpoint, as SQLite otherwise keeps it at its largest size. The
 * metadata store then moves those checkpoints to a thread of their own (checkpointer.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { INLINE_CHECKPOINT_PAGES } from './checkpointer.js';

/** Opens (creating its folder) a SQLite file, or an in-memory database for `:memory:`. */
export function openSqlite(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
  db.pragma('journal_size_limit = 1048576');
  return db;
}
