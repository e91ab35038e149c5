/** SQLite: the latest result of each agent's health checks (HealthCheckStore). */
import { toUtcIso } from '@agentmon/schema';
import type { HealthCheck } from '@agentmon/schema';
import type { HealthCheckStore } from '../ports.js';
import { SELECT_HEALTH_CHECK, type HealthCheckRow } from '../sql/rows.js';
import { read, type SqliteColumns, type SqliteDb } from './db.js';

export class SqliteHealthChecks implements HealthCheckStore {
  constructor(private readonly db: SqliteDb) {}

  async saveHealthChecks(agentId: string, checks: readonly HealthCheck[]): Promise<void> {
    const upsert = this.db.statement(
      `INSERT INTO health_checks (agent_id, name, status, message, timestamp, execution_time_ms)
       VALUES (@agent_id, @name, @status, @message, @timestamp, @execution_time_ms)
       ON CONFLICT (agent_id, name) DO UPDATE SET
         status = excluded.status, message = excluded.message,
         timestamp = excluded.timestamp, execution_time_ms = excluded.execution_time_ms`,
    );
    this.db.transaction(() => {
      // Checks of an agent deleted meanwhile are dropped, as applyStates drops its state.
      if (this.db.statement('SELECT 1 FROM agents WHERE id = ?').get(agentId) === undefined) return;
      for (const check of checks) {
        upsert.run({
          agent_id: agentId,
          name: check.name,
          status: check.status ? 1 : 0,
          message: check.message,
          timestamp: toUtcIso(check.timestamp),
          execution_time_ms: check.execution_time_ms,
        });
      }
    });
  }

  async getHealthChecks(agentId: string): Promise<HealthCheck[]> {
    const rows = this.db.statement(`${SELECT_HEALTH_CHECK} WHERE agent_id = ? ORDER BY name`).all(agentId) as HealthCheckRow<SqliteColumns>[];
    return rows.map(read.healthCheck);
  }
}
