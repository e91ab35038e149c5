/** PostgreSQL: named locks (LockStore) as session advisory locks, shared by every instance on the schema. */
import type { Pool } from 'pg';
import type { LockStore } from '../ports.js';
import { checkout } from './pool.js';
import { rows } from './db.js';

/**
 * The advisory lock key of a tryLock name: per schema, as the migration lock is, so stores sharing
 * a schema share their locks and stores in other schemas (tests, tenants) never meet.
 */
const LOCK_KEY = `hashtextextended('agentmon:lock:' || COALESCE(current_schema(), '') || ':' || $1, 0)`;

export class PostgresLocks implements LockStore {
  /** Release functions of the locks held, each on its own client; releaseAll() frees them. */
  private readonly held = new Set<() => Promise<void>>();

  constructor(private readonly pool: Pool) {}

  /** A session advisory lock on a client of its own, kept out of the pool until released. */
  async tryLock(name: string): Promise<(() => Promise<void>) | null> {
    // The lock lives as long as this client's session; if the connection dies the lock is gone,
    // and the release below finds the client broken and destroys it.
    const out = await checkout(this.pool);
    const { client } = out;
    let taken: boolean;
    try {
      const [row] = await rows<{ taken: boolean }>(client, `SELECT pg_try_advisory_lock(${LOCK_KEY}) AS taken`, [name]);
      taken = row?.taken === true;
    } catch (err) {
      out.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    if (!taken) {
      out.release();
      return null;
    }
    let released: Promise<void> | undefined;
    const release = (): Promise<void> => {
      // Twice is once: the client goes back to the pool a single time.
      released ??= (async () => {
        this.held.delete(release);
        if (out.broken()) {
          // The session died, and its locks with it: nothing to unlock.
          out.release();
          return;
        }
        try {
          await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [name]);
          out.release();
        } catch (err) {
          // A connection that cannot unlock is closed instead, which frees its session locks too.
          out.release(err instanceof Error ? err : new Error(String(err)));
          throw err;
        }
      })();
      return released;
    };
    this.held.add(release);
    return release;
  }

  /** Frees every lock still held: their clients would keep the pool from ending. */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.held].map((release) => release()));
  }
}
