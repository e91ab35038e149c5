/**
 * The SQLite metadata schema as versioned migrations: the seed's PostgreSQL tables in SQLite types
 * (timestamps as ISO 8601 UTC TEXT, JSON and tag lists as TEXT, booleans as INTEGER), then
 * agentmon's own tables. A released migration is never edited; a change is a new version.
 */

/** One step of the schema: applied once, in version order, inside the migration transaction. */
export interface SqliteMigration {
  version: number;
  name: string;
  up: string;
}

/** Now, as agentmon stores timestamps in SQLite: `2026-01-01T00:00:00.000Z` sorts as time does. */
const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** The bookkeeping table every SQLite store shares (component 'metadata', 'series', ...). */
export const SQLITE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS agentmon_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT ${NOW},
    PRIMARY KEY (component, version)
);`;

/** The metadata schema, oldest first. */
export const SQLITE_METADATA_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'seed tables',
    up: `
CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    version TEXT NOT NULL,
    description TEXT,
    deployment_type TEXT NOT NULL,
    host TEXT NOT NULL,
    port INTEGER,
    environment TEXT NOT NULL,
    config TEXT DEFAULT '{}',
    tags TEXT DEFAULT '[]',
    registered_at TEXT DEFAULT ${NOW},
    last_seen TEXT DEFAULT ${NOW},
    status TEXT DEFAULT 'unknown',
    metadata TEXT DEFAULT '{}',
    created_at TEXT DEFAULT ${NOW},
    updated_at TEXT DEFAULT ${NOW}
);

CREATE TABLE monitoring_configs (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    metrics_interval_seconds INTEGER DEFAULT 60,
    health_check_interval_seconds INTEGER DEFAULT 30,
    enable_resource_monitoring INTEGER DEFAULT 1,
    enable_performance_monitoring INTEGER DEFAULT 1,
    enable_ai_monitoring INTEGER DEFAULT 0,
    thresholds TEXT DEFAULT '{}',
    retention_settings TEXT DEFAULT '{}',
    created_at TEXT DEFAULT ${NOW},
    updated_at TEXT DEFAULT ${NOW}
);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    metric_name TEXT,
    threshold REAL,
    current_value REAL,
    created_at TEXT DEFAULT ${NOW},
    resolved_at TEXT,
    is_active INTEGER DEFAULT 1
);

CREATE TABLE system_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL,
    timestamp TEXT DEFAULT ${NOW},
    data TEXT DEFAULT '{}',
    severity TEXT DEFAULT 'info',
    message TEXT NOT NULL,
    source TEXT DEFAULT 'monitor_system'
);

CREATE INDEX idx_agents_status ON agents(status);
CREATE INDEX idx_agents_environment ON agents(environment);
CREATE INDEX idx_agents_last_seen ON agents(last_seen);
CREATE INDEX idx_alerts_agent_id ON alerts(agent_id);
CREATE INDEX idx_alerts_is_active ON alerts(is_active);
CREATE INDEX idx_alerts_created_at ON alerts(created_at);
CREATE INDEX idx_system_events_timestamp ON system_events(timestamp);
CREATE INDEX idx_system_events_type ON system_events(type);
`,
  },
  {
    version: 2,
    name: 'agentmon tables',
    up: `
-- Registration looks agents up by this identity. Events are found by agent and time: an agent's
-- history, retention deleting it oldest first, and deleting an agent setting its events' agent_id NULL.
CREATE INDEX idx_agents_identity ON agents(name, environment, host);
CREATE INDEX idx_system_events_agent_time ON system_events(agent_id, timestamp);

CREATE TABLE agent_credentials (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT ${NOW}
);

CREATE TABLE agent_state (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    health_score REAL NOT NULL DEFAULT 0,
    status_reason TEXT,
    last_metrics_at TEXT,
    last_heartbeat_at TEXT,
    last_health_at TEXT,
    snapshot TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE health_checks (
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status INTEGER NOT NULL,
    message TEXT,
    timestamp TEXT NOT NULL,
    execution_time_ms REAL NOT NULL,
    PRIMARY KEY (agent_id, name)
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT ${NOW}
);

-- alerts gains its identity, acknowledgement and notification bookkeeping. SQLite cannot add a
-- NOT NULL column, or one defaulting to now, to a table, so the table is rebuilt. Rows written
-- before this version get a fingerprint of their own that no rule produces, so they block nothing.
CREATE TABLE alerts_v2 (
    id TEXT PRIMARY KEY,
    agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    metric_name TEXT,
    threshold REAL,
    current_value REAL,
    created_at TEXT DEFAULT ${NOW},
    resolved_at TEXT,
    is_active INTEGER DEFAULT 1,
    fingerprint TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    ack_comment TEXT,
    updated_at TEXT NOT NULL DEFAULT ${NOW},
    last_notified_at TEXT
);
INSERT INTO alerts_v2 (id, agent_id, severity, title, message, metric_name, threshold, current_value,
    created_at, resolved_at, is_active, fingerprint, updated_at)
SELECT id, agent_id, severity, title, message, metric_name, threshold, current_value,
    created_at, resolved_at, is_active, 'legacy:' || id, COALESCE(resolved_at, created_at, ${NOW})
FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_v2 RENAME TO alerts;
CREATE INDEX idx_alerts_agent_id ON alerts(agent_id);
CREATE INDEX idx_alerts_is_active ON alerts(is_active);
CREATE INDEX idx_alerts_created_at ON alerts(created_at);
-- At most one active alert per fingerprint: the engine's dedup, enforced where racing writers meet.
CREATE UNIQUE INDEX uq_alerts_active_fingerprint ON alerts(fingerprint) WHERE is_active;
-- An agent's active alerts in creation order, and retention deleting its resolved ones oldest first.
CREATE INDEX idx_alerts_agent_active_created ON alerts(agent_id, is_active, created_at);

CREATE TABLE notification_targets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'slack')),
    url TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT ${NOW}
);
`,
  },
  {
    version: 3,
    name: 'alertmanager notification targets',
    up: `
-- SQLite cannot change a CHECK in place: the table is rebuilt with the new kind allowed.
CREATE TABLE notification_targets_v3 (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'alertmanager')),
    url TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT ${NOW}
);
INSERT INTO notification_targets_v3 (id, name, kind, url, enabled, created_at)
SELECT id, name, kind, url, enabled, created_at FROM notification_targets;
DROP TABLE notification_targets;
ALTER TABLE notification_targets_v3 RENAME TO notification_targets;
`,
  },
];
