/** Applies a SQLite store's pending migrations, recorded per component in agentmon_migrations. */
import type Database from 'better-sqlite3';
import type { SqliteMigration } from './metadata-migrations.js';

/**
 * Applies, in one transaction, the migrations of `component` not yet recorded; returns their
 * versions. `table` creates agentmon_migrations if the file has none yet.
 */
export function applySqliteMigrations(db: Database.Database, component: string, table: string, migrations: readonly SqliteMigration[]): number[] {
  const run = db.transaction((): number[] => {
    db.exec(table);
    const done = new Set(db.prepare('SELECT version FROM agentmon_migrations WHERE component = ?').pluck().all(component) as number[]);
    const record = db.prepare('INSERT INTO agentmon_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)');
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      db.exec(migration.up);
      record.run(component, migration.version, migration.name, new Date().toISOString());
      applied.push(migration.version);
    }
    return applied;
  });
  // IMMEDIATE takes the write lock up front, so two processes migrating at once take turns.
  return run.immediate();
}
