/**
 * The seed's pydantic models as TypeBox schemas: same names, fields, types, bounds, defaults and
 * descriptions. Fields with a default are optional on input and always present on output.
 */
import { Type, type Static } from 'typebox';
import { AnyMap, DateTime, Nullable, StringEnum, withoutDefaults } from './common.js';
import {
  AGENT_STATUSES,
  AGGREGATIONS,
  AgentStatus,
  AgentType,
  AlertSeverity,
  DeploymentType,
  EventSeverity,
  EventType,
  FILL_MODES,
  GROUP_BY_MODES,
} from './enums.js';
import { ModelUsageList } from './usage.js';
import { DASHBOARD_CONFIG_DEFAULTS, MONITORING_CONFIG_DEFAULTS } from './default-values.js';

const opt = Type.Optional;

/** An interval such as `10s`, `1m`, `5m`, `1h`, `1d`, `1w` (also `500ms`). */
export const INTERVAL_PATTERN = '^[1-9][0-9]{0,8}(ms|s|m|h|d|w)$';

// ---------------------------------------------------------------- 1. Agent information

/** Complete agent information. */
export const AgentInfo = Type.Object(
  {
    id: opt(Type.String({ minLength: 1, maxLength: 255, description: 'Agent identifier (a UUID when not given)' })),
    name: Type.String({ minLength: 1, maxLength: 255, description: 'Human-readable agent name' }),
    type: AgentType,
    version: Type.String({ minLength: 1, maxLength: 100, description: 'Agent version' }),
    description: opt(Nullable(Type.String({ description: 'Agent description' }))),
    deployment_type: DeploymentType,
    host: Type.String({ minLength: 1, maxLength: 255, description: 'Host machine or container ID' }),
    port: opt(Nullable(Type.Integer({ minimum: 0, maximum: 65535, description: 'Port if applicable' }))),
    environment: Type.String({ minLength: 1, maxLength: 50, description: 'Environment (dev/staging/prod)' }),
    config: opt(AnyMap({ default: {}, description: 'Agent configuration' })),
    tags: opt(Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100, default: [], description: 'Tags for categorization' })),
    registered_at: opt(DateTime()),
    last_seen: opt(DateTime()),
    status: opt(StringEnum(AGENT_STATUSES, { default: 'unknown', description: 'Current status of an agent' })),
    metadata: opt(AnyMap({ default: {}, description: 'Additional metadata' })),
  },
  { description: 'Complete agent information' },
);
/** Complete agent information, as stored and served. */
export type AgentInfo = Required<Static<typeof AgentInfo>>;
/** Agent information as a client may send it (defaults omitted). */
export type AgentInfoInput = Static<typeof AgentInfo>;

/** Lightweight agent summary for lists. */
export const AgentSummary = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    type: AgentType,
    status: AgentStatus,
    last_seen: DateTime(),
    environment: Type.String(),
    health_score: Type.Number({ minimum: 0, maximum: 1, description: 'Overall health score' }),
  },
  { description: 'Lightweight agent summary for lists' },
);
/** Lightweight agent summary for lists. */
export type AgentSummary = Static<typeof AgentSummary>;

// ---------------------------------------------------------------- 2. Metrics

/** System resource utilization metrics. */
export const ResourceMetrics = Type.Object(
  {
    cpu_usage_percent: Type.Number({ minimum: 0, maximum: 100 }),
    memory_usage_bytes: Type.Integer({ minimum: 0 }),
    memory_usage_percent: Type.Number({ minimum: 0, maximum: 100 }),
    disk_usage_bytes: Type.Integer({ minimum: 0 }),
    disk_io_read_bytes: opt(Type.Integer({ minimum: 0, default: 0 })),
    disk_io_write_bytes: opt(Type.Integer({ minimum: 0, default: 0 })),
    network_io_rx_bytes: opt(Type.Integer({ minimum: 0, default: 0 })),
    network_io_tx_bytes: opt(Type.Integer({ minimum: 0, default: 0 })),
    gpu_usage_percent: opt(Nullable(Type.Number({ minimum: 0, maximum: 100 }))),
    gpu_memory_usage_bytes: opt(Nullable(Type.Integer({ minimum: 0 }))),
  },
  { description: 'System resource utilization metrics' },
);
/** System resource utilization metrics. */
export type ResourceMetrics = Static<typeof ResourceMetrics>;

/** Performance and business logic metrics. */
export const PerformanceMetrics = Type.Object(
  {
    tasks_completed: opt(Type.Integer({ minimum: 0, default: 0 })),
    tasks_failed: opt(Type.Integer({ minimum: 0, default: 0 })),
    tasks_pending: opt(Type.Integer({ minimum: 0, default: 0 })),
    average_response_time_ms: opt(Type.Number({ minimum: 0, default: 0 })),
    throughput_per_second: opt(Type.Number({ minimum: 0, default: 0 })),
    error_rate: opt(Type.Number({ minimum: 0, maximum: 1, default: 0 })),
    success_rate: opt(Type.Number({ minimum: 0, maximum: 1, default: 1 })),
    uptime_seconds: opt(Type.Integer({ minimum: 0, default: 0 })),
  },
  { description: 'Performance and business logic metrics' },
);
/** Performance and business logic metrics. */
export type PerformanceMetrics = Static<typeof PerformanceMetrics>;

/** AI/ML specific metrics. */
export const AIMetrics = Type.Object(
  {
    model_inference_time_ms: opt(Nullable(Type.Number({ minimum: 0 }))),
    model_accuracy: opt(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
    confidence_score: opt(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
    tokens_processed: opt(Nullable(Type.Integer({ minimum: 0 }))),
    tokens_per_second: opt(Nullable(Type.Number({ minimum: 0 }))),
    context_length: opt(Nullable(Type.Integer({ minimum: 0 }))),
    api_calls_made: opt(Nullable(Type.Integer({ minimum: 0 }))),
    api_call_latency_ms: opt(Nullable(Type.Number({ minimum: 0 }))),
  },
  { description: 'AI/ML specific metrics' },
);
/** AI/ML specific metrics. */
export type AIMetrics = Static<typeof AIMetrics>;

/**
 * Bounds of a payload's lists, so one agent key cannot flood the server: each alert string becomes
 * an active alert, an event and a line in every webhook message, each failing check an alert too.
 */
export const PAYLOAD_LIMITS = {
  /** Alert strings per payload, and characters per string. */
  alerts: 100,
  alertText: 1000,
  /** Health checks per payload (as many as POST /health takes), and characters per check name. */
  healthChecks: 200,
  checkName: 200,
  /** Custom metrics per payload (top-level keys). */
  customMetrics: 200,
} as const;

/** Complete metrics payload from an agent. */
export const AgentMetrics = Type.Object(
  {
    agent_id: Type.String({ minLength: 1, maxLength: 255, description: 'Agent identifier' }),
    timestamp: opt(DateTime()),
    resource_metrics: ResourceMetrics,
    performance_metrics: PerformanceMetrics,
    ai_metrics: opt(Nullable(AIMetrics)),
    custom_metrics: opt(Type.Record(Type.String(), Type.Unknown(), { default: {}, maxProperties: PAYLOAD_LIMITS.customMetrics })),
    health_checks: opt(
      Type.Record(Type.String(), Type.Boolean(), {
        default: {},
        maxProperties: PAYLOAD_LIMITS.healthChecks,
        propertyNames: { maxLength: PAYLOAD_LIMITS.checkName },
      }),
    ),
    alerts: opt(Type.Array(Type.String({ maxLength: PAYLOAD_LIMITS.alertText }), { default: [], maxItems: PAYLOAD_LIMITS.alerts })),
    model_usage: opt(ModelUsageList),
  },
  { description: 'Complete metrics payload from an agent' },
);
/** Complete metrics payload from an agent (as sent; defaults may be absent). */
export type AgentMetrics = Static<typeof AgentMetrics>;

/** Query parameters for retrieving metrics. */
export const MetricsQuery = Type.Object(
  {
    agent_ids: opt(Nullable(Type.Array(Type.String(), { description: 'Filter by agent IDs' }))),
    start_time: DateTime({ description: 'Start time for query' }),
    end_time: DateTime({ description: 'End time for query' }),
    metric_names: opt(Nullable(Type.Array(Type.String(), { description: 'Specific metrics to retrieve' }))),
    aggregation: opt(
      Nullable(StringEnum(AGGREGATIONS, { description: 'Aggregation method (avg, sum, max, min, count, last)' })),
    ),
    interval: opt(
      Nullable(Type.String({ pattern: INTERVAL_PATTERN, description: 'Time interval for aggregation (10s, 1m, 5m, 1h, 1d)' })),
    ),
    group_by: opt(StringEnum(GROUP_BY_MODES, { description: 'agent (default): a series per agent; none: all agents merged' })),
    fill: opt(StringEnum(FILL_MODES, { description: 'What an empty bucket shows: none (default, no row), null, zero, previous' })),
  },
  { description: 'Query parameters for retrieving metrics' },
);
/** Query parameters for retrieving metrics. */
export type MetricsQuery = Static<typeof MetricsQuery>;

// ---------------------------------------------------------------- 3. Health & status

/** Individual health check result. */
export const HealthCheck = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255, description: 'Name of the health check' }),
    status: Type.Boolean({ description: 'Health check result' }),
    message: opt(Nullable(Type.String({ description: 'Additional information' }))),
    timestamp: opt(DateTime()),
    execution_time_ms: Type.Number({ minimum: 0, description: 'Time taken for check' }),
  },
  { description: 'Individual health check result' },
);
/** Individual health check result (as sent). */
export type HealthCheckInput = Static<typeof HealthCheck>;
/** Individual health check result (as stored and served). */
export type HealthCheck = Required<HealthCheckInput>;

/** Overall health status of an agent. */
export const HealthStatus = Type.Object(
  {
    agent_id: Type.String(),
    timestamp: opt(DateTime()),
    overall_status: AgentStatus,
    health_score: Type.Number({ minimum: 0, maximum: 1, description: 'Calculated health score' }),
    checks: opt(Type.Array(HealthCheck, { default: [] })),
    is_responsive: Type.Boolean({ description: 'Is the agent responding to requests' }),
    last_heartbeat: DateTime({ description: 'Last heartbeat received' }),
    uptime_seconds: Type.Integer({ minimum: 0, description: 'Current uptime' }),
  },
  { description: 'Overall health status of an agent' },
);
/** Overall health status of an agent. */
export type HealthStatus = Static<typeof HealthStatus>;

/** Alert/notification model. */
export const Alert = Type.Object(
  {
    id: opt(Type.String()),
    agent_id: Type.String(),
    severity: AlertSeverity,
    title: Type.String({ maxLength: 500, description: 'Alert title' }),
    message: Type.String({ description: 'Detailed alert message' }),
    metric_name: opt(Nullable(Type.String({ description: 'Related metric' }))),
    threshold: opt(Nullable(Type.Number({ description: 'Threshold that was breached' }))),
    current_value: opt(Nullable(Type.Number({ description: 'Current metric value' }))),
    created_at: opt(DateTime()),
    resolved_at: opt(Nullable(DateTime())),
    is_active: opt(Type.Boolean({ default: true })),
  },
  { description: 'Alert/notification model' },
);
/** Alert/notification model (as stored and served). */
export type Alert = Required<Static<typeof Alert>>;

// ---------------------------------------------------------------- 4. Configuration

/** Monitoring configuration for an agent. */
export const MonitoringConfig = Type.Object(
  {
    agent_id: Type.String(),
    metrics_interval_seconds: opt(Type.Integer({ minimum: 1, maximum: 3600, default: MONITORING_CONFIG_DEFAULTS.metrics_interval_seconds })),
    health_check_interval_seconds: opt(Type.Integer({ minimum: 5, maximum: 300, default: MONITORING_CONFIG_DEFAULTS.health_check_interval_seconds })),
    enable_resource_monitoring: opt(Type.Boolean({ default: MONITORING_CONFIG_DEFAULTS.enable_resource_monitoring })),
    enable_performance_monitoring: opt(Type.Boolean({ default: MONITORING_CONFIG_DEFAULTS.enable_performance_monitoring })),
    enable_ai_monitoring: opt(Type.Boolean({ default: MONITORING_CONFIG_DEFAULTS.enable_ai_monitoring })),
    cpu_threshold: opt(Type.Number({ minimum: 0, maximum: 100, default: MONITORING_CONFIG_DEFAULTS.cpu_threshold })),
    memory_threshold: opt(Type.Number({ minimum: 0, maximum: 100, default: MONITORING_CONFIG_DEFAULTS.memory_threshold })),
    error_rate_threshold: opt(Type.Number({ minimum: 0, maximum: 1, default: MONITORING_CONFIG_DEFAULTS.error_rate_threshold })),
    response_time_threshold_ms: opt(Type.Number({ minimum: 0, default: MONITORING_CONFIG_DEFAULTS.response_time_threshold_ms })),
    custom_thresholds: opt(Type.Record(Type.String(), Type.Number(), { default: {} })),
    metrics_retention_days: opt(Type.Integer({ minimum: 1, maximum: 365, default: MONITORING_CONFIG_DEFAULTS.metrics_retention_days })),
    logs_retention_days: opt(Type.Integer({ minimum: 1, maximum: 90, default: MONITORING_CONFIG_DEFAULTS.logs_retention_days })),
    // agentmon extensions: alert tuning (the README's alert semantics).
    critical_thresholds: opt(
      Type.Record(Type.String(), Type.Number(), {
        default: {},
        description: 'agentmon: level above which an alert is critical, by metric name (default min(2·T, (T + max)/2))',
      }),
    ),
    alert_pending_seconds: opt(
      Type.Integer({ minimum: 0, maximum: 86_400, default: MONITORING_CONFIG_DEFAULTS.alert_pending_seconds, description: 'agentmon: a breach must hold this long before it fires' }),
    ),
    alert_keep_firing_seconds: opt(
      Type.Integer({ minimum: 0, maximum: 86_400, default: MONITORING_CONFIG_DEFAULTS.alert_keep_firing_seconds, description: 'agentmon: a recovered alert keeps firing this long before it resolves' }),
    ),
    alert_recovery_ratio: opt(
      Type.Number({
        minimum: 0.5,
        maximum: 1,
        default: MONITORING_CONFIG_DEFAULTS.alert_recovery_ratio,
        description: 'agentmon: a firing alert resolves at or under threshold × this ratio (hysteresis)',
      }),
    ),
  },
  { description: 'Monitoring configuration for an agent (the seed model plus agentmon alert tuning)' },
);
/** Monitoring configuration for an agent (as stored and served). */
export type MonitoringConfig = Required<Static<typeof MonitoringConfig>>;

/**
 * The settable part of a MonitoringConfig, all optional (PUT and PATCH bodies). It carries no
 * defaults: a validator that fills defaults must not turn a PATCH of one field into a reset of all.
 */
export const MonitoringConfigUpdate = withoutDefaults(
  Type.Partial(MonitoringConfig, {
    description: 'MonitoringConfig fields to set; agent_id, when given, must name the agent in the path',
  }),
);
/** The settable part of a MonitoringConfig. */
export type MonitoringConfigUpdate = Static<typeof MonitoringConfigUpdate>;

/** Dashboard configuration. */
export const DashboardConfig = Type.Object(
  {
    refresh_interval_seconds: opt(Type.Integer({ minimum: 5, maximum: 300, default: DASHBOARD_CONFIG_DEFAULTS.refresh_interval_seconds })),
    default_time_range_hours: opt(Type.Integer({ minimum: 1, maximum: 168, default: DASHBOARD_CONFIG_DEFAULTS.default_time_range_hours })),
    max_agents_per_page: opt(Type.Integer({ minimum: 10, maximum: 200, default: DASHBOARD_CONFIG_DEFAULTS.max_agents_per_page })),
    enable_real_time_updates: opt(Type.Boolean({ default: DASHBOARD_CONFIG_DEFAULTS.enable_real_time_updates })),
    chart_types: opt(Type.Array(Type.String(), { default: [...DASHBOARD_CONFIG_DEFAULTS.chart_types] })),
  },
  { description: 'Dashboard configuration' },
);
/** Dashboard configuration (as stored and served). */
export type DashboardConfig = Required<Static<typeof DashboardConfig>>;

// ---------------------------------------------------------------- 5. API responses

/** Response after agent registration. */
export const RegisterResponse = Type.Object(
  {
    agent_id: Type.String(),
    status: Type.String({ description: 'registered (new agent) or updated (known agent)' }),
    message: Type.String(),
    monitoring_endpoints: Type.Record(Type.String(), Type.String()),
    config: MonitoringConfig,
    api_key: Type.String({ description: "The agent's own key, shown once; it only works for this agent's ingest routes" }),
  },
  { description: 'Response after agent registration' },
);
/** Response after agent registration. */
export type RegisterResponse = Static<typeof RegisterResponse>;

/** Response for metrics queries. */
export const MetricsResponse = Type.Object(
  {
    query: MetricsQuery,
    total_points: Type.Integer({ minimum: 0 }),
    agents: Type.Array(Type.String()),
    time_range: Type.Record(Type.String(), DateTime()),
    data: Type.Array(AnyMap()),
  },
  { description: 'Response for metrics queries' },
);
/** Response for metrics queries. */
export type MetricsResponse = Static<typeof MetricsResponse>;

/** Response for health status. */
export const HealthResponse = Type.Object(
  {
    agent_id: Type.String(),
    status: AgentStatus,
    health_score: Type.Number({ minimum: 0, maximum: 1 }),
    last_updated: DateTime(),
    checks: Type.Array(Type.Required(HealthCheck)),
    recent_alerts: Type.Array(Type.Required(Alert)),
  },
  { description: 'Response for health status' },
);
/** Response for health status. */
export type HealthResponse = Static<typeof HealthResponse>;

/** Complete dashboard data. */
export const DashboardData = Type.Object(
  {
    summary: AnyMap(),
    agents: Type.Array(AgentSummary),
    system_metrics: AnyMap(),
    active_alerts: Type.Array(Type.Required(Alert)),
    performance_trends: Type.Record(Type.String(), Type.Array(AnyMap())),
    timestamp: opt(DateTime()),
  },
  { description: 'Complete dashboard data' },
);
/** Complete dashboard data. */
export type DashboardData = Required<Static<typeof DashboardData>>;

// ---------------------------------------------------------------- 6. Events

/** System event model. */
export const SystemEvent = Type.Object(
  {
    id: opt(Type.String()),
    type: EventType,
    agent_id: opt(Nullable(Type.String())),
    timestamp: opt(DateTime()),
    data: opt(AnyMap({ default: {} })),
    severity: opt(EventSeverity),
    message: Type.String(),
    source: opt(Type.String({ default: 'monitor_system' })),
  },
  { description: 'System event model' },
);
/** System event model (as stored and served). */
export type SystemEvent = Required<Static<typeof SystemEvent>>;
