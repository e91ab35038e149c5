/** Applies a PostgreSQL store's pending migrations, recorded per component in agentmon_migrations. */
import type pg from 'pg';
import { inTransaction } from './pool.js';
import { POSTGRES_MIGRATION_LOCK, POSTGRES_MIGRATIONS_TABLE, type PostgresMigration } from './metadata-migrations.js';

/** Applies, in one transaction, the migrations of `component` not yet recorded; returns their versions. */
export async function applyPostgresMigrations(pool: pg.Pool, component: string, migrations: readonly PostgresMigration[]): Promise<number[]> {
  return inTransaction(pool, async (client) => {
    // The lock first: concurrent CREATE TABLE IF NOT EXISTS can still collide without it.
    await client.query(POSTGRES_MIGRATION_LOCK);
    await client.query(POSTGRES_MIGRATIONS_TABLE);
    const done = await client.query<{ version: number }>('SELECT version FROM agentmon_migrations WHERE component = $1', [component]);
    const doneVersions = new Set(done.rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (doneVersions.has(migration.version)) continue;
      await client.query(migration.up);
      await client.query('INSERT INTO agentmon_migrations (component, version, name) VALUES ($1, $2, $3)', [
        component,
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
