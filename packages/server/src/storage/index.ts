/**
 * The one place that picks storage adapters. Embedded by default: metadata in a SQLite file and the
 * series in agentmon's own engine (engine/), both under the data dir. With a postgres:// URL both
 * live in PostgreSQL, shared by every instance; with an InfluxDB 1.x URL the series go to InfluxDB
 * instead, and metadata stays in SQLite or PostgreSQL.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Broadcaster, MetadataStore, SeriesStore } from './ports.js';
import { SqliteMetadataStore } from './sqlite/metadata.js';
import { PostgresMetadataStore } from './postgres/metadata.js';
import { PostgresSeriesStore } from './postgres/series.js';
import { openPostgresPool } from './postgres/pool.js';
import { PostgresBroadcaster } from './postgres/broadcast.js';
import { InfluxSeriesStore } from './influx/series.js';
import { SeriesEngine, type EngineLog } from './engine/engine.js';
import { importSqliteSeries } from './engine/import-sqlite.js';
import { CachedMetadataStore } from './metadata-cache.js';
import { assertWritableDir, DataDirWatch } from './data-dir.js';

export type { Broadcaster, MetadataStore, SeriesStore } from './ports.js';

/** Both stores, opened and migrated, with one close for all. */
export interface Stores {
  /** Where metadata lives (and series, unless seriesKind says otherwise). */
  kind: 'sqlite' | 'postgres';
  /** Where series (metrics) live. */
  seriesKind: 'engine' | 'postgres' | 'influx';
  /** Where the data lives, for logs (never includes a password). */
  location: string;
  metadata: MetadataStore;
  series: SeriesStore;
  /** Fan-out to other instances on the same store; null when only one process uses it (SQLite). */
  broadcaster: Broadcaster | null;
  /** Migration versions applied while opening. */
  migrated: { metadata: number[]; series: number[] };
  /** The data dir the embedded stores write into, watched for readiness; null when nothing is kept there. */
  dataDir: DataDirWatch | null;
  close(): Promise<void>;
}

/** Where to keep data. */
export interface StorageOptions {
  dataDir: string;
  databaseUrl: string | null;
  /** `http://[user:pass@]host:port/<database>` of an InfluxDB 1.x for the series; null: series beside metadata. */
  influxUrl?: string | null;
  /** PostgreSQL schema to use instead of the default (tests use one each). */
  schema?: string;
  /** Apply pending migrations while opening (default true). */
  migrate?: boolean;
  /** Where the series engine reports background failures and progress (default: nowhere). */
  log?: EngineLog;
}

/** Opens (and by default migrates) the stores the options call for. */
export async function openStores(options: StorageOptions): Promise<Stores> {
  const migrate = options.migrate ?? true;
  const influx = options.influxUrl ? new InfluxSeriesStore({ url: options.influxUrl }) : null;
  const influxLocation = options.influxUrl ? `; series in InfluxDB ${redactUrl(options.influxUrl)}` : '';
  if (options.databaseUrl) {
    const pool = await openPostgresPool({ connectionString: options.databaseUrl, ...(options.schema ? { schema: options.schema } : {}) });
    try {
      const metadata = new PostgresMetadataStore({ pool });
      const series = influx ?? new PostgresSeriesStore({ pool });
      const migrated = migrate ? { metadata: await metadata.migrate(), series: await series.migrate() } : { metadata: [], series: [] };
      return {
        kind: 'postgres',
        seriesKind: influx ? 'influx' : 'postgres',
        location: redactUrl(options.databaseUrl) + (options.schema ? ` (schema ${options.schema})` : '') + influxLocation,
        metadata,
        series,
        broadcaster: new PostgresBroadcaster(pool, { connectionString: options.databaseUrl, ...(options.schema ? { schema: options.schema } : {}) }),
        migrated,
        dataDir: null,
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
  // Refused here, with the reason, rather than as SQLite's "unable to open database file".
  assertWritableDir(options.dataDir);
  // One process owns the SQLite file: the ingest path's view of agents can live in memory.
  const sqlite = new SqliteMetadataStore({
    path: join(options.dataDir, 'agentmon.db'),
    onError: (message) => options.log?.('error', message),
  });
  const metadata = new CachedMetadataStore(sqlite, {
    onError: (err) => options.log?.('error', 'writing agents\' state to SQLite failed; retrying with the next write', { err: String(err) }),
  });
  let series: SeriesStore;
  try {
    series = influx ?? new SeriesEngine({ dir: join(options.dataDir, 'series'), ...(options.log ? { log: options.log } : {}) });
  } catch (err) {
    await metadata.close().catch(() => undefined);
    throw err;
  }
  try {
    const migrated = migrate ? { metadata: await metadata.migrate(), series: await series.migrate() } : { metadata: [], series: [] };
    if (migrate && series instanceof SeriesEngine) await importEarlierSeries(join(options.dataDir, 'metrics.db'), series, options.log);
    return {
      kind: 'sqlite',
      seriesKind: influx ? 'influx' : 'engine',
      location: options.dataDir + influxLocation,
      metadata,
      series,
      broadcaster: null,
      migrated,
      dataDir: new DataDirWatch(options.dataDir, influx ? ['agentmon.db'] : ['agentmon.db', 'series']),
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

/**
 * Imports the series an earlier agentmon kept in `metrics.db` (the SQLite series store) into the
 * engine, once, saying how far it is about every 5 %.
 */
async function importEarlierSeries(path: string, engine: SeriesEngine, log: EngineLog = () => undefined): Promise<void> {
  if (!existsSync(path) || engine.importState()?.done) return;
  log('info', `importing the series of ${path} into the series engine (once; an interrupted import resumes on the next start)`);
  let shown = -1;
  const result = await importSqliteSeries(path, engine, (p) => {
    const percent = p.payloads === 0 ? 100 : Math.floor((p.payloadsDone / p.payloads) * 100);
    if (percent >= shown + 5 || p.agentsDone === p.agents) {
      shown = percent;
      log('info', `importing series: ${p.payloadsDone} of ${p.payloads} payloads (${percent} %), ${p.agentsDone} of ${p.agents} agents`);
    }
  });
  if (result.ran) log('info', `imported ${result.payloads} payloads of ${result.agents} agents; the old file is kept as ${path}.imported (delete it when you no longer need it)`);
}

/** A database URL with its password hidden. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
