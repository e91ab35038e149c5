/**
 * PostgreSQL adapter of the MetadataStore port, on the seed's DDL plus agentmon's own tables.
 * Timestamps leave as `Date` (pg's default for TIMESTAMPTZ) and cross the port as ISO strings;
 * batches go in as one JSON parameter expanded by jsonb_to_recordset, one statement per table.
 */
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { toUtcIso } from '@agentmon/schema';
import type { HealthCheck, MonitoringConfig, SystemEvent } from '@agentmon/schema';
import type {
  AgentCounts,
  AgentFilter,
  AgentState,
  AgentListRow,
  AgentPatch,
  AgentRecord,
  AgentStateWrite,
  AlertFilter,
  AlertRecord,
  AlertWrites,
  EventFilter,
  IngestContext,
  MetadataStore,
  NotificationTarget,
  RegistrationResult,
  RegistrationWrite,
} from '../ports.js';
import { checkout, inTransaction } from './pool.js';
import { countsFromRows } from '../sql/agent-counts.js';
import {
  agentConditions,
  agentOrder,
  ALERT_COLUMN_NAMES,
  ALERT_COLUMNS,
  alertConditions,
  alertOrder,
  alertValues,
  type AlertColumn,
  CONFIG_COLUMN_NAMES,
  CONFIG_COLUMNS,
  configValues,
  eventConditions,
  isoOrNull,
  rowReader,
  SELECT_AGENT,
  SELECT_ALERT,
  SELECT_EVENT,
  SELECT_HEALTH_CHECK,
  SELECT_INGEST,
  SELECT_TARGET,
  whereClause,
  type AgentRow,
  type AlertRow,
  type Bind,
  type ConfigRow,
  type EventRow,
  type HealthCheckRow,
  type IngestRow,
  type NotificationTargetRow,
} from '../sql/rows.js';
import { POSTGRES_METADATA_MIGRATIONS } from './metadata-migrations.js';
import { applyPostgresMigrations } from './migrate.js';

/** Options of the PostgreSQL metadata store. */
export interface PostgresMetadataOptions {
  /** A pool from `openPostgresPool`; its owner ends it, never this store. */
  pool: Pool;
}

const COMPONENT = 'metadata';

/** A pool or one of its clients inside a transaction. */
type Queryable = Pool | PoolClient;

async function rows<R extends QueryResultRow>(db: Queryable, sql: string, params: unknown[] = []): Promise<R[]> {
  const result = await db.query<R>(sql, params);
  return result.rows;
}

// ------------------------------------------------------------------ rows and columns

/** How pg returns the columns PostgreSQL types natively: TIMESTAMPTZ, BOOLEAN, JSONB, text[]. */
interface PostgresColumns {
  time: Date;
  flag: boolean;
  json: unknown;
  tags: string[] | null;
}

const read = rowReader<PostgresColumns>({
  time: (value) => value.toISOString(),
  flag: (value) => value,
  json: (value) => value,
  tags: (value) => value ?? [],
});

/** alerts' types as jsonb_to_recordset reads a batch. */
const ALERT_COLUMN_TYPES: Record<AlertColumn, string> = {
  id: 'text',
  agent_id: 'text',
  severity: 'text',
  title: 'text',
  message: 'text',
  metric_name: 'text',
  threshold: 'float8',
  current_value: 'float8',
  created_at: 'timestamptz',
  resolved_at: 'timestamptz',
  is_active: 'boolean',
  fingerprint: 'text',
  acknowledged_at: 'timestamptz',
  acknowledged_by: 'text',
  ack_comment: 'text',
  updated_at: 'timestamptz',
  last_notified_at: 'timestamptz',
};
const ALERT_RECORDSET = ALERT_COLUMN_NAMES.map((c) => `${c} ${ALERT_COLUMN_TYPES[c]}`).join(', ');

const INSERT_ALERT = `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (${ALERT_COLUMN_NAMES.map((_, i) => `$${i + 1}`).join(', ')})`;

const UPDATE_ALERT = `UPDATE alerts SET ${ALERT_COLUMN_NAMES.slice(1)
  .map((c, i) => `${c} = $${i + 2}`)
  .join(', ')} WHERE id = $1`;

/** A batch of alert updates as one JSON array (by id; every column but id). */
const UPDATE_ALERTS = `
UPDATE alerts a SET ${ALERT_COLUMN_NAMES.slice(1)
  .map((c) => `${c} = u.${c}`)
  .join(', ')}
FROM jsonb_to_recordset($1::jsonb) AS u(${ALERT_RECORDSET})
WHERE a.id = u.id`;

/**
 * A batch of new alerts as one JSON array. An insert whose fingerprint already has an active alert
 * (stored, or earlier in the batch) is skipped: the partial unique index is the arbiter, and a
 * writer racing us on the same fingerprint waits for our commit, then skips. Fingerprint order
 * keeps two such writers from waiting on each other.
 */
const INSERT_ALERTS = `
INSERT INTO alerts (${ALERT_COLUMNS})
SELECT ${ALERT_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS n(${ALERT_RECORDSET})
ORDER BY fingerprint
ON CONFLICT (fingerprint) WHERE is_active DO NOTHING`;

/**
 * The advisory lock key of a tryLock name: per schema, as the migration lock is, so stores sharing
 * a schema share their locks and stores in other schemas (tests, tenants) never meet.
 */
const LOCK_KEY = `hashtextextended('agentmon:lock:' || COALESCE(current_schema(), '') || ':' || $1, 0)`;

/**
 * Events as one JSON array. An event naming an agent that no longer exists is kept with agent_id
 * NULL, as ON DELETE SET NULL would have left it had it been written first; FOR KEY SHARE makes a
 * delete running at the same time finish first (or wait for us) instead of failing the foreign key.
 */
const INSERT_EVENTS = `
INSERT INTO system_events (id, type, agent_id, timestamp, data, severity, message, source)
SELECT e.id, e.type, a.id, e.timestamp, COALESCE(e.data, '{}'), e.severity, e.message, e.source
FROM jsonb_to_recordset($1::jsonb) AS e(id text, type text, agent_id text, timestamp timestamptz, data jsonb,
                                        severity text, message text, source text)
LEFT JOIN LATERAL (SELECT id FROM agents WHERE id = e.agent_id FOR KEY SHARE) a ON true`;

/** How each patchable agents column is bound: its cast and its encoding. status_reason lives in agent_state. */
const PATCH_COLUMNS: ReadonlyArray<[keyof AgentPatch & string, string, (value: unknown) => unknown]> = [
  ['name', '', (v) => v],
  ['version', '', (v) => v],
  ['description', '', (v) => v],
  ['port', '::int', (v) => v],
  ['config', '::jsonb', (v) => JSON.stringify(v)],
  ['tags', '::text[]', (v) => v],
  ['metadata', '::jsonb', (v) => JSON.stringify(v)],
  ['status', '', (v) => v],
];

// ------------------------------------------------------------------ the store

/** MetadataStore on a PostgreSQL pool (the schema is the pool's search_path). */
export class PostgresMetadataStore implements MetadataStore {
  private readonly pool: Pool;
  /** Release functions of the locks held, each on its own client; close() frees them. */
  private readonly held = new Set<() => Promise<void>>();

  constructor(options: PostgresMetadataOptions) {
    this.pool = options.pool;
  }

  async migrate(): Promise<number[]> {
    return applyPostgresMigrations(this.pool, COMPONENT, POSTGRES_METADATA_MIGRATIONS);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Whether the server's autovacuum runs (read once). */
  private autovacuum: Promise<boolean> | null = null;

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
    const tables = ['agents', 'agent_state', 'alerts', 'health_checks', 'monitoring_configs'];
    await this.pool.query(`VACUUM ${tables.join(', ')}`);
    return [`vacuumed ${tables.join(', ')} (autovacuum is off)`];
  }

  /**
   * Frees the locks still held (their clients would keep the pool from ending) and nothing else:
   * the pool belongs to whoever opened it, who ends it after closing every store on it.
   */
  async close(): Promise<void> {
    await Promise.all([...this.held].map((release) => release()));
  }

  // ---------------------------------------------------------------- agents

  async registerAgent(write: RegistrationWrite): Promise<RegistrationResult> {
    const { agent } = write;
    return inTransaction(this.pool, async (client) => {
      // Two first registrations of one id or one identity racing each other must make one agent.
      // Locks are taken id first, identity second, so two registrations cannot wait on each other.
      if (write.idGiven) await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`agentmon:agent-id:${agent.id}`]);
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `agentmon:agent-identity:${JSON.stringify([agent.name, agent.environment, agent.host])}`,
      ]);

      let existingId: string | undefined;
      if (write.idGiven) {
        const byId = await rows(client, 'SELECT 1 FROM agents WHERE id = $1', [agent.id]);
        if (byId.length > 0) existingId = agent.id;
        else {
          const other = await this.findByIdentity(client, agent.name, agent.environment, agent.host);
          if (other !== undefined) return { outcome: 'conflict', existingId: other };
        }
      } else {
        existingId = await this.findByIdentity(client, agent.name, agent.environment, agent.host);
      }

      const id = existingId ?? agent.id;
      const described = [
        id,
        agent.name,
        agent.type,
        agent.version,
        agent.description,
        agent.deployment_type,
        agent.host,
        agent.port,
        agent.environment,
        JSON.stringify(agent.config),
        agent.tags,
        JSON.stringify(agent.metadata),
      ];
      if (existingId !== undefined) {
        await client.query(
          `UPDATE agents SET name = $2, type = $3, version = $4, description = $5, deployment_type = $6, host = $7,
             port = $8, environment = $9, config = $10::jsonb, tags = $11::text[], metadata = $12::jsonb, updated_at = NOW()
           WHERE id = $1`,
          described,
        );
      } else {
        await client.query(
          `INSERT INTO agents (id, name, type, version, description, deployment_type, host, port, environment,
             config, tags, metadata, registered_at, last_seen, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::text[], $12::jsonb, $13, $14, $15)`,
          [...described, toUtcIso(agent.registered_at), toUtcIso(agent.last_seen), agent.status],
        );
      }
      // A known agent keeps its config and state; these only fill in rows that are missing.
      await client.query(
        `INSERT INTO monitoring_configs (agent_id, ${CONFIG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
         ON CONFLICT (agent_id) DO NOTHING`,
        configParams({ ...write.defaultConfig, agent_id: id }),
      );
      await client.query(
        `INSERT INTO agent_state (agent_id, health_score, status_reason, snapshot) VALUES ($1, 0, 'no_data', '{}')
         ON CONFLICT (agent_id) DO NOTHING`,
        [id],
      );
      await client.query(
        `INSERT INTO agent_credentials (agent_id, key_hash) VALUES ($1, $2)
         ON CONFLICT (agent_id) DO UPDATE SET key_hash = EXCLUDED.key_hash, created_at = NOW()`,
        [id, typeof write.keyHash === 'function' ? write.keyHash(id) : write.keyHash],
      );
      await insertEvents(client, [{ ...write.event, agent_id: id }]);

      const stored = await this.getAgentWith(client, id);
      const config = await this.getConfigWith(client, id);
      if (stored === null || config === null) throw new Error(`registration of ${id} did not store the agent`);
      return { outcome: existingId !== undefined ? 'updated' : 'created', agent: stored, config };
    });
  }

  /** The oldest agent with this identity (ids are not unique per identity once an agent is renamed). */
  async findAgentId(name: string, environment: string, host: string): Promise<string | null> {
    return (await this.findByIdentity(this.pool, name, environment, host)) ?? null;
  }

  private async findByIdentity(db: Queryable, name: string, environment: string, host: string): Promise<string | undefined> {
    const found = await rows<{ id: string }>(
      db,
      'SELECT id FROM agents WHERE name = $1 AND environment = $2 AND host = $3 ORDER BY registered_at, id LIMIT 1',
      [name, environment, host],
    );
    return found[0]?.id;
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    return this.getAgentWith(this.pool, id);
  }

  private async getAgentWith(db: Queryable, id: string): Promise<AgentRecord | null> {
    const [row] = await rows<AgentRow<PostgresColumns>>(db, `${SELECT_AGENT} WHERE a.id = $1`, [id]);
    return row === undefined ? null : read.agent(row);
  }

  async countAgents(): Promise<AgentCounts> {
    const result = await this.pool.query<{ dim: string; key: string; n: number }>(
      `SELECT 'status' AS dim, status AS key, COUNT(*)::int AS n FROM agents GROUP BY status
       UNION ALL SELECT 'type', type, COUNT(*)::int FROM agents GROUP BY type
       UNION ALL SELECT 'environment', environment, COUNT(*)::int FROM agents GROUP BY environment`,
    );
    return countsFromRows(result.rows);
  }

  async listAgents(filter: AgentFilter): Promise<{ items: AgentListRow[]; total: number }> {
    const params: unknown[] = [];
    const bind = bindTo(params);
    const clause = whereClause(
      agentConditions(filter, bind, {
        hasTag: (tag) => `${tag} = ANY(a.tags)`,
        nameLike: (pattern) => `a.name ILIKE ${pattern} ESCAPE '\\'`,
      }),
    );
    const order = agentOrder(filter);
    const filterParams = [...params];
    const page = `LIMIT ${bind(filter.limit)} OFFSET ${bind(filter.offset)}`;

    const [items, count] = await Promise.all([
      rows<AgentRow<PostgresColumns>>(this.pool, `${SELECT_AGENT} ${clause} ORDER BY ${order} ${page}`, params),
      rows<{ n: number }>(this.pool, `SELECT COUNT(*)::int AS n FROM agents a ${clause}`, filterParams),
    ]);
    return { items: items.map(read.listRow), total: count[0]?.n ?? 0 };
  }

  async updateAgent(id: string, patch: AgentPatch, events: SystemEvent[]): Promise<AgentRecord | null> {
    const params: unknown[] = [id];
    const sets: string[] = [];
    for (const [column, cast, encode] of PATCH_COLUMNS) {
      const value = patch[column];
      if (value === undefined) continue;
      sets.push(`${column} = $${params.push(encode(value))}${cast}`);
    }
    sets.push('updated_at = NOW()');

    return inTransaction(this.pool, async (client) => {
      const result = await client.query(`UPDATE agents SET ${sets.join(', ')} WHERE id = $1`, params);
      if (result.rowCount === 0) return null;
      if (patch.status_reason !== undefined) {
        await client.query(
          `INSERT INTO agent_state (agent_id, status_reason) VALUES ($1, $2)
           ON CONFLICT (agent_id) DO UPDATE SET status_reason = EXCLUDED.status_reason`,
          [id, patch.status_reason],
        );
      }
      await insertEvents(client, events);
      return this.getAgentWith(client, id);
    });
  }

  async deleteAgent(id: string, event: SystemEvent): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const result = await client.query('DELETE FROM agents WHERE id = $1', [id]);
      if (result.rowCount === 0) return false;
      // The agent is gone, so its event cannot reference it (ON DELETE SET NULL would null it anyway).
      await insertEvents(client, [{ ...event, agent_id: null }]);
      return true;
    });
  }

  // ---------------------------------------------------------------- ingest

  async getIngestContexts(ids: readonly string[]): Promise<Map<string, IngestContext>> {
    const contexts = new Map<string, IngestContext>();
    if (ids.length === 0) return contexts;
    const found = await rows<IngestRow<PostgresColumns>>(this.pool, `${SELECT_INGEST} WHERE a.id = ANY($1::text[])`, [[...ids]]);
    for (const row of found) contexts.set(row.id, read.ingest(row));
    return contexts;
  }

  async listIngestContexts(): Promise<IngestContext[]> {
    const found = await rows<IngestRow<PostgresColumns>>(this.pool, `${SELECT_INGEST} ORDER BY a.id`);
    return found.map(read.ingest);
  }

  async applyStates(writes: readonly AgentStateWrite[], events: readonly SystemEvent[], alerts?: AlertWrites): Promise<void> {
    const merged = mergeStateWrites(writes);
    const updates = lastById(alerts?.update ?? []);
    const inserts = alerts?.insert ?? [];
    // Every agent the batch names (states, alerts, events): its row locks come first, in id order, so
    // two batches touching the same agents cannot deadlock, the later key locks being ours already.
    const touched = new Set<string>([...merged, ...updates, ...inserts].map((x) => x.agent_id));
    for (const e of events) if (e.agent_id !== null) touched.add(e.agent_id);
    await inTransaction(this.pool, async (client) => {
      if (touched.size === 0) {
        await insertEvents(client, events);
        return;
      }
      // An agent deleted meanwhile is absent here and skipped: its state and alerts have nowhere to go.
      const locked = await rows<{ id: string }>(client, 'SELECT id FROM agents WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [
        [...touched],
      ]);
      const present = new Set(locked.map((r) => r.id));
      const states = merged.filter((w) => present.has(w.agent_id));
      if (states.length > 0) {
        const batch = JSON.stringify(
          states.map((w) => ({
            agent_id: w.agent_id,
            last_seen: w.last_seen === undefined ? null : toUtcIso(w.last_seen),
            status: w.status ?? null,
          })),
        );
        // GREATEST ignores NULL: a write without last_seen keeps the stored one.
        await client.query(
          `UPDATE agents a SET last_seen = GREATEST(a.last_seen, w.last_seen), status = COALESCE(w.status, a.status)
           FROM jsonb_to_recordset($1::jsonb) AS w(agent_id text, last_seen timestamptz, status text)
           WHERE a.id = w.agent_id`,
          [batch],
        );
      }
      const withState = states.filter((w): w is AgentStateWrite & { state: AgentState } => w.state !== undefined);
      if (withState.length > 0) {
        const batch = JSON.stringify(
          withState.map((w) => ({
            agent_id: w.agent_id,
            health_score: w.state.health_score,
            status_reason: w.state.status_reason,
            last_metrics_at: isoOrNull(w.state.last_metrics_at),
            last_heartbeat_at: isoOrNull(w.state.last_heartbeat_at),
            last_health_at: isoOrNull(w.state.last_health_at),
            snapshot: w.state.snapshot,
          })),
        );
        await client.query(
          `INSERT INTO agent_state (agent_id, health_score, status_reason, last_metrics_at, last_heartbeat_at, last_health_at, snapshot)
           SELECT w.agent_id, w.health_score, w.status_reason, w.last_metrics_at, w.last_heartbeat_at, w.last_health_at,
                  COALESCE(w.snapshot, '{}')
           FROM jsonb_to_recordset($1::jsonb) AS w(agent_id text, health_score float8, status_reason text,
                  last_metrics_at timestamptz, last_heartbeat_at timestamptz, last_health_at timestamptz, snapshot jsonb)
           ON CONFLICT (agent_id) DO UPDATE SET
             health_score = EXCLUDED.health_score, status_reason = EXCLUDED.status_reason,
             last_metrics_at = EXCLUDED.last_metrics_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at,
             last_health_at = EXCLUDED.last_health_at, snapshot = EXCLUDED.snapshot`,
          [batch],
        );
      }
      // Updates first, so an alert resolved and its successor fired in one batch both land.
      const updated = updates.filter((a) => present.has(a.agent_id));
      if (updated.length > 0) await client.query(UPDATE_ALERTS, [alertBatch(updated)]);
      const inserted = inserts.filter((a) => present.has(a.agent_id));
      if (inserted.length > 0) await client.query(INSERT_ALERTS, [alertBatch(inserted)]);
      await insertEvents(client, events);
    });
  }

  // ---------------------------------------------------------------- config and health checks

  async getConfig(agentId: string): Promise<MonitoringConfig | null> {
    return this.getConfigWith(this.pool, agentId);
  }

  private async getConfigWith(db: Queryable, agentId: string): Promise<MonitoringConfig | null> {
    const [row] = await rows<ConfigRow<PostgresColumns>>(db, `SELECT agent_id, ${CONFIG_COLUMNS} FROM monitoring_configs WHERE agent_id = $1`, [
      agentId,
    ]);
    return row === undefined ? null : read.config(row);
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
    const found = await rows<HealthCheckRow<PostgresColumns>>(this.pool, `${SELECT_HEALTH_CHECK} WHERE agent_id = $1 ORDER BY name`, [
      agentId,
    ]);
    return found.map(read.healthCheck);
  }

  // ---------------------------------------------------------------- alerts

  async insertAlert(alert: AlertRecord): Promise<void> {
    await this.pool.query(INSERT_ALERT, alertParams(alert));
  }

  async updateAlert(alert: AlertRecord): Promise<void> {
    await this.pool.query(UPDATE_ALERT, alertParams(alert));
  }

  async getAlert(id: string): Promise<AlertRecord | null> {
    const [row] = await rows<AlertRow<PostgresColumns>>(this.pool, `${SELECT_ALERT} WHERE id = $1`, [id]);
    return row === undefined ? null : read.alert(row);
  }

  async listAlerts(filter: AlertFilter): Promise<{ items: AlertRecord[]; total: number }> {
    const params: unknown[] = [];
    const bind = bindTo(params);
    const clause = whereClause(alertConditions(filter, bind, (value) => value));
    const filterParams = [...params];
    const page = `LIMIT ${bind(filter.limit)} OFFSET ${bind(filter.offset)}`;

    const [items, count] = await Promise.all([
      rows<AlertRow<PostgresColumns>>(this.pool, `${SELECT_ALERT} ${clause} ORDER BY ${alertOrder(filter)} ${page}`, params),
      rows<{ n: number }>(this.pool, `SELECT COUNT(*)::int AS n FROM alerts ${clause}`, filterParams),
    ]);
    return { items: items.map(read.alert), total: count[0]?.n ?? 0 };
  }

  async getActiveAlerts(agentIds: readonly string[] | null): Promise<AlertRecord[]> {
    if (agentIds !== null && agentIds.length === 0) return [];
    const found =
      agentIds === null
        ? await rows<AlertRow<PostgresColumns>>(this.pool, `${SELECT_ALERT} WHERE is_active ORDER BY agent_id, created_at, id`)
        : await rows<AlertRow<PostgresColumns>>(
            this.pool,
            `${SELECT_ALERT} WHERE is_active AND agent_id = ANY($1::text[]) ORDER BY agent_id, created_at, id`,
            [[...agentIds]],
          );
    return found.map(read.alert);
  }

  async deleteResolvedAlertsBefore(agentId: string, beforeIso: string, limit: number): Promise<number> {
    if (limit < 1) return 0;
    const result = await this.pool.query(
      `DELETE FROM alerts WHERE id IN (
         SELECT id FROM alerts WHERE agent_id = $1 AND is_active = false AND created_at < $2 ORDER BY created_at LIMIT $3)`,
      [agentId, toUtcIso(beforeIso), Math.floor(limit)],
    );
    return result.rowCount ?? 0;
  }

  async deleteEventsBefore(agentId: string | null, beforeIso: string, limit: number): Promise<number> {
    if (limit < 1) return 0;
    // Two statements rather than IS NOT DISTINCT FROM, which no index serves.
    const which = agentId === null ? 'agent_id IS NULL' : 'agent_id = $3';
    const result = await this.pool.query(
      `DELETE FROM system_events WHERE id IN (
         SELECT id FROM system_events WHERE ${which} AND timestamp < $1 ORDER BY timestamp LIMIT $2)`,
      agentId === null ? [toUtcIso(beforeIso), Math.floor(limit)] : [toUtcIso(beforeIso), Math.floor(limit), agentId],
    );
    return result.rowCount ?? 0;
  }

  // ---------------------------------------------------------------- notification targets

  async listNotificationTargets(): Promise<NotificationTarget[]> {
    const found = await rows<NotificationTargetRow<PostgresColumns>>(this.pool, `${SELECT_TARGET} ORDER BY created_at, id`);
    return found.map(read.target);
  }

  async getNotificationTarget(id: string): Promise<NotificationTarget | null> {
    const [row] = await rows<NotificationTargetRow<PostgresColumns>>(this.pool, `${SELECT_TARGET} WHERE id = $1`, [id]);
    return row === undefined ? null : read.target(row);
  }

  async insertNotificationTarget(target: NotificationTarget): Promise<void> {
    await this.pool.query(
      'INSERT INTO notification_targets (id, name, kind, url, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [target.id, target.name, target.kind, target.url, target.enabled, toUtcIso(target.created_at)],
    );
  }

  async deleteNotificationTarget(id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM notification_targets WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }

  // ---------------------------------------------------------------- locks

  /** A session advisory lock on a client of its own, kept out of the pool until released. */
  async tryLock(name: string): Promise<(() => Promise<void>) | null> {
    // The lock lives as long as this client's session; if the connection dies the lock is gone,
    // and the release below finds the client broken and destroys it.
    const out = await checkout(this.pool);
    const { client } = out;
    let taken: boolean;
    try {
      const [row] = await rows<{ taken: boolean }>(client, `SELECT pg_try_advisory_lock(${LOCK_KEY}) AS taken`, [name]);
      taken = row?.taken === true;
    } catch (err) {
      out.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    if (!taken) {
      out.release();
      return null;
    }
    let released: Promise<void> | undefined;
    const release = (): Promise<void> => {
      // Twice is once: the client goes back to the pool a single time.
      released ??= (async () => {
        this.held.delete(release);
        if (out.broken()) {
          // The session died, and its locks with it: nothing to unlock.
          out.release();
          return;
        }
        try {
          await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [name]);
          out.release();
        } catch (err) {
          // A connection that cannot unlock is closed instead, which frees its session locks too.
          out.release(err instanceof Error ? err : new Error(String(err)));
          throw err;
        }
      })();
      return released;
    };
    this.held.add(release);
    return release;
  }

  // ---------------------------------------------------------------- events

  async insertEvents(events: readonly SystemEvent[]): Promise<void> {
    await insertEvents(this.pool, events);
  }

  async listEvents(filter: EventFilter): Promise<SystemEvent[]> {
    const params: unknown[] = [];
    const bind = bindTo(params);
    const clause = whereClause(eventConditions(filter, bind));
    const found = await rows<EventRow<PostgresColumns>>(
      this.pool,
      `${SELECT_EVENT} ${clause} ORDER BY timestamp DESC, id DESC LIMIT ${bind(filter.limit)}`,
      params,
    );
    return found.map(read.event);
  }

  // ---------------------------------------------------------------- settings

  async getSetting<T>(key: string): Promise<T | null> {
    const [row] = await rows<{ value: unknown }>(this.pool, 'SELECT value FROM settings WHERE key = $1', [key]);
    return row === undefined ? null : (row.value as T);
  }

  async putSetting(key: string, value: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO settings (key, value) VALUES ($1, $2::jsonb)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = NOW()`,
      [key, JSON.stringify(value ?? null)],
    );
  }
}

// ------------------------------------------------------------------ writing

/** One statement for any number of events (see INSERT_EVENTS). */
async function insertEvents(db: Queryable, events: readonly SystemEvent[]): Promise<void> {
  if (events.length === 0) return;
  const batch = events.map((e) => ({
    id: e.id,
    type: e.type,
    agent_id: e.agent_id,
    timestamp: toUtcIso(e.timestamp),
    data: e.data,
    severity: e.severity,
    message: e.message,
    source: e.source,
  }));
  await db.query(INSERT_EVENTS, [JSON.stringify(batch)]);
}

/**
 * One write per agent, as applying them in order would leave it: the latest last_seen, the last
 * status given, the last state. One statement cannot update a row twice.
 */
function mergeStateWrites(writes: readonly AgentStateWrite[]): AgentStateWrite[] {
  const byAgent = new Map<string, AgentStateWrite>();
  for (const w of writes) {
    const before = byAgent.get(w.agent_id);
    if (before === undefined) {
      byAgent.set(w.agent_id, w);
      continue;
    }
    const lastSeen = [before.last_seen, w.last_seen]
      .filter((t): t is string => t !== undefined)
      .map(toUtcIso)
      .sort()
      .pop();
    const status = w.status ?? before.status;
    const state = w.state ?? before.state;
    byAgent.set(w.agent_id, {
      agent_id: w.agent_id,
      ...(state !== undefined ? { state } : {}),
      ...(lastSeen !== undefined ? { last_seen: lastSeen } : {}),
      ...(status !== undefined ? { status } : {}),
    });
  }
  return [...byAgent.values()];
}

/** Parameters $1..$8 in CONFIG_COLUMNS order, after agent_id. */
function configParams(config: MonitoringConfig): unknown[] {
  const values = configValues(config, (value) => value);
  return [config.agent_id, ...CONFIG_COLUMN_NAMES.map((c) => values[c])];
}

/** Parameters $1..$17 in ALERT_COLUMN_NAMES order. */
function alertParams(alert: AlertRecord): unknown[] {
  const values = alertValues(alert, (value) => value);
  return ALERT_COLUMN_NAMES.map((c) => values[c]);
}

/** Binds `$n` parameters: pushes each value onto `params`. */
function bindTo(params: unknown[]): Bind {
  return (value) => `$${params.push(value)}`;
}

/** Alerts as one JSON array for jsonb_to_recordset (ALERT_RECORDSET). */
function alertBatch(alerts: readonly AlertRecord[]): string {
  return JSON.stringify(alerts.map((alert) => alertValues(alert, (value) => value)));
}

/** The last of each id, in id order: one statement cannot update a row twice, and order keeps row locks from crossing. */
function lastById(alerts: readonly AlertRecord[]): AlertRecord[] {
  const byId = new Map(alerts.map((a) => [a.id, a]));
  return [...byId.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}
