/**
 * SQLite adapter of the MetadataStore port. better-sqlite3 is synchronous: each method does its work
 * in one synchronous call (a transaction where it writes more than one row) behind an async signature.
 * Timestamps are stored as ISO 8601 UTC TEXT with milliseconds, so text order is time order.
 */
import type Database from 'better-sqlite3';
import { toUtcIso } from '@agentmon/schema';
import type { HealthCheck, MonitoringConfig, SystemEvent } from '@agentmon/schema';
import type {
  AgentCounts,
  AgentFilter,
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
import { openSqlite } from './open.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { countsFromRows } from '../sql/agent-counts.js';
import {
  agentConditions,
  agentOrder,
  ALERT_COLUMN_NAMES,
  ALERT_COLUMNS,
  alertConditions,
  alertOrder,
  alertValues,
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
import { SQLITE_METADATA_MIGRATIONS, SQLITE_MIGRATIONS_TABLE } from './metadata-migrations.js';
import { applySqliteMigrations } from './migrate.js';

/** Options of the SQLite metadata store. */
export interface SqliteMetadataOptions {
  /** Database file, or `:memory:`. */
  path: string;
  /** Checkpoint the file's write-ahead log on a worker thread (default true; a file database only). */
  checkpointOffThread?: boolean;
  /** Where a background failure is reported (the checkpoint thread's). */
  onError?: (message: string) => void;
}

const COMPONENT = 'metadata';

// ------------------------------------------------------------------ rows and columns

/** How better-sqlite3 returns the columns SQLite stores its own way: ISO TEXT, 0/1, JSON TEXT. */
interface SqliteColumns {
  time: string;
  flag: number;
  json: string | null;
  tags: string | null;
}

const read = rowReader<SqliteColumns>({
  time: (value) => value,
  flag: (value) => value === 1,
  json: parseJson,
  tags: (value) => stringArray(parseJson(value)),
});

const CONFIG_VALUES = CONFIG_COLUMN_NAMES.map((c) => `@${c}`).join(', ');
const CONFIG_UPDATES = CONFIG_COLUMN_NAMES.map((c) => `${c} = excluded.${c}`).join(', ');

const ALERT_VALUES = ALERT_COLUMN_NAMES.map((c) => `@${c}`).join(', ');

const INSERT_ALERT = `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (${ALERT_VALUES})`;

const UPDATE_ALERT = `UPDATE alerts SET ${ALERT_COLUMN_NAMES.filter((c) => c !== 'id')
  .map((c) => `${c} = @${c}`)
  .join(', ')} WHERE id = @id`;

/**
 * A new alert from a batch: skipped when its fingerprint already has an active alert (the partial
 * unique index is the arbiter) or when its agent is gone (deleted meanwhile), never an error.
 */
const INSERT_ALERT_UNLESS_ACTIVE = `
INSERT INTO alerts (${ALERT_COLUMNS})
SELECT ${ALERT_VALUES} WHERE EXISTS (SELECT 1 FROM agents WHERE id = @agent_id)
ON CONFLICT (fingerprint) WHERE is_active DO NOTHING`;

const INSERT_EVENT = `
INSERT INTO system_events (id, type, agent_id, timestamp, data, severity, message, source)
VALUES (@id, @type, (SELECT id FROM agents WHERE id = @agent_id), @timestamp, @data, @severity, @message, @source)`;

/** How each patchable agents column is written; status_reason lives in agent_state. */
const PATCH_COLUMNS: ReadonlyArray<[keyof AgentPatch & string, (value: unknown) => unknown]> = [
  ['name', (v) => v],
  ['version', (v) => v],
  ['description', (v) => v],
  ['port', (v) => v],
  ['config', (v) => JSON.stringify(v)],
  ['tags', (v) => JSON.stringify(v)],
  ['metadata', (v) => JSON.stringify(v)],
  ['status', (v) => v],
];

// ------------------------------------------------------------------ the store

/** MetadataStore on one SQLite file (or `:memory:`). */
export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  /** Statements prepared once per store, keyed by their SQL (list queries have a few shapes each). */
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();
  /** Names of the locks held (tryLock): one process owns a SQLite file, so the lock lives in memory. */
  private readonly locks = new Set<string>();

  /** Checkpoints the write-ahead log off the event loop (a file database only). */
  private readonly checkpointer: Checkpointer | null;

  constructor(options: SqliteMetadataOptions) {
    this.db = openSqlite(options.path);
    const onFile = options.path !== ':memory:' && options.path !== '';
    this.checkpointer = onFile && options.checkpointOffThread !== false ? startCheckpointer(this.db, options.path, { ...(options.onError ? { onError: options.onError } : {}) }) : null;
  }

  private statement(sql: string): Database.Statement<unknown[]> {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /** IMMEDIATE takes the write lock up front, so a read-then-write cannot fail half-way with SQLITE_BUSY. */
  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  async migrate(): Promise<number[]> {
    return applySqliteMigrations(this.db, COMPONENT, SQLITE_MIGRATIONS_TABLE, SQLITE_METADATA_MIGRATIONS);
  }

  async ping(): Promise<void> {
    this.statement('SELECT 1').get();
  }

  /** Nothing: SQLite rewrites rows in place and reuses freed pages by itself. */
  async maintain(): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {
    this.locks.clear();
    this.statements.clear();
    // The thread first: the connection's close then checkpoints what is left and removes the log.
    await this.checkpointer?.close();
    if (this.db.open) this.db.close();
  }

  // ---------------------------------------------------------------- agents

  async registerAgent(write: RegistrationWrite): Promise<RegistrationResult> {
    return this.write(() => {
      const { agent } = write;
      let existingId: string | undefined;
      if (write.idGiven) {
        if (this.statement('SELECT 1 FROM agents WHERE id = ?').get(agent.id) !== undefined) existingId = agent.id;
        else {
          const other = this.findByIdentity(agent.name, agent.environment, agent.host);
          if (other !== undefined) return { outcome: 'conflict', existingId: other };
        }
      } else {
        existingId = this.findByIdentity(agent.name, agent.environment, agent.host);
      }

      const id = existingId ?? agent.id;
      const now = nowIso();
      const columns = {
        id,
        name: agent.name,
        type: agent.type,
        version: agent.version,
        description: agent.description,
        deployment_type: agent.deployment_type,
        host: agent.host,
        port: agent.port,
        environment: agent.environment,
        config: JSON.stringify(agent.config),
        tags: JSON.stringify(agent.tags),
        metadata: JSON.stringify(agent.metadata),
        now,
      };
      if (existingId !== undefined) {
        this.statement(
          `UPDATE agents SET name = @name, type = @type, version = @version, description = @description,
             deployment_type = @deployment_type, host = @host, port = @port, environment = @environment,
             config = @config, tags = @tags, metadata = @metadata, updated_at = @now
           WHERE id = @id`,
        ).run(columns);
      } else {
        this.statement(
          `INSERT INTO agents (id, name, type, version, description, deployment_type, host, port, environment,
             config, tags, registered_at, last_seen, status, metadata, created_at, updated_at)
           VALUES (@id, @name, @type, @version, @description, @deployment_type, @host, @port, @environment,
             @config, @tags, @registered_at, @last_seen, @status, @metadata, @now, @now)`,
        ).run({
          ...columns,
          registered_at: toUtcIso(agent.registered_at),
          last_seen: toUtcIso(agent.last_seen),
          status: agent.status,
        });
      }
      // A known agent keeps its config and state; these only fill in rows that are missing.
      this.statement(
        `INSERT INTO monitoring_configs (agent_id, ${CONFIG_COLUMNS}, created_at, updated_at)
         VALUES (@agent_id, ${CONFIG_VALUES}, @now, @now)
         ON CONFLICT (agent_id) DO NOTHING`,
      ).run(configParams({ ...write.defaultConfig, agent_id: id }, now));
      this.statement(
        `INSERT INTO agent_state (agent_id, health_score, status_reason, snapshot) VALUES (?, 0, 'no_data', '{}')
         ON CONFLICT (agent_id) DO NOTHING`,
      ).run(id);
      this.statement(
        `INSERT INTO agent_credentials (agent_id, key_hash, created_at) VALUES (?, ?, ?)
         ON CONFLICT (agent_id) DO UPDATE SET key_hash = excluded.key_hash, created_at = excluded.created_at`,
      ).run(id, typeof write.keyHash === 'function' ? write.keyHash(id) : write.keyHash, now);
      this.insertEventsNow([{ ...write.event, agent_id: id }]);

      const stored = this.getAgentNow(id);
      const config = this.getConfigNow(id);
      if (stored === null || config === null) throw new Error(`registration of ${id} did not store the agent`);
      return { outcome: existingId !== undefined ? 'updated' : 'created', agent: stored, config };
    });
  }

  /** The oldest agent with this identity (ids are not unique per identity once an agent is renamed). */
  private findByIdentity(name: string, environment: string, host: string): string | undefined {
    const row = this.statement(
      `SELECT id FROM agents WHERE name = ? AND environment = ? AND host = ? ORDER BY registered_at, id LIMIT 1`,
    ).get(name, environment, host) as { id: string } | undefined;
    return row?.id;
  }

  async findAgentId(name: string, environment: string, host: string): Promise<string | null> {
    return this.findByIdentity(name, environment, host) ?? null;
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    return this.getAgentNow(id);
  }

  private getAgentNow(id: string): AgentRecord | null {
    const row = this.statement(`${SELECT_AGENT} WHERE a.id = ?`).get(id) as AgentRow<SqliteColumns> | undefined;
    return row === undefined ? null : read.agent(row);
  }

  async countAgents(): Promise<AgentCounts> {
    const rows = this.statement(
      `SELECT 'status' AS dim, status AS key, COUNT(*) AS n FROM agents GROUP BY status
       UNION ALL SELECT 'type', type, COUNT(*) FROM agents GROUP BY type
       UNION ALL SELECT 'environment', environment, COUNT(*) FROM agents GROUP BY environment`,
    ).all() as { dim: string; key: string; n: number }[];
    return countsFromRows(rows);
  }

  async listAgents(filter: AgentFilter): Promise<{ items: AgentListRow[]; total: number }> {
    const params: unknown[] = [];
    const clause = whereClause(
      agentConditions(filter, bindTo(params), {
        hasTag: (tag) => `EXISTS (SELECT 1 FROM json_each(a.tags) t WHERE t.value = ${tag})`,
        // SQLite's LIKE ignores ASCII case by default.
        nameLike: (pattern) => `a.name LIKE ${pattern} ESCAPE '\\'`,
      }),
    );
    const order = agentOrder(filter);

    return this.db.transaction(() => {
      const rows = this.statement(`${SELECT_AGENT} ${clause} ORDER BY ${order} LIMIT ? OFFSET ?`).all(
        ...params,
        filter.limit,
        filter.offset,
      ) as AgentRow<SqliteColumns>[];
      const count = this.statement(`SELECT COUNT(*) AS n FROM agents a ${clause}`).get(...params) as { n: number };
      return { items: rows.map(read.listRow), total: count.n };
    })();
  }

  async updateAgent(id: string, patch: AgentPatch, events: SystemEvent[]): Promise<AgentRecord | null> {
    const sets: string[] = [];
    const params: Record<string, unknown> = { id, now: nowIso() };
    for (const [column, encode] of PATCH_COLUMNS) {
      const value = patch[column];
      if (value === undefined) continue;
      sets.push(`${column} = @${column}`);
      params[column] = encode(value);
    }
    sets.push('updated_at = @now');

    return this.write(() => {
      const result = this.statement(`UPDATE agents SET ${sets.join(', ')} WHERE id = @id`).run(params);
      if (result.changes === 0) return null;
      if (patch.status_reason !== undefined) {
        this.statement(
          `INSERT INTO agent_state (agent_id, status_reason) VALUES (?, ?)
           ON CONFLICT (agent_id) DO UPDATE SET status_reason = excluded.status_reason`,
        ).run(id, patch.status_reason);
      }
      this.insertEventsNow(events);
      return this.getAgentNow(id);
    });
  }

  async deleteAgent(id: string, event: SystemEvent): Promise<boolean> {
    return this.write(() => {
      const result = this.statement('DELETE FROM agents WHERE id = ?').run(id);
      if (result.changes === 0) return false;
      // The agent is gone, so its event cannot reference it (ON DELETE SET NULL would null it anyway).
      this.insertEventsNow([{ ...event, agent_id: null }]);
      return true;
    });
  }

  // ---------------------------------------------------------------- ingest

  async getIngestContexts(ids: readonly string[]): Promise<Map<string, IngestContext>> {
    const contexts = new Map<string, IngestContext>();
    if (ids.length === 0) return contexts;
    const rows = this.statement(`${SELECT_INGEST} WHERE a.id IN (SELECT value FROM json_each(?))`).all(
      JSON.stringify(ids),
    ) as IngestRow<SqliteColumns>[];
    for (const row of rows) contexts.set(row.id, read.ingest(row));
    return contexts;
  }

  async listIngestContexts(): Promise<IngestContext[]> {
    const rows = this.statement(`${SELECT_INGEST} ORDER BY a.id`).all() as IngestRow<SqliteColumns>[];
    return rows.map(read.ingest);
  }

  async applyStates(writes: readonly AgentStateWrite[], events: readonly SystemEvent[], alerts?: AlertWrites): Promise<void> {
    const updateAgent = this.statement(
      `UPDATE agents SET
         last_seen = CASE WHEN @last_seen IS NULL OR last_seen >= @last_seen THEN last_seen ELSE @last_seen END,
         status = COALESCE(@status, status)
       WHERE id = @agent_id`,
    );
    const upsertState = this.statement(
      `INSERT INTO agent_state (agent_id, health_score, status_reason, last_metrics_at, last_heartbeat_at, last_health_at, snapshot)
       VALUES (@agent_id, @health_score, @status_reason, @last_metrics_at, @last_heartbeat_at, @last_health_at, @snapshot)
       ON CONFLICT (agent_id) DO UPDATE SET
         health_score = excluded.health_score, status_reason = excluded.status_reason,
         last_metrics_at = excluded.last_metrics_at, last_heartbeat_at = excluded.last_heartbeat_at,
         last_health_at = excluded.last_health_at, snapshot = excluded.snapshot`,
    );
    this.write(() => {
      for (const w of writes) {
        const moved = updateAgent.run({
          agent_id: w.agent_id,
          last_seen: w.last_seen === undefined ? null : toUtcIso(w.last_seen),
          status: w.status ?? null,
        });
        // An agent deleted meanwhile is skipped: its state has nowhere to go.
        if (moved.changes === 0 || w.state === undefined) continue;
        upsertState.run({
          agent_id: w.agent_id,
          health_score: w.state.health_score,
          status_reason: w.state.status_reason,
          last_metrics_at: isoOrNull(w.state.last_metrics_at),
          last_heartbeat_at: isoOrNull(w.state.last_heartbeat_at),
          last_health_at: isoOrNull(w.state.last_health_at),
          snapshot: JSON.stringify(w.state.snapshot),
        });
      }
      if (alerts !== undefined) this.writeAlertsNow(alerts);
      this.insertEventsNow(events);
    });
  }

  /**
   * Writes alert changes inside the caller's transaction: updates first, so an alert resolved and
   * its successor fired in one batch both land. An update never moves an alert to an unknown agent.
   */
  private writeAlertsNow(alerts: AlertWrites): void {
    const update = this.statement(`${UPDATE_ALERT} AND EXISTS (SELECT 1 FROM agents WHERE id = @agent_id)`);
    for (const a of alerts.update) update.run(alertParams(a));
    const insert = this.statement(INSERT_ALERT_UNLESS_ACTIVE);
    for (const a of alerts.insert) insert.run(alertParams(a));
  }

  // ---------------------------------------------------------------- config and health checks

  async getConfig(agentId: string): Promise<MonitoringConfig | null> {
    return this.getConfigNow(agentId);
  }

  private getConfigNow(agentId: string): MonitoringConfig | null {
    const row = this.statement(`SELECT agent_id, ${CONFIG_COLUMNS} FROM monitoring_configs WHERE agent_id = ?`).get(
      agentId,
    ) as ConfigRow<SqliteColumns> | undefined;
    return row === undefined ? null : read.config(row);
  }

  async putConfig(config: MonitoringConfig): Promise<MonitoringConfig | null> {
    const row = this.statement(
      `INSERT INTO monitoring_configs (agent_id, ${CONFIG_COLUMNS}, created_at, updated_at)
       SELECT @agent_id, ${CONFIG_VALUES}, @now, @now WHERE EXISTS (SELECT 1 FROM agents WHERE id = @agent_id)
       ON CONFLICT (agent_id) DO UPDATE SET ${CONFIG_UPDATES}, updated_at = excluded.updated_at
       RETURNING agent_id, ${CONFIG_COLUMNS}`,
    ).get(configParams(config, nowIso())) as ConfigRow<SqliteColumns> | undefined;
    return row === undefined ? null : read.config(row);
  }

  async saveHealthChecks(agentId: string, checks: readonly HealthCheck[]): Promise<void> {
    const upsert = this.statement(
      `INSERT INTO health_checks (agent_id, name, status, message, timestamp, execution_time_ms)
       VALUES (@agent_id, @name, @status, @message, @timestamp, @execution_time_ms)
       ON CONFLICT (agent_id, name) DO UPDATE SET
         status = excluded.status, message = excluded.message,
         timestamp = excluded.timestamp, execution_time_ms = excluded.execution_time_ms`,
    );
    this.write(() => {
      // Checks of an agent deleted meanwhile are dropped, as applyStates drops its state.
      if (this.statement('SELECT 1 FROM agents WHERE id = ?').get(agentId) === undefined) return;
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
    const rows = this.statement(`${SELECT_HEALTH_CHECK} WHERE agent_id = ? ORDER BY name`).all(agentId) as HealthCheckRow<SqliteColumns>[];
    return rows.map(read.healthCheck);
  }

  // ---------------------------------------------------------------- alerts

  async insertAlert(alert: AlertRecord): Promise<void> {
    this.statement(INSERT_ALERT).run(alertParams(alert));
  }

  async updateAlert(alert: AlertRecord): Promise<void> {
    this.statement(UPDATE_ALERT).run(alertParams(alert));
  }

  async getAlert(id: string): Promise<AlertRecord | null> {
    const row = this.statement(`${SELECT_ALERT} WHERE id = ?`).get(id) as AlertRow<SqliteColumns> | undefined;
    return row === undefined ? null : read.alert(row);
  }

  async listAlerts(filter: AlertFilter): Promise<{ items: AlertRecord[]; total: number }> {
    const params: unknown[] = [];
    const clause = whereClause(alertConditions(filter, bindTo(params), zeroOne));
    return this.db.transaction(() => {
      const rows = this.statement(`${SELECT_ALERT} ${clause} ORDER BY ${alertOrder(filter)} LIMIT ? OFFSET ?`).all(
        ...params,
        filter.limit,
        filter.offset,
      ) as AlertRow<SqliteColumns>[];
      const count = this.statement(`SELECT COUNT(*) AS n FROM alerts ${clause}`).get(...params) as { n: number };
      return { items: rows.map(read.alert), total: count.n };
    })();
  }

  async getActiveAlerts(agentIds: readonly string[] | null): Promise<AlertRecord[]> {
    if (agentIds !== null && agentIds.length === 0) return [];
    const rows = (
      agentIds === null
        ? this.statement(`${SELECT_ALERT} WHERE is_active = 1 ORDER BY agent_id, created_at, id`).all()
        : this.statement(
            `${SELECT_ALERT} WHERE is_active = 1 AND agent_id IN (SELECT value FROM json_each(?))
             ORDER BY agent_id, created_at, id`,
          ).all(JSON.stringify(agentIds))
    ) as AlertRow<SqliteColumns>[];
    return rows.map(read.alert);
  }

  async deleteResolvedAlertsBefore(agentId: string, beforeIso: string, limit: number): Promise<number> {
    // SQLite reads a negative LIMIT as no limit at all.
    if (limit < 1) return 0;
    return this.statement(
      `DELETE FROM alerts WHERE id IN (
         SELECT id FROM alerts WHERE agent_id = ? AND is_active = 0 AND created_at < ? ORDER BY created_at LIMIT ?)`,
    ).run(agentId, toUtcIso(beforeIso), Math.floor(limit)).changes;
  }

  async deleteEventsBefore(agentId: string | null, beforeIso: string, limit: number): Promise<number> {
    if (limit < 1) return 0;
    // `IS ?` matches NULL to NULL and a text to itself, so one statement serves both kinds of events.
    return this.statement(
      `DELETE FROM system_events WHERE id IN (
         SELECT id FROM system_events WHERE agent_id IS ? AND timestamp < ? ORDER BY timestamp LIMIT ?)`,
    ).run(agentId, toUtcIso(beforeIso), Math.floor(limit)).changes;
  }

  // ---------------------------------------------------------------- notification targets

  async listNotificationTargets(): Promise<NotificationTarget[]> {
    const rows = this.statement(`${SELECT_TARGET} ORDER BY created_at, id`).all() as NotificationTargetRow<SqliteColumns>[];
    return rows.map(read.target);
  }

  async getNotificationTarget(id: string): Promise<NotificationTarget | null> {
    const row = this.statement(`${SELECT_TARGET} WHERE id = ?`).get(id) as NotificationTargetRow<SqliteColumns> | undefined;
    return row === undefined ? null : read.target(row);
  }

  async insertNotificationTarget(target: NotificationTarget): Promise<void> {
    this.statement(
      'INSERT INTO notification_targets (id, name, kind, url, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(target.id, target.name, target.kind, target.url, target.enabled ? 1 : 0, toUtcIso(target.created_at));
  }

  async deleteNotificationTarget(id: string): Promise<boolean> {
    return this.statement('DELETE FROM notification_targets WHERE id = ?').run(id).changes > 0;
  }

  // ---------------------------------------------------------------- locks

  async tryLock(name: string): Promise<(() => Promise<void>) | null> {
    if (this.locks.has(name)) return null;
    this.locks.add(name);
    let held = true;
    return async () => {
      // Twice is once: a second call must not free a lock someone else took meanwhile.
      if (!held) return;
      held = false;
      this.locks.delete(name);
    };
  }

  // ---------------------------------------------------------------- events

  async insertEvents(events: readonly SystemEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.write(() => this.insertEventsNow(events));
  }

  /**
   * Inserts events inside the caller's transaction. An event naming an agent that no longer exists
   * is kept with agent_id NULL, as ON DELETE SET NULL would have left it had it been written first.
   */
  private insertEventsNow(events: readonly SystemEvent[]): void {
    const insert = this.statement(INSERT_EVENT);
    for (const e of events) {
      insert.run({
        id: e.id,
        type: e.type,
        agent_id: e.agent_id,
        timestamp: toUtcIso(e.timestamp),
        data: JSON.stringify(e.data),
        severity: e.severity,
        message: e.message,
        source: e.source,
      });
    }
  }

  async listEvents(filter: EventFilter): Promise<SystemEvent[]> {
    const params: unknown[] = [];
    const clause = whereClause(eventConditions(filter, bindTo(params)));
    const rows = this.statement(`${SELECT_EVENT} ${clause} ORDER BY timestamp DESC, id DESC LIMIT ?`).all(
      ...params,
      filter.limit,
    ) as EventRow<SqliteColumns>[];
    return rows.map(read.event);
  }

  // ---------------------------------------------------------------- settings

  async getSetting<T>(key: string): Promise<T | null> {
    const row = this.statement('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    if (row === undefined) return null;
    const value: unknown = JSON.parse(row.value);
    return value as T;
  }

  async putSetting(key: string, value: unknown): Promise<void> {
    this.statement(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ).run(key, JSON.stringify(value ?? null), nowIso());
  }
}

// ------------------------------------------------------------------ encoding

function nowIso(): string {
  return new Date().toISOString();
}

const zeroOne = (value: boolean): number => (value ? 1 : 0);

/** Binds positional `?` parameters: pushes each value onto `params`. */
function bindTo(params: unknown[]): Bind {
  return (value) => {
    params.push(value);
    return '?';
  };
}

function configParams(config: MonitoringConfig, now: string): Record<string, unknown> {
  return { agent_id: config.agent_id, ...configValues(config, zeroOne), now };
}

function alertParams(alert: AlertRecord): Record<string, unknown> {
  return alertValues(alert, zeroOne);
}

// ------------------------------------------------------------------ decoding

function parseJson(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
