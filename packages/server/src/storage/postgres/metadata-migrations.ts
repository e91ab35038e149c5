/**
 * The PostgreSQL metadata schema as versioned migrations: version 1 is the seed's DDL as written
 * (tables, types, defaults, references, the eight indexes), later versions are agentmon's own.
 * A released migration is never edited; a change is a new version.
 */

/** One step of the schema: applied once, in version order, inside the migration transaction. */
export interface PostgresMigration {
  version: number;
  name: string;
  up: string;
}

/** The bookkeeping table every PostgreSQL store shares (component 'metadata', 'series', ...). */
export const POSTGRES_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS agentmon_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    PRIMARY KEY (component, version)
);`;

/**
 * Advisory lock taken (per schema) by every store's migration transaction, so instances starting
 * together apply each version once and never race on creating agentmon_migrations.
 */
export const POSTGRES_MIGRATION_LOCK = `SELECT pg_advisory_xact_lock(hashtext('agentmon_migrations:' || COALESCE(current_schema(), '')))`;

/** The metadata schema, oldest first. */
export const POSTGRES_METADATA_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'seed tables',
    // IF NOT EXISTS: a database created with the seed's DDL by another tool is adopted as it is.
    up: `
CREATE TABLE IF NOT EXISTS agents (
    id VARCHAR(255) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    type VARCHAR(50) NOT NULL,
    version VARCHAR(100) NOT NULL,
    description TEXT,
    deployment_type VARCHAR(50) NOT NULL,
    host VARCHAR(255) NOT NULL,
    port INTEGER,
    environment VARCHAR(50) NOT NULL,
    config JSONB DEFAULT '{}',
    tags TEXT[] DEFAULT '{}',
    registered_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    last_seen TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    status VARCHAR(50) DEFAULT 'unknown',
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS monitoring_configs (
    agent_id VARCHAR(255) PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    metrics_interval_seconds INTEGER DEFAULT 60,
    health_check_interval_seconds INTEGER DEFAULT 30,
    enable_resource_monitoring BOOLEAN DEFAULT TRUE,
    enable_performance_monitoring BOOLEAN DEFAULT TRUE,
    enable_ai_monitoring BOOLEAN DEFAULT FALSE,
    thresholds JSONB DEFAULT '{}',
    retention_settings JSONB DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS alerts (
    id VARCHAR(255) PRIMARY KEY,
    agent_id VARCHAR(255) REFERENCES agents(id) ON DELETE CASCADE,
    severity VARCHAR(50) NOT NULL,
    title VARCHAR(500) NOT NULL,
    message TEXT NOT NULL,
    metric_name VARCHAR(255),
    threshold FLOAT,
    current_value FLOAT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    resolved_at TIMESTAMP WITH TIME ZONE,
    is_active BOOLEAN DEFAULT TRUE
);

CREATE TABLE IF NOT EXISTS system_events (
    id VARCHAR(255) PRIMARY KEY,
    type VARCHAR(100) NOT NULL,
    agent_id VARCHAR(255) REFERENCES agents(id) ON DELETE SET NULL,
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    data JSONB DEFAULT '{}',
    severity VARCHAR(50) DEFAULT 'info',
    message TEXT NOT NULL,
    source VARCHAR(255) DEFAULT 'monitor_system'
);

CREATE INDEX IF NOT EXISTS idx_agents_status ON agents(status);
CREATE INDEX IF NOT EXISTS idx_agents_environment ON agents(environment);
CREATE INDEX IF NOT EXISTS idx_agents_last_seen ON agents(last_seen);
CREATE INDEX IF NOT EXISTS idx_alerts_agent_id ON alerts(agent_id);
CREATE INDEX IF NOT EXISTS idx_alerts_is_active ON alerts(is_active);
CREATE INDEX IF NOT EXISTS idx_alerts_created_at ON alerts(created_at);
CREATE INDEX IF NOT EXISTS idx_system_events_timestamp ON system_events(timestamp);
CREATE INDEX IF NOT EXISTS idx_system_events_type ON system_events(type);
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
    agent_id VARCHAR(255) PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

CREATE TABLE agent_state (
    agent_id VARCHAR(255) PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    health_score DOUBLE PRECISION NOT NULL DEFAULT 0,
    status_reason TEXT,
    last_metrics_at TIMESTAMP WITH TIME ZONE,
    last_heartbeat_at TIMESTAMP WITH TIME ZONE,
    last_health_at TIMESTAMP WITH TIME ZONE,
    snapshot JSONB NOT NULL DEFAULT '{}'
);

CREATE TABLE health_checks (
    agent_id VARCHAR(255) NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    status BOOLEAN NOT NULL,
    message TEXT,
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    execution_time_ms DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (agent_id, name)
);

CREATE TABLE settings (
    key VARCHAR(255) PRIMARY KEY,
    value JSONB NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

-- alerts gains its identity, acknowledgement and notification bookkeeping. Rows of an adopted seed
-- database get a fingerprint of their own that no rule produces, so they block nothing.
ALTER TABLE alerts
    ADD COLUMN fingerprint TEXT,
    ADD COLUMN acknowledged_at TIMESTAMP WITH TIME ZONE,
    ADD COLUMN acknowledged_by TEXT,
    ADD COLUMN ack_comment TEXT,
    ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    ADD COLUMN last_notified_at TIMESTAMP WITH TIME ZONE;
UPDATE alerts SET fingerprint = 'legacy:' || id, updated_at = COALESCE(resolved_at, created_at, updated_at);
ALTER TABLE alerts ALTER COLUMN fingerprint SET NOT NULL;
-- At most one active alert per fingerprint: the engine's dedup, enforced where racing writers meet.
CREATE UNIQUE INDEX uq_alerts_active_fingerprint ON alerts(fingerprint) WHERE is_active;
-- An agent's active alerts in creation order, and retention deleting its resolved ones oldest first.
CREATE INDEX idx_alerts_agent_active_created ON alerts(agent_id, is_active, created_at);

CREATE TABLE notification_targets (
    id VARCHAR(255) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    kind VARCHAR(20) NOT NULL CHECK (kind IN ('webhook', 'slack')),
    url TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);
`,
  },
  {
    version: 3,
    name: 'room for in-place updates',
    up: `
-- agent_state is rewritten on every report: free room on its pages lets PostgreSQL update it in
-- place (HOT, no index touched) and prune old row versions without waiting for VACUUM.
ALTER TABLE agent_state SET (fillfactor = 50);
`,
  },
  {
    version: 4,
    name: 'alertmanager notification targets',
    up: `
ALTER TABLE notification_targets DROP CONSTRAINT notification_targets_kind_check;
ALTER TABLE notification_targets ADD CONSTRAINT notification_targets_kind_check CHECK (kind IN ('webhook', 'slack', 'alertmanager'));
`,
  },
];
