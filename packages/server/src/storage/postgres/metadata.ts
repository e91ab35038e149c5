/**
 * PostgreSQL adapter of the MetadataStore port, on the seed's DDL plus agentmon's own tables.
 * Timestamps leave as `Date` (pg's default for TIMESTAMPTZ) and cross the port as ISO strings;
 * batches go in as one JSON parameter expanded by jsonb_to_recordset, one statement per table.
 */
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { toUtcIso } from '@agentmon/schema';
import type {
  AgentSortKey,
  AgentStatus,
  AgentType,
  AlertSeverity,
  DeploymentType,
  EventSeverity,
  EventType,
  HealthCheck,
  MonitoringConfig,
  SystemEvent,
} from '@agentmon/schema';
import type {
  AgentCounts,
  AgentFilter,
  AgentListRow,
  AgentPatch,
  AgentRecord,
  AgentState,
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
import { inTransaction } from './pool.js';
import { configDocuments, configFromColumns } from '../monitoring-config.js';
import { countsFromRows } from '../agent-counts.js';
import { POSTGRES_METADATA_MIGRATIONS, POSTGRES_MIGRATION_LOCK, POSTGRES_MIGRATIONS_TABLE } from './metadata-migrations.js';

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

interface StateColumns {
  has_state: boolean;
  health_score: number | null;
  status_reason: string | null;
  last_metrics_at: Date | null;
  last_heartbeat_at: Date | null;
  last_health_at: Date | null;
  snapshot: unknown;
}

interface ConfigColumns {
  metrics_interval_seconds: number | null;
  health_check_interval_seconds: number | null;
  enable_resource_monitoring: boolean | null;
  enable_performance_monitoring: boolean | null;
  enable_ai_monitoring: boolean | null;
  thresholds: unknown;
  retention_settings: unknown;
}

interface AgentRow extends StateColumns {
  id: string;
  name: string;
  type: AgentType;
  version: string;
  description: string | null;
  deployment_type: DeploymentType;
  host: string;
  port: number | null;
  environment: string;
  config: unknown;
  tags: string[] | null;
  registered_at: Date | null;
  last_seen: Date | null;
  status: AgentStatus | null;
  metadata: unknown;
}

interface IngestRow extends StateColumns, ConfigColumns {
  id: string;
  name: string;
  key_hash: string | null;
  environment: string;
  deployment_type: DeploymentType;
  status: AgentStatus | null;
}

interface ConfigRow extends ConfigColumns {
  agent_id: string;
}

interface HealthCheckRow {
  name: string;
  status: boolean;
  message: string | null;
  timestamp: Date;
  execution_time_ms: number;
}

interface AlertRow {
  id: string;
  agent_id: string | null;
  severity: AlertSeverity;
  title: string;
  message: string;
  metric_name: string | null;
  threshold: number | null;
  current_value: number | null;
  created_at: Date | null;
  resolved_at: Date | null;
  is_active: boolean | null;
  fingerprint: string;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  ack_comment: string | null;
  updated_at: Date;
  last_notified_at: Date | null;
}

interface NotificationTargetRow {
  id: string;
  name: string;
  kind: NotificationTarget['kind'];
  url: string;
  enabled: boolean;
  created_at: Date;
}

interface EventRow {
  id: string;
  type: EventType;
  agent_id: string | null;
  timestamp: Date | null;
  data: unknown;
  severity: EventSeverity | null;
  message: string;
  source: string | null;
}

/** agent_state through `LEFT JOIN agent_state s`; has_state tells a missing row from a NULL column. */
const STATE_COLUMNS = `s.agent_id IS NOT NULL AS has_state, s.health_score, s.status_reason,
  s.last_metrics_at, s.last_heartbeat_at, s.last_health_at, s.snapshot`;

/** monitoring_configs' settable columns; their names are unique among the tables joined with it. */
const CONFIG_COLUMNS = `metrics_interval_seconds, health_check_interval_seconds, enable_resource_monitoring,
  enable_performance_monitoring, enable_ai_monitoring, thresholds, retention_settings`;

const SELECT_AGENT = `
SELECT a.id, a.name, a.type, a.version, a.description, a.deployment_type, a.host, a.port, a.environment,
       a.config, a.tags, a.registered_at, a.last_seen, a.status, a.metadata, ${STATE_COLUMNS}
FROM agents a LEFT JOIN agent_state s ON s.agent_id = a.id`;

const SELECT_INGEST = `
SELECT a.id, a.name, k.key_hash, a.environment, a.deployment_type, a.status, ${CONFIG_COLUMNS}, ${STATE_COLUMNS}
FROM agents a
LEFT JOIN agent_credentials k ON k.agent_id = a.id
LEFT JOIN monitoring_configs c ON c.agent_id = a.id
LEFT JOIN agent_state s ON s.agent_id = a.id`;

/** alerts' columns in alertParams order, and their types as jsonb_to_recordset reads a batch. */
const ALERT_COLUMN_TYPES = [
  ['id', 'text'],
  ['agent_id', 'text'],
  ['severity', 'text'],
  ['title', 'text'],
  ['message', 'text'],
  ['metric_name', 'text'],
  ['threshold', 'float8'],
  ['current_value', 'float8'],
  ['created_at', 'timestamptz'],
  ['resolved_at', 'timestamptz'],
  ['is_active', 'boolean'],
  ['fingerprint', 'text'],
  ['acknowledged_at', 'timestamptz'],
  ['acknowledged_by', 'text'],
  ['ack_comment', 'text'],
  ['updated_at', 'timestamptz'],
  ['last_notified_at', 'timestamptz'],
] as const;
const ALERT_COLUMNS = ALERT_COLUMN_TYPES.map(([c]) => c).join(', ');
const ALERT_RECORDSET = ALERT_COLUMN_TYPES.map(([c, type]) => `${c} ${type}`).join(', ');

const SELECT_ALERT = `SELECT ${ALERT_COLUMNS} FROM alerts`;

const INSERT_ALERT = `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (${ALERT_COLUMN_TYPES.map((_, i) => `$${i + 1}`).join(', ')})`;

const UPDATE_ALERT = `UPDATE alerts SET ${ALERT_COLUMN_TYPES.slice(1)
  .map(([c], i) => `${c} = $${i + 2}`)
  .join(', ')} WHERE id = $1`;

/** A batch of alert updates as one JSON array (by id; every column but id). */
const UPDATE_ALERTS = `
UPDATE alerts a SET ${ALERT_COLUMN_TYPES.slice(1)
  .map(([c]) => `${c} = u.${c}`)
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

const SELECT_TARGET = 'SELECT id, name, kind, url, enabled, created_at FROM notification_targets';

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

const SORT_COLUMNS: Record<AgentSortKey, string> = {
  name: 'a.name',
  last_seen: 'a.last_seen',
  status: 'a.status',
  health_score: 'COALESCE(s.health_score, 0)',
  registered_at: 'a.registered_at',
  environment: 'a.environment',
  type: 'a.type',
};

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

// The seed's DDL lets these columns be NULL; agentmon always writes them, so NULL only comes
// from rows written by other tools, and reads fall back to the seed's model defaults.
const EPOCH = new Date(0);

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
    return inTransaction(this.pool, async (client) => {
      await client.query(POSTGRES_MIGRATION_LOCK);
      await client.query(POSTGRES_MIGRATIONS_TABLE);
      const done = await rows<{ version: number }>(client, 'SELECT version FROM agentmon_migrations WHERE component = $1', [
        COMPONENT,
      ]);
      const doneVersions = new Set(done.map((r) => r.version));
      const applied: number[] = [];
      for (const migration of POSTGRES_METADATA_MIGRATIONS) {
        if (doneVersions.has(migration.version)) continue;
        await client.query(migration.up);
        await client.query('INSERT INTO agentmon_migrations (component, version, name) VALUES ($1, $2, $3)', [
          COMPONENT,
          migration.version,
          migration.name,
        ]);
        applied.push(migration.version);
      }
      return applied;
    });
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
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
    const [row] = await rows<AgentRow>(db, `${SELECT_AGENT} WHERE a.id = $1`, [id]);
    return row === undefined ? null : agentFromRow(row);
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
    const where: string[] = [];
    const params: unknown[] = [];
    const bind = (value: unknown): string => `$${params.push(value)}`;
    if (filter.status !== undefined) where.push(`a.status = ${bind(filter.status)}`);
    if (filter.type !== undefined) where.push(`a.type = ${bind(filter.type)}`);
    if (filter.environment !== undefined) where.push(`a.environment = ${bind(filter.environment)}`);
    if (filter.tag !== undefined) where.push(`${bind(filter.tag)} = ANY(a.tags)`);
    if (filter.q !== undefined && filter.q !== '') where.push(`a.name ILIKE ${bind(`%${escapeLike(filter.q)}%`)} ESCAPE '\\'`);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const direction = filter.descending === true ? 'DESC' : 'ASC';
    const order = `${SORT_COLUMNS[filter.sort ?? 'name']} ${direction}, a.id ${direction}`;
    const filterParams = [...params];
    const page = `LIMIT ${bind(filter.limit)} OFFSET ${bind(filter.offset)}`;

    const [items, count] = await Promise.all([
      rows<AgentRow>(this.pool, `${SELECT_AGENT} ${clause} ORDER BY ${order} ${page}`, params),
      rows<{ n: number }>(this.pool, `SELECT COUNT(*)::int AS n FROM agents a ${clause}`, filterParams),
    ]);
    return { items: items.map(listRowFromRow), total: count[0]?.n ?? 0 };
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
    const found = await rows<IngestRow>(this.pool, `${SELECT_INGEST} WHERE a.id = ANY($1::text[])`, [[...ids]]);
    for (const row of found) contexts.set(row.id, ingestFromRow(row));
    return contexts;
  }

  async listIngestContexts(): Promise<IngestContext[]> {
    const found = await rows<IngestRow>(this.pool, `${SELECT_INGEST} ORDER BY a.id`);
    return found.map(ingestFromRow);
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
            health_score: w.state.health_score,
            status_reason: w.state.status_reason,
            last_metrics_at: isoOrNull(w.state.last_metrics_at),
            last_heartbeat_at: isoOrNull(w.state.last_heartbeat_at),
            last_health_at: isoOrNull(w.state.last_health_at),
            snapshot: w.state.snapshot,
          })),
        );
        // GREATEST ignores NULL: a write without last_seen keeps the stored one.
        await client.query(
          `UPDATE agents a SET last_seen = GREATEST(a.last_seen, w.last_seen), status = COALESCE(w.status, a.status)
           FROM jsonb_to_recordset($1::jsonb) AS w(agent_id text, last_seen timestamptz, status text)
           WHERE a.id = w.agent_id`,
          [batch],
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
    const [row] = await rows<ConfigRow>(db, `SELECT agent_id, ${CONFIG_COLUMNS} FROM monitoring_configs WHERE agent_id = $1`, [
      agentId,
    ]);
    return row === undefined ? null : configFromRow(row.agent_id, row);
  }

  async putConfig(config: MonitoringConfig): Promise<MonitoringConfig | null> {
    // INSERT ... SELECT resolves parameter types from the SELECT, hence the casts.
    const [row] = await rows<ConfigRow>(
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
    return row === undefined ? null : configFromRow(row.agent_id, row);
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
    const found = await rows<HealthCheckRow>(
      this.pool,
      'SELECT name, status, message, timestamp, execution_time_ms FROM health_checks WHERE agent_id = $1 ORDER BY name',
      [agentId],
    );
    return found.map((r) => ({
      name: r.name,
      status: r.status,
      message: r.message,
      timestamp: r.timestamp.toISOString(),
      execution_time_ms: r.execution_time_ms,
    }));
  }

  // ---------------------------------------------------------------- alerts

  async insertAlert(alert: AlertRecord): Promise<void> {
    await this.pool.query(INSERT_ALERT, alertParams(alert));
  }

  async updateAlert(alert: AlertRecord): Promise<void> {
    await this.pool.query(UPDATE_ALERT, alertParams(alert));
  }

  async getAlert(id: string): Promise<AlertRecord | null> {
    const [row] = await rows<AlertRow>(this.pool, `${SELECT_ALERT} WHERE id = $1`, [id]);
    return row === undefined ? null : alertFromRow(row);
  }

  async listAlerts(filter: AlertFilter): Promise<{ items: AlertRecord[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const bind = (value: unknown): string => `$${params.push(value)}`;
    if (filter.agent_id !== undefined) where.push(`agent_id = ${bind(filter.agent_id)}`);
    if (filter.active !== undefined) where.push(`is_active = ${bind(filter.active)}`);
    if (filter.severity !== undefined) where.push(`severity = ${bind(filter.severity)}`);
    if (filter.since !== undefined) where.push(`created_at >= ${bind(toUtcIso(filter.since))}`);
    if (filter.until !== undefined) where.push(`created_at < ${bind(toUtcIso(filter.until))}`);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const filterParams = [...params];
    const page = `LIMIT ${bind(filter.limit)} OFFSET ${bind(filter.offset)}`;

    const [items, count] = await Promise.all([
      rows<AlertRow>(this.pool, `${SELECT_ALERT} ${clause} ORDER BY created_at DESC, id DESC ${page}`, params),
      rows<{ n: number }>(this.pool, `SELECT COUNT(*)::int AS n FROM alerts ${clause}`, filterParams),
    ]);
    return { items: items.map(alertFromRow), total: count[0]?.n ?? 0 };
  }

  async getActiveAlerts(agentIds: readonly string[] | null): Promise<AlertRecord[]> {
    if (agentIds !== null && agentIds.length === 0) return [];
    const found =
      agentIds === null
        ? await rows<AlertRow>(this.pool, `${SELECT_ALERT} WHERE is_active ORDER BY agent_id, created_at, id`)
        : await rows<AlertRow>(
            this.pool,
            `${SELECT_ALERT} WHERE is_active AND agent_id = ANY($1::text[]) ORDER BY agent_id, created_at, id`,
            [[...agentIds]],
          );
    return found.map(alertFromRow);
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
    const found = await rows<NotificationTargetRow>(this.pool, `${SELECT_TARGET} ORDER BY created_at, id`);
    return found.map(targetFromRow);
  }

  async getNotificationTarget(id: string): Promise<NotificationTarget | null> {
    const [row] = await rows<NotificationTargetRow>(this.pool, `${SELECT_TARGET} WHERE id = $1`, [id]);
    return row === undefined ? null : targetFromRow(row);
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
    const client = await this.pool.connect();
    let taken: boolean;
    try {
      const [row] = await rows<{ taken: boolean }>(client, `SELECT pg_try_advisory_lock(${LOCK_KEY}) AS taken`, [name]);
      taken = row?.taken === true;
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw err;
    }
    if (!taken) {
      client.release();
      return null;
    }
    let released: Promise<void> | undefined;
    const release = (): Promise<void> => {
      // Twice is once: the client goes back to the pool a single time.
      released ??= (async () => {
        this.held.delete(release);
        try {
          await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [name]);
          client.release();
        } catch (err) {
          // A connection that cannot unlock is closed instead, which frees its session locks too.
          client.release(err instanceof Error ? err : true);
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
    const where: string[] = [];
    const params: unknown[] = [];
    const bind = (value: unknown): string => `$${params.push(value)}`;
    if (filter.type !== undefined) where.push(`type = ${bind(filter.type)}`);
    if (filter.agent_id !== undefined) where.push(`agent_id = ${bind(filter.agent_id)}`);
    if (filter.severity !== undefined) where.push(`severity = ${bind(filter.severity)}`);
    if (filter.since !== undefined) where.push(`timestamp >= ${bind(toUtcIso(filter.since))}`);
    if (filter.until !== undefined) where.push(`timestamp < ${bind(toUtcIso(filter.until))}`);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const found = await rows<EventRow>(
      this.pool,
      `SELECT id, type, agent_id, timestamp, data, severity, message, source FROM system_events ${clause}
       ORDER BY timestamp DESC, id DESC LIMIT ${bind(filter.limit)}`,
      params,
    );
    return found.map((r) => ({
      id: r.id,
      type: r.type,
      agent_id: r.agent_id,
      timestamp: iso(r.timestamp),
      data: asRecord(r.data),
      severity: r.severity ?? 'info',
      message: r.message,
      source: r.source ?? 'monitor_system',
    }));
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
    byAgent.set(w.agent_id, {
      agent_id: w.agent_id,
      state: w.state,
      ...(lastSeen !== undefined ? { last_seen: lastSeen } : {}),
      ...(status !== undefined ? { status } : {}),
    });
  }
  return [...byAgent.values()];
}

function isoOrNull(value: string | null): string | null {
  return value === null ? null : toUtcIso(value);
}

/** `%`, `_` and the escape character itself match literally. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Parameters $1..$8 in CONFIG_COLUMNS order, after agent_id. */
function configParams(config: MonitoringConfig): unknown[] {
  const documents = configDocuments(config);
  return [
    config.agent_id,
    config.metrics_interval_seconds,
    config.health_check_interval_seconds,
    config.enable_resource_monitoring,
    config.enable_performance_monitoring,
    config.enable_ai_monitoring,
    JSON.stringify(documents.thresholds),
    JSON.stringify(documents.retention_settings),
  ];
}

/** Parameters $1..$17 in ALERT_COLUMN_TYPES order. */
function alertParams(alert: AlertRecord): unknown[] {
  return [
    alert.id,
    alert.agent_id,
    alert.severity,
    alert.title,
    alert.message,
    alert.metric_name,
    alert.threshold,
    alert.current_value,
    toUtcIso(alert.created_at),
    isoOrNull(alert.resolved_at),
    alert.is_active,
    alert.fingerprint,
    isoOrNull(alert.acknowledged_at),
    alert.acknowledged_by,
    alert.ack_comment,
    toUtcIso(alert.updated_at),
    isoOrNull(alert.last_notified_at),
  ];
}

/** Alerts as one JSON array for jsonb_to_recordset (ALERT_RECORDSET). */
function alertBatch(alerts: readonly AlertRecord[]): string {
  return JSON.stringify(
    alerts.map((alert) => {
      const params = alertParams(alert);
      return Object.fromEntries(ALERT_COLUMN_TYPES.map(([column], i) => [column, params[i]]));
    }),
  );
}

/** The last of each id, in id order: one statement cannot update a row twice, and order keeps row locks from crossing. */
function lastById(alerts: readonly AlertRecord[]): AlertRecord[] {
  const byId = new Map(alerts.map((a) => [a.id, a]));
  return [...byId.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

// ------------------------------------------------------------------ reading

function iso(value: Date | null): string {
  return (value ?? EPOCH).toISOString();
}

function isoOrNullFromDate(value: Date | null): string | null {
  return value === null ? null : value.toISOString();
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}



function stateFromRow(r: StateColumns): AgentState {
  if (!r.has_state) {
    return { health_score: 0, status_reason: 'no_data', last_metrics_at: null, last_heartbeat_at: null, last_health_at: null, snapshot: {} };
  }
  return {
    health_score: r.health_score ?? 0,
    status_reason: r.status_reason,
    last_metrics_at: isoOrNullFromDate(r.last_metrics_at),
    last_heartbeat_at: isoOrNullFromDate(r.last_heartbeat_at),
    last_health_at: isoOrNullFromDate(r.last_health_at),
    snapshot: asRecord(r.snapshot),
  };
}

function configFromRow(agentId: string, r: ConfigColumns): MonitoringConfig {
  return configFromColumns(agentId, r, r.thresholds, r.retention_settings);
}

function agentFromRow(r: AgentRow): AgentRecord {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    version: r.version,
    description: r.description,
    deployment_type: r.deployment_type,
    host: r.host,
    port: r.port,
    environment: r.environment,
    config: asRecord(r.config),
    tags: r.tags ?? [],
    registered_at: iso(r.registered_at),
    last_seen: iso(r.last_seen),
    status: r.status ?? 'unknown',
    metadata: asRecord(r.metadata),
    state: stateFromRow(r),
  };
}

function listRowFromRow(r: AgentRow): AgentListRow {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    status: r.status ?? 'unknown',
    last_seen: iso(r.last_seen),
    environment: r.environment,
    health_score: r.has_state ? (r.health_score ?? 0) : 0,
    host: r.host,
    version: r.version,
    deployment_type: r.deployment_type,
    tags: r.tags ?? [],
    status_reason: r.has_state ? r.status_reason : 'no_data',
  };
}

function ingestFromRow(r: IngestRow): IngestContext {
  return {
    id: r.id,
    name: r.name,
    keyHash: r.key_hash,
    environment: r.environment,
    deployment_type: r.deployment_type,
    status: r.status ?? 'unknown',
    config: configFromRow(r.id, r),
    state: stateFromRow(r),
  };
}

function alertFromRow(r: AlertRow): AlertRecord {
  return {
    id: r.id,
    agent_id: r.agent_id ?? '',
    severity: r.severity,
    title: r.title,
    message: r.message,
    metric_name: r.metric_name,
    threshold: r.threshold,
    current_value: r.current_value,
    created_at: iso(r.created_at),
    resolved_at: isoOrNullFromDate(r.resolved_at),
    is_active: r.is_active ?? true,
    fingerprint: r.fingerprint,
    acknowledged_at: isoOrNullFromDate(r.acknowledged_at),
    acknowledged_by: r.acknowledged_by,
    ack_comment: r.ack_comment,
    updated_at: r.updated_at.toISOString(),
    last_notified_at: isoOrNullFromDate(r.last_notified_at),
  };
}

function targetFromRow(r: NotificationTargetRow): NotificationTarget {
  return { id: r.id, name: r.name, kind: r.kind, url: r.url, enabled: r.enabled, created_at: r.created_at.toISOString() };
}
