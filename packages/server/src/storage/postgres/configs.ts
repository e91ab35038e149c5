/** PostgreSQL: each agent's MonitoringConfig (MonitoringConfigStore), and the default one registration adds. */
import type { MonitoringConfig } from '@agentmon/schema';
import type { Pool } from 'pg';
import type { MonitoringConfigStore } from '../ports.js';
import { CONFIG_COLUMN_NAMES, CONFIG_COLUMNS, configValues, type ConfigRow } from '../sql/rows.js';
import { asIs, read, rows, type PostgresColumns, type Queryable } from './db.js';

/** A config as of `db` (the pool, or a transaction's client that may have just written it). */
export async function getConfig(db: Queryable, agentId: string): Promise<MonitoringConfig | null> {
  const [row] = await rows<ConfigRow<PostgresColumns>>(db, `SELECT agent_id, ${CONFIG_COLUMNS} FROM monitoring_configs WHERE agent_id = $1`, [agentId]);
  return row === undefined ? null : read.config(row);
}

/** Inside the caller's transaction: the config of an agent that has none yet (a known agent keeps its own). */
export async function addDefaultConfig(client: Queryable, config: MonitoringConfig): Promise<void> {
  await client.query(
    `INSERT INTO monitoring_configs (agent_id, ${CONFIG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
     ON CONFLICT (agent_id) DO NOTHING`,
    configParams(config),
  );
}

export class PostgresConfigs implements MonitoringConfigStore {
  constructor(private readonly pool: Pool) {}

  async getConfig(agentId: string): Promise<MonitoringConfig | null> {
    return getConfig(this.pool, agentId);
  }

  async putConfig(config: MonitoringConfig): Promise<MonitoringConfig | null> {
    // INSERT ... SELECT resolves parameter types from the SELECT, hence the casts.
    const [row] = await rows<ConfigRow<PostgresColumns>>(
      this.pool,
      `INSERT INTO monitoring_configs (agent_id, ${CONFIG_COLUMNS})
       SELECT $1::text, $2::int, $3::int, $4::boolean, $5::boolean, $6::boolean, $7::jsonb, $8::jsonb
       WHERE EXISTS (SELECT 1 FROM agents WHERE id = $1 FOR KEY SHARE)
       ON CONFLICT (agent_id) DO UPDATE SET
         metrics_interval_seconds = EXCLUDED.metrics_interval_seconds,
         health_check_interval_seconds = EXCLUDED.health_check_interval_seconds,
         enable_resource_monitoring = EXCLUDED.enable_resource_monitoring,
         enable_performance_monitoring = EXCLUDED.enable_performance_monitoring,
         enable_ai_monitoring = EXCLUDED.enable_ai_monitoring,
         thresholds = EXCLUDED.thresholds,
         retention_settings = EXCLUDED.retention_settings,
         updated_at = NOW()
       RETURNING agent_id, ${CONFIG_COLUMNS}`,
      configParams(config),
    );
    return row === undefined ? null : read.config(row);
  }
}

/** Parameters $1..$8 in CONFIG_COLUMNS order, after agent_id. */
function configParams(config: MonitoringConfig): unknown[] {
  const values = configValues(config, asIs);
  return [config.agent_id, ...CONFIG_COLUMN_NAMES.map((c) => values[c])];
}
