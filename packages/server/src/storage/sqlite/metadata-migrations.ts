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
-- Registration looks agents up by this identity; deleting an agent sets its events' agent_id NULL.
CREATE INDEX idx_agents_identity ON agents(name, environment, host);
CREATE INDEX idx_system_events_agent_id ON system_events(agent_id);

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

ALTER TABLE alerts ADD COLUMN fingerprint TEXT;
CREATE INDEX idx_alerts_fingerprint ON alerts(fingerprint);
`,
  },
];
