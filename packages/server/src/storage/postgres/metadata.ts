/**
 * PostgreSQL adapter of the MetadataStore port, on the seed's DDL plus agentmon's own tables: one
 * module per concern on one pool (db.ts says how they share it and compose transactions).
 */
import type { Pool } from 'pg';
import { ComposedMetadataStore, type MetadataParts } from '../composed-metadata.js';
import type { StoreLifecycle } from '../ports.js';
import { PostgresAgents } from './agents.js';
import { PostgresAlerts } from './alerts.js';
import { PostgresConfigs } from './configs.js';
import { PostgresEvents } from './events.js';
import { PostgresHealthChecks } from './health-checks.js';
import { PostgresIngest } from './ingest.js';
import { PostgresLocks } from './locks.js';
import { PostgresSettings } from './settings.js';
import { PostgresTargets } from './targets.js';
import { POSTGRES_METADATA_MIGRATIONS } from './metadata-migrations.js';
import { applyPostgresMigrations } from './migrate.js';

/** Options of the PostgreSQL metadata store. */
export interface PostgresMetadataOptions {
  /** A pool from `openPostgresPool`; its owner ends it, never this store. */
  pool: Pool;
}

const COMPONENT = 'metadata';

/** The tables every report rewrites rows of. */
const REWRITTEN_TABLES = ['agents', 'agent_state', 'alerts', 'health_checks', 'monitoring_configs'];

/** MetadataStore on a PostgreSQL pool (the schema is the pool's search_path). */
export class PostgresMetadataStore extends ComposedMetadataStore {
  constructor(options: PostgresMetadataOptions) {
    const { pool } = options;
    const locks = new PostgresLocks(pool);
    super({
      lifecycle: new PostgresLifecycle(pool, locks),
      agents: new PostgresAgents(pool),
      ingest: new PostgresIngest(pool),
      configs: new PostgresConfigs(pool),
      healthChecks: new PostgresHealthChecks(pool),
      alerts: new PostgresAlerts(pool),
      events: new PostgresEvents(pool),
      targets: new PostgresTargets(pool),
      settings: new PostgresSettings(pool),
      locks,
    } satisfies MetadataParts);
  }
}

class PostgresLifecycle implements StoreLifecycle {
  /** Whether the server's autovacuum runs (read once). */
  private autovacuum: Promise<boolean> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly locks: PostgresLocks,
  ) {}

  async migrate(): Promise<number[]> {
    return applyPostgresMigrations(this.pool, COMPONENT, POSTGRES_METADATA_MIGRATIONS);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /**
   * With autovacuum off (some installations turn it off), nothing reclaims the old versions of rows
   * every report rewrites (an agent's last_seen, its state, its firing alerts), and a busy fleet's
   * few thousand rows grow to gigabytes. Then agentmon vacuums those tables itself: a plain VACUUM,
   * which neither blocks reads nor writes.
   */
  async maintain(): Promise<string[]> {
    this.autovacuum ??= this.pool
      .query<{ on: boolean }>(`SELECT current_setting('autovacuum') = 'on' AS on`)
      .then((r) => r.rows[0]?.on !== false);
    if (await this.autovacuum) return [];
    await this.pool.query(`VACUUM ${REWRITTEN_TABLES.join(', ')}`);
    return [`vacuumed ${REWRITTEN_TABLES.join(', ')} (autovacuum is off)`];
  }

  /**
   * Frees the locks still held (their clients would keep the pool from ending) and nothing else:
   * the pool belongs to whoever opened it, who ends it after closing every store on it.
   */
  async close(): Promise<void> {
    await this.locks.releaseAll();
  }
}
