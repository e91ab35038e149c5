/**
 * The one place that picks storage adapters: embedded SQLite files under the data dir by default,
 * PostgreSQL for both stores when a postgres:// URL is given.
 */
import { join } from 'node:path';
import type { Broadcaster, MetadataStore, SeriesStore } from './ports.js';
import { SqliteMetadataStore } from './sqlite/metadata.js';
import { SqliteSeriesStore } from './sqlite/series.js';
import { PostgresMetadataStore } from './postgres/metadata.js';
import { PostgresSeriesStore } from './postgres/series.js';
import { openPostgresPool } from './postgres/pool.js';
import { PostgresBroadcaster } from './postgres/broadcast.js';

export type { Broadcaster, MetadataStore, SeriesStore } from './ports.js';

/** Both stores, opened and migrated, with one close for all. */
export interface Stores {
  kind: 'sqlite' | 'postgres';
  /** Where the data lives, for logs (never includes a password). */
  location: string;
  metadata: MetadataStore;
  series: SeriesStore;
  /** Fan-out to other instances on the same store; null when only one process uses it (SQLite). */
  broadcaster: Broadcaster | null;
  /** Migration versions applied while opening. */
  migrated: { metadata: number[]; series: number[] };
  close(): Promise<void>;
}

/** Where to keep data. */
export interface StorageOptions {
  dataDir: string;
  databaseUrl: string | null;
  /** PostgreSQL schema to use instead of the default (tests use one each). */
  schema?: string;
  /** Apply pending migrations while opening (default true). */
  migrate?: boolean;
}

/** Opens (and by default migrates) the stores the options call for. */
export async function openStores(options: StorageOptions): Promise<Stores> {
  const migrate = options.migrate ?? true;
  if (options.databaseUrl) {
    const pool = await openPostgresPool({ connectionString: options.databaseUrl, ...(options.schema ? { schema: options.schema } : {}) });
    try {
      const metadata = new PostgresMetadataStore({ pool });
      const series = new PostgresSeriesStore({ pool });
      const migrated = migrate ? { metadata: await metadata.migrate(), series: await series.migrate() } : { metadata: [], series: [] };
      return {
        kind: 'postgres',
        location: redactUrl(options.databaseUrl) + (options.schema ? ` (schema ${options.schema})` : ''),
        metadata,
        series,
        broadcaster: new PostgresBroadcaster(pool, { connectionString: options.databaseUrl, ...(options.schema ? { schema: options.schema } : {}) }),
        migrated,
        async close() {
          await metadata.close();
          await series.close();
          await pool.end();
        },
      };
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }
  const metadata = new SqliteMetadataStore({ path: join(options.dataDir, 'agentmon.db') });
  const series = new SqliteSeriesStore({ path: join(options.dataDir, 'metrics.db') });
  try {
    const migrated = migrate ? { metadata: await metadata.migrate(), series: await series.migrate() } : { metadata: [], series: [] };
    return {
      kind: 'sqlite',
      location: options.dataDir,
      metadata,
      series,
      broadcaster: null,
      migrated,
      async close() {
        await metadata.close();
        await series.close();
      },
    };
  } catch (err) {
    await metadata.close().catch(() => undefined);
    await series.close().catch(() => undefined);
    throw err;
  }
}

/** A database URL with its password hidden. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
