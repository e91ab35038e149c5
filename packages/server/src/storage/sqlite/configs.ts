/** SQLite: each agent's MonitoringConfig (MonitoringConfigStore), and the default one registration adds. */
import type { MonitoringConfig } from '@agentmon/schema';
import type { MonitoringConfigStore } from '../ports.js';
import { CONFIG_COLUMN_NAMES, CONFIG_COLUMNS, configValues, type ConfigRow } from '../sql/rows.js';
import { nowIso, read, zeroOne, type SqliteColumns, type SqliteDb } from './db.js';

const CONFIG_VALUES = CONFIG_COLUMN_NAMES.map((c) => `@${c}`).join(', ');
const CONFIG_UPDATES = CONFIG_COLUMN_NAMES.map((c) => `${c} = excluded.${c}`).join(', ');

export class SqliteConfigs implements MonitoringConfigStore {
  constructor(private readonly db: SqliteDb) {}

  async getConfig(agentId: string): Promise<MonitoringConfig | null> {
    return this.getNow(agentId);
  }

  getNow(agentId: string): MonitoringConfig | null {
    const row = this.db.statement(`SELECT agent_id, ${CONFIG_COLUMNS} FROM monitoring_configs WHERE agent_id = ?`).get(agentId) as
      | ConfigRow<SqliteColumns>
      | undefined;
    return row === undefined ? null : read.config(row);
  }

  /** Inside the caller's transaction: the config of an agent that has none yet (a known agent keeps its own). */
  addDefaultNow(config: MonitoringConfig, now: string): void {
    this.db
      .statement(
        `INSERT INTO monitoring_configs (agent_id, ${CONFIG_COLUMNS}, created_at, updated_at)
         VALUES (@agent_id, ${CONFIG_VALUES}, @now, @now)
         ON CONFLICT (agent_id) DO NOTHING`,
      )
      .run(configParams(config, now));
  }

  async putConfig(config: MonitoringConfig): Promise<MonitoringConfig | null> {
    const row = this.db
      .statement(
        `INSERT INTO monitoring_configs (agent_id, ${CONFIG_COLUMNS}, created_at, updated_at)
         SELECT @agent_id, ${CONFIG_VALUES}, @now, @now WHERE EXISTS (SELECT 1 FROM agents WHERE id = @agent_id)
         ON CONFLICT (agent_id) DO UPDATE SET ${CONFIG_UPDATES}, updated_at = excluded.updated_at
         RETURNING agent_id, ${CONFIG_COLUMNS}`,
      )
      .get(configParams(config, nowIso())) as ConfigRow<SqliteColumns> | undefined;
    return row === undefined ? null : read.config(row);
  }
}

function configParams(config: MonitoringConfig, now: string): Record<string, unknown> {
  return { agent_id: config.agent_id, ...configValues(config, zeroOne), now };
}
