/**
 * SQLite adapter of the MetadataStore port: one SqliteDb (db.ts) shared by one module per concern.
 * better-sqlite3 is synchronous: each method does its work in one synchronous call (a transaction
 * where it writes more than one row) behind an async signature.
 */
import { ComposedMetadataStore, type MetadataParts } from '../composed-metadata.js';
import { SqliteDb, type SqliteMetadataOptions } from './db.js';
import { SqliteAgents } from './agents.js';
import { SqliteAlerts } from './alerts.js';
import { SqliteConfigs } from './configs.js';
import { SqliteEvents } from './events.js';
import { SqliteHealthChecks } from './health-checks.js';
import { SqliteIngest } from './ingest.js';
import { SqliteLocks } from './locks.js';
import { SqliteSettings } from './settings.js';
import { SqliteTargets } from './targets.js';
import { SQLITE_METADATA_MIGRATIONS, SQLITE_MIGRATIONS_TABLE } from './metadata-migrations.js';
import { applySqliteMigrations } from './migrate.js';

export type { SqliteMetadataOptions } from './db.js';

const COMPONENT = 'metadata';

/** MetadataStore on one SQLite file (or `:memory:`). */
export class SqliteMetadataStore extends ComposedMetadataStore {
  constructor(options: SqliteMetadataOptions) {
    super(sqliteParts(new SqliteDb(options)));
  }
}

function sqliteParts(db: SqliteDb): MetadataParts {
  const events = new SqliteEvents(db);
  const alerts = new SqliteAlerts(db);
  const configs = new SqliteConfigs(db);
  const locks = new SqliteLocks();
  return {
    lifecycle: {
      migrate: async () => applySqliteMigrations(db.db, COMPONENT, SQLITE_MIGRATIONS_TABLE, SQLITE_METADATA_MIGRATIONS),
      ping: async () => {
        db.statement('SELECT 1').get();
      },
      // Nothing: SQLite rewrites rows in place and reuses freed pages by itself.
      maintain: async () => [],
      close: async () => {
        locks.clear();
        await db.close();
      },
    },
    agents: new SqliteAgents(db, configs, events),
    ingest: new SqliteIngest(db, alerts, events),
    configs,
    healthChecks: new SqliteHealthChecks(db),
    alerts,
    events,
    targets: new SqliteTargets(db),
    settings: new SqliteSettings(db),
    locks,
  };
}
