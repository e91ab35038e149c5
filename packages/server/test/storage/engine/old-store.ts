/**
 * Writes a series file as an earlier agentmon kept it (the SQLite series store, `metrics.db`): a row
 * per payload in `agent_metrics` (a column per built-in series, the rest as JSON in `extra`) and a
 * row per numeric custom value in `agent_custom_metrics`, with the migration rows of that store. For
 * the import tests; the layout is frozen here as that store wrote it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import type { SeriesPoint } from '../../../src/storage/ports.js';

/** Creates `path` holding `points`, inserted in order. */
export function writeOldSeriesFile(path: string, points: readonly SeriesPoint[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE agentmon_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (component, version));
      CREATE TABLE agent_metrics (
        agent_id TEXT NOT NULL, ts INTEGER NOT NULL, environment TEXT NOT NULL, deployment_type TEXT NOT NULL,
        ${SERIES_METRIC_NAMES.map((name) => `${name} REAL`).join(', ')},
        extra TEXT NOT NULL
      ) STRICT;
      CREATE INDEX agent_metrics_agent_id_ts_idx ON agent_metrics (agent_id, ts);
      CREATE TABLE agent_custom_metrics (agent_id TEXT NOT NULL, ts INTEGER NOT NULL, name TEXT NOT NULL, value REAL NOT NULL) STRICT;
      CREATE INDEX agent_custom_metrics_agent_id_name_ts_idx ON agent_custom_metrics (agent_id, name, ts);
      INSERT INTO agentmon_migrations VALUES ('series', 1, 'agent_metrics and agent_custom_metrics', '2026-01-01T00:00:00Z');
    `);
    const payload = db.prepare(
      `INSERT INTO agent_metrics (agent_id, ts, environment, deployment_type, ${SERIES_METRIC_NAMES.join(', ')}, extra) VALUES (${Array.from({ length: SERIES_METRIC_NAMES.length + 5 }, () => '?').join(', ')})`,
    );
    const custom = db.prepare('INSERT INTO agent_custom_metrics (agent_id, ts, name, value) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const p of points) {
        payload.run(p.agent_id, p.ts, p.environment, p.deployment_type, ...SERIES_METRIC_NAMES.map((name) => p.values[name] ?? null), JSON.stringify(p.extra));
        for (const [name, value] of Object.entries(p.custom)) custom.run(p.agent_id, p.ts, name, value);
      }
    })();
  } finally {
    db.close();
  }
}
