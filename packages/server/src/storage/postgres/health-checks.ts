/** PostgreSQL: the latest result of each agent's health checks (HealthCheckStore). */
import { toUtcIso } from '@agentmon/schema';
import type { HealthCheck } from '@agentmon/schema';
import type { Pool } from 'pg';
import type { HealthCheckStore } from '../ports.js';
import { SELECT_HEALTH_CHECK, type HealthCheckRow } from '../sql/rows.js';
import { read, rows, type PostgresColumns } from './db.js';

export class PostgresHealthChecks implements HealthCheckStore {
  constructor(private readonly pool: Pool) {}

  async saveHealthChecks(agentId: string, checks: readonly HealthCheck[]): Promise<void> {
    if (checks.length === 0) return;
    // One row per name (the last wins): ON CONFLICT cannot touch a row twice in one statement.
    const byName = new Map(checks.map((c) => [c.name, c]));
    const batch = [...byName.values()].map((c) => ({
      name: c.name,
      status: c.status,
      message: c.message,
      timestamp: toUtcIso(c.timestamp),
      execution_time_ms: c.execution_time_ms,
    }));
    // Checks of an agent deleted meanwhile are dropped, as applyStates drops its state.
    await this.pool.query(
      `INSERT INTO health_checks (agent_id, name, status, message, timestamp, execution_time_ms)
       SELECT $1::text, c.name, c.status, c.message, c.timestamp, c.execution_time_ms
       FROM jsonb_to_recordset($2::jsonb) AS c(name text, status boolean, message text, timestamp timestamptz,
                                              execution_time_ms float8)
       WHERE EXISTS (SELECT 1 FROM agents WHERE id = $1 FOR KEY SHARE)
       ON CONFLICT (agent_id, name) DO UPDATE SET
         status = EXCLUDED.status, message = EXCLUDED.message,
         timestamp = EXCLUDED.timestamp, execution_time_ms = EXCLUDED.execution_time_ms`,
      [agentId, JSON.stringify(batch)],
    );
  }

  async getHealthChecks(agentId: string): Promise<HealthCheck[]> {
    const found = await rows<HealthCheckRow<PostgresColumns>>(this.pool, `${SELECT_HEALTH_CHECK} WHERE agent_id = $1 ORDER BY name`, [agentId]);
    return found.map(read.healthCheck);
  }
}
