/**
 * The metadata tables as both SQL adapters read and write them: the SELECTs and column lists they
 * share, the shape of a row per table, and the mapping from rows to port models and from models to
 * column values. Driver-free: what differs per driver (a timestamp is a Date or ISO TEXT, a boolean
 * a boolean or 0/1, JSON parsed or text) comes in as a RowDecoder (column-types.ts) and a flag
 * encoding. The agents columns themselves are listed in agent-columns.ts.
 */
import { AGENT_STATUS_ORDER, ALERT_SEVERITIES, toUtcIso } from '@agentmon/schema';
import type {
  AgentSortKey,
  AgentType,
  AgentStatus,
  AlertSeverity,
  DeploymentType,
  EventSeverity,
  EventType,
  HealthCheck,
  MonitoringConfig,
  SystemEvent,
} from '@agentmon/schema';
import type {
  AgentFilter,
  AgentListRow,
  AgentRecord,
  AgentState,
  AgentStateWrite,
  AlertFilter,
  AlertRecord,
  EventFilter,
  IngestContext,
  NotificationTarget,
} from '../ports.js';
import { configDocuments, configFromColumns } from './monitoring-config.js';
import { AGENT_SELECT_LIST, agentFieldReader, agentInfoReader, type AgentColumnValues } from './agent-columns.js';
import { asRecord, EPOCH, type ColumnTypes, type RowDecoder } from './column-types.js';

// ------------------------------------------------------------------ SQL both dialects share

/** agent_state through `LEFT JOIN agent_state s`; has_state tells a missing row from a NULL column. */
export const STATE_COLUMNS = `s.agent_id IS NOT NULL AS has_state, s.health_score, s.status_reason,
  s.last_metrics_at, s.last_heartbeat_at, s.last_health_at, s.snapshot`;

/** monitoring_configs' settable columns; their names are unique among the tables joined with it. */
export const CONFIG_COLUMN_NAMES = [
  'metrics_interval_seconds',
  'health_check_interval_seconds',
  'enable_resource_monitoring',
  'enable_performance_monitoring',
  'enable_ai_monitoring',
  'thresholds',
  'retention_settings',
] as const;
export type ConfigColumn = (typeof CONFIG_COLUMN_NAMES)[number];
export const CONFIG_COLUMNS = CONFIG_COLUMN_NAMES.join(', ');

export const SELECT_AGENT = `
SELECT ${AGENT_SELECT_LIST}, ${STATE_COLUMNS}
FROM agents a LEFT JOIN agent_state s ON s.agent_id = a.id`;

export const SELECT_INGEST = `
SELECT a.id, a.name, k.key_hash, a.environment, a.deployment_type, a.type, a.version, a.host, a.status, ${CONFIG_COLUMNS}, ${STATE_COLUMNS}
FROM agents a
LEFT JOIN agent_credentials k ON k.agent_id = a.id
LEFT JOIN monitoring_configs c ON c.agent_id = a.id
LEFT JOIN agent_state s ON s.agent_id = a.id`;

/** alerts' columns; every one is written from an AlertRecord (see alertValues). */
export const ALERT_COLUMN_NAMES = [
  'id',
  'agent_id',
  'severity',
  'title',
  'message',
  'metric_name',
  'threshold',
  'current_value',
  'created_at',
  'resolved_at',
  'is_active',
  'fingerprint',
  'acknowledged_at',
  'acknowledged_by',
  'ack_comment',
  'updated_at',
  'last_notified_at',
] as const;
export type AlertColumn = (typeof ALERT_COLUMN_NAMES)[number];
export const ALERT_COLUMNS = ALERT_COLUMN_NAMES.join(', ');

/**
 * An alert's identity: set when it fires, never changed by the engine after (the fingerprint is
 * its agent and metric). A batch's update leaves them out of its SET list, so SQLite does not
 * rewrite the indexes that hold them.
 */
const ALERT_IDENTITY: readonly AlertColumn[] = ['id', 'agent_id', 'metric_name', 'created_at', 'fingerprint'];

/** The columns a batch's update may change. */
export const ALERT_MUTABLE_COLUMNS: readonly AlertColumn[] = ALERT_COLUMN_NAMES.filter((c) => !ALERT_IDENTITY.includes(c));

/**
 * The columns of an active alert refreshed by the next payload (value, severity, text, times):
 * none is indexed, so such an update writes the row only. Resolving changes is_active, which
 * three indexes hold.
 */
export const ALERT_REFRESH_COLUMNS: readonly AlertColumn[] = ALERT_MUTABLE_COLUMNS.filter((c) => c !== 'is_active' && c !== 'resolved_at');

export const SELECT_ALERT = `SELECT ${ALERT_COLUMNS} FROM alerts`;

export const SELECT_TARGET = 'SELECT id, name, kind, url, enabled, created_at FROM notification_targets';

export const SELECT_EVENT = 'SELECT id, type, agent_id, timestamp, data, severity, message, source FROM system_events';

export const SELECT_HEALTH_CHECK = 'SELECT name, status, message, timestamp, execution_time_ms FROM health_checks';

export const SORT_COLUMNS: Record<AgentSortKey, string> = {
  name: 'a.name',
  last_seen: 'a.last_seen',
  // Worst first (error, offline, warning, ...), not alphabetically: the order people triage in.
  status: `CASE a.status ${AGENT_STATUS_ORDER.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} ELSE ${AGENT_STATUS_ORDER.length} END`,
  health_score: 'COALESCE(s.health_score, 0)',
  registered_at: 'a.registered_at',
  environment: 'a.environment',
  type: 'a.type',
};

// ------------------------------------------------------------------ filters

/** Binds a value as the next parameter of a statement and returns its placeholder. */
export type Bind = (value: unknown) => string;

/** `WHERE` and the conditions, or nothing without any. */
export function whereClause(conditions: readonly string[]): string {
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

/** What the dialects write their own way in an agents filter (`a` is the agents table). */
export interface AgentFilterSql {
  /** a.tags holds the tag bound as `placeholder`. */
  hasTag(placeholder: string): string;
  /** a.name matches the LIKE pattern bound as `placeholder` (escaped by escapeLike), ignoring case. */
  nameLike(placeholder: string): string;
}

/** The conditions of an agents filter, binding their values in order. */
export function agentConditions(filter: AgentFilter, bind: Bind, sql: AgentFilterSql): string[] {
  const where: string[] = [];
  if (filter.status !== undefined) where.push(`a.status = ${bind(filter.status)}`);
  if (filter.type !== undefined) where.push(`a.type = ${bind(filter.type)}`);
  if (filter.environment !== undefined) where.push(`a.environment = ${bind(filter.environment)}`);
  if (filter.tag !== undefined) where.push(sql.hasTag(bind(filter.tag)));
  if (filter.q !== undefined && filter.q !== '') where.push(sql.nameLike(bind(`%${escapeLike(filter.q)}%`)));
  if (filter.name !== undefined) where.push(`a.name = ${bind(filter.name)}`);
  if (filter.idPrefix !== undefined) where.push(`LOWER(a.id) LIKE ${bind(`${escapeLike(filter.idPrefix.toLowerCase())}%`)} ESCAPE '\\'`);
  return where;
}

/** ORDER BY of an agents filter, ties broken by id. */
export function agentOrder(filter: AgentFilter): string {
  const direction = filter.descending === true ? 'DESC' : 'ASC';
  return `${SORT_COLUMNS[filter.sort ?? 'name']} ${direction}, a.id ${direction}`;
}

/** The conditions of an alerts filter, binding their values in order (is_active as `flag` encodes it). */
export function alertConditions(filter: AlertFilter, bind: Bind, flag: (value: boolean) => unknown): string[] {
  const where: string[] = [];
  if (filter.agent_id !== undefined) where.push(`agent_id = ${bind(filter.agent_id)}`);
  if (filter.active !== undefined) where.push(`is_active = ${bind(flag(filter.active))}`);
  if (filter.acknowledged !== undefined) where.push(`acknowledged_at IS ${filter.acknowledged ? 'NOT NULL' : 'NULL'}`);
  if (filter.severity !== undefined) where.push(`severity = ${bind(filter.severity)}`);
  if (filter.since !== undefined) where.push(`created_at >= ${bind(toUtcIso(filter.since))}`);
  if (filter.until !== undefined) where.push(`created_at < ${bind(toUtcIso(filter.until))}`);
  return where;
}

/** ORDER BY of an alerts filter: severity puts active alerts first, then the most severe, newest first within each. */
export function alertOrder(filter: AlertFilter): string {
  const newest = 'created_at DESC, id DESC';
  if (filter.sort !== 'severity') return newest;
  const rank = `CASE severity ${ALERT_SEVERITIES.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} ELSE ${ALERT_SEVERITIES.length} END`;
  return `is_active DESC, ${rank}, ${newest}`;
}

/** The conditions of an events filter, binding their values in order. */
export function eventConditions(filter: EventFilter, bind: Bind): string[] {
  const where: string[] = [];
  if (filter.type !== undefined) where.push(`type = ${bind(filter.type)}`);
  if (filter.agent_id !== undefined) where.push(`agent_id = ${bind(filter.agent_id)}`);
  if (filter.severity !== undefined) where.push(`severity = ${bind(filter.severity)}`);
  if (filter.since !== undefined) where.push(`timestamp >= ${bind(toUtcIso(filter.since))}`);
  if (filter.until !== undefined) where.push(`timestamp < ${bind(toUtcIso(filter.until))}`);
  return where;
}

// ------------------------------------------------------------------ rows

interface StateColumns<C extends ColumnTypes> {
  has_state: C['flag'];
  health_score: number | null;
  status_reason: string | null;
  last_metrics_at: C['time'] | null;
  last_heartbeat_at: C['time'] | null;
  last_health_at: C['time'] | null;
  snapshot: C['json'];
}

interface ConfigColumns<C extends ColumnTypes> {
  metrics_interval_seconds: number | null;
  health_check_interval_seconds: number | null;
  enable_resource_monitoring: C['flag'] | null;
  enable_performance_monitoring: C['flag'] | null;
  enable_ai_monitoring: C['flag'] | null;
  thresholds: C['json'];
  retention_settings: C['json'];
}

/** A row of SELECT_AGENT: the agent columns (agent-columns.ts) and its state. */
export type AgentRow<C extends ColumnTypes> = AgentColumnValues<C> & StateColumns<C>;

/** A row of SELECT_INGEST. */
export interface IngestRow<C extends ColumnTypes> extends StateColumns<C>, ConfigColumns<C> {
  id: string;
  name: string;
  key_hash: string | null;
  environment: string;
  deployment_type: DeploymentType;
  type: AgentType;
  version: string;
  host: string;
  status: AgentStatus | null;
}

/** A row of `SELECT agent_id, ${CONFIG_COLUMNS} FROM monitoring_configs`. */
export interface ConfigRow<C extends ColumnTypes> extends ConfigColumns<C> {
  agent_id: string;
}

/** A row of SELECT_HEALTH_CHECK. */
export interface HealthCheckRow<C extends ColumnTypes> {
  name: string;
  status: C['flag'];
  message: string | null;
  timestamp: C['time'];
  execution_time_ms: number;
}

/** A row of SELECT_ALERT. */
export interface AlertRow<C extends ColumnTypes> {
  id: string;
  agent_id: string | null;
  severity: AlertSeverity;
  title: string;
  message: string;
  metric_name: string | null;
  threshold: number | null;
  current_value: number | null;
  created_at: C['time'] | null;
  resolved_at: C['time'] | null;
  is_active: C['flag'] | null;
  fingerprint: string;
  acknowledged_at: C['time'] | null;
  acknowledged_by: string | null;
  ack_comment: string | null;
  updated_at: C['time'];
  last_notified_at: C['time'] | null;
}

/** A row of SELECT_TARGET. */
export interface NotificationTargetRow<C extends ColumnTypes> {
  id: string;
  name: string;
  kind: NotificationTarget['kind'];
  url: string;
  enabled: C['flag'];
  created_at: C['time'];
}

/** A row of SELECT_EVENT. */
export interface EventRow<C extends ColumnTypes> {
  id: string;
  type: EventType;
  agent_id: string | null;
  timestamp: C['time'] | null;
  data: C['json'];
  severity: EventSeverity | null;
  message: string;
  source: string | null;
}

// ------------------------------------------------------------------ decoding

/** Port models from an adapter's rows. */
export interface RowReader<C extends ColumnTypes> {
  agent(r: AgentRow<C>): AgentRecord;
  listRow(r: AgentRow<C>): AgentListRow;
  ingest(r: IngestRow<C>): IngestContext;
  config(r: ConfigRow<C>): MonitoringConfig;
  healthCheck(r: HealthCheckRow<C>): HealthCheck;
  alert(r: AlertRow<C>): AlertRecord;
  target(r: NotificationTargetRow<C>): NotificationTarget;
  event(r: EventRow<C>): SystemEvent;
}

/** The RowReader of an adapter whose driver's values `d` decodes. */
export function rowReader<C extends ColumnTypes>(d: RowDecoder<C>): RowReader<C> {
  const timeOrEpoch = (value: C['time'] | null): string => (value === null ? EPOCH : d.time(value));
  const timeOrNull = (value: C['time'] | null): string | null => (value === null ? null : d.time(value));
  const field = agentFieldReader(d);
  const agentInfo = agentInfoReader(field);

  const state = (r: StateColumns<C>): AgentState => {
    if (!d.flag(r.has_state)) {
      return { health_score: 0, status_reason: 'no_data', last_metrics_at: null, last_heartbeat_at: null, last_health_at: null, snapshot: {} };
    }
    return {
      health_score: r.health_score ?? 0,
      status_reason: r.status_reason,
      last_metrics_at: timeOrNull(r.last_metrics_at),
      last_heartbeat_at: timeOrNull(r.last_heartbeat_at),
      last_health_at: timeOrNull(r.last_health_at),
      snapshot: asRecord(d.json(r.snapshot)),
    };
  };

  const config = (agentId: string, r: ConfigColumns<C>): MonitoringConfig =>
    configFromColumns(agentId, r, d.json(r.thresholds), d.json(r.retention_settings));

  return {
    agent: (r) => ({ ...agentInfo(r), state: state(r) }),

    listRow: (r) => {
      const hasState = d.flag(r.has_state);
      return {
        id: field(r, 'id'),
        name: field(r, 'name'),
        type: field(r, 'type'),
        status: field(r, 'status'),
        last_seen: field(r, 'last_seen'),
        environment: field(r, 'environment'),
        health_score: hasState ? (r.health_score ?? 0) : 0,
        host: field(r, 'host'),
        version: field(r, 'version'),
        deployment_type: field(r, 'deployment_type'),
        tags: field(r, 'tags'),
        status_reason: hasState ? r.status_reason : 'no_data',
      };
    },

    ingest: (r) => ({
      id: r.id,
      name: r.name,
      keyHash: r.key_hash,
      environment: r.environment,
      deployment_type: r.deployment_type,
      type: r.type,
      version: r.version,
      host: r.host,
      status: r.status ?? 'unknown',
      config: config(r.id, r),
      state: state(r),
    }),

    config: (r) => config(r.agent_id, r),

    healthCheck: (r) => ({
      name: r.name,
      status: d.flag(r.status),
      message: r.message,
      timestamp: d.time(r.timestamp),
      execution_time_ms: r.execution_time_ms,
    }),

    alert: (r) => ({
      id: r.id,
      agent_id: r.agent_id ?? '',
      severity: r.severity,
      title: r.title,
      message: r.message,
      metric_name: r.metric_name,
      threshold: r.threshold,
      current_value: r.current_value,
      created_at: timeOrEpoch(r.created_at),
      resolved_at: timeOrNull(r.resolved_at),
      is_active: r.is_active === null ? true : d.flag(r.is_active),
      fingerprint: r.fingerprint,
      acknowledged_at: timeOrNull(r.acknowledged_at),
      acknowledged_by: r.acknowledged_by,
      ack_comment: r.ack_comment,
      updated_at: d.time(r.updated_at),
      last_notified_at: timeOrNull(r.last_notified_at),
    }),

    target: (r) => ({ id: r.id, name: r.name, kind: r.kind, url: r.url, enabled: d.flag(r.enabled), created_at: d.time(r.created_at) }),

    event: (r) => ({
      id: r.id,
      type: r.type,
      agent_id: r.agent_id,
      timestamp: timeOrEpoch(r.timestamp),
      data: asRecord(d.json(r.data)),
      severity: r.severity ?? 'info',
      message: r.message,
      source: r.source ?? 'monitor_system',
    }),
  };
}

// ------------------------------------------------------------------ encoding

export function isoOrNull(value: string | null): string | null {
  return value === null ? null : toUtcIso(value);
}

/** What a state write sets in agents: last_seen as ISO UTC and status, each null to keep the stored one. */
export function seenValues(write: AgentStateWrite): { agent_id: string; last_seen: string | null; status: AgentStatus | null } {
  return { agent_id: write.agent_id, last_seen: write.last_seen === undefined ? null : toUtcIso(write.last_seen), status: write.status ?? null };
}

/** The values of an agent_state row, times as ISO UTC, the snapshot as `json` encodes it. */
export function stateValues<J>(agentId: string, state: AgentState, json: (snapshot: Record<string, unknown>) => J) {
  return {
    agent_id: agentId,
    health_score: state.health_score,
    status_reason: state.status_reason,
    last_metrics_at: isoOrNull(state.last_metrics_at),
    last_heartbeat_at: isoOrNull(state.last_heartbeat_at),
    last_health_at: isoOrNull(state.last_health_at),
    snapshot: json(state.snapshot),
  };
}

/** `%`, `_` and the escape character itself match literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The values of a config row by column (JSON documents as text), booleans as `flag` encodes them. */
export function configValues<F>(config: MonitoringConfig, flag: (value: boolean) => F): Record<ConfigColumn, number | string | F> {
  const documents = configDocuments(config);
  return {
    metrics_interval_seconds: config.metrics_interval_seconds,
    health_check_interval_seconds: config.health_check_interval_seconds,
    enable_resource_monitoring: flag(config.enable_resource_monitoring),
    enable_performance_monitoring: flag(config.enable_performance_monitoring),
    enable_ai_monitoring: flag(config.enable_ai_monitoring),
    thresholds: JSON.stringify(documents.thresholds),
    retention_settings: JSON.stringify(documents.retention_settings),
  };
}

/** The values of an alert row in ALERT_COLUMN_NAMES order, times as ISO UTC, is_active as `flag` encodes it. */
export function alertValues<F>(alert: AlertRecord, flag: (value: boolean) => F): Record<AlertColumn, unknown> {
  return {
    id: alert.id,
    agent_id: alert.agent_id,
    severity: alert.severity,
    title: alert.title,
    message: alert.message,
    metric_name: alert.metric_name,
    threshold: alert.threshold,
    current_value: alert.current_value,
    created_at: toUtcIso(alert.created_at),
    resolved_at: isoOrNull(alert.resolved_at),
    is_active: flag(alert.is_active),
    fingerprint: alert.fingerprint,
    acknowledged_at: isoOrNull(alert.acknowledged_at),
    acknowledged_by: alert.acknowledged_by,
    ack_comment: alert.ack_comment,
    updated_at: toUtcIso(alert.updated_at),
    last_notified_at: isoOrNull(alert.last_notified_at),
  };
}
