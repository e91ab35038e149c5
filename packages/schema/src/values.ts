/**
 * The seed's enums and the API's other closed lists, as value lists and string-literal types: no
 * TypeBox here, so a browser bundle (the dashboard, through `@agentmon/schema/plain`) takes them as
 * they are. enums.ts makes the schemas of them.
 */
/** Types of agents that can be monitored. */
export const AGENT_TYPES = ['llm_agent', 'ml_model', 'chatbot', 'api_agent', 'workflow_agent', 'custom'] as const;
/** Types of agents that can be monitored. */
export type AgentType = (typeof AGENT_TYPES)[number];

/** Current status of an agent. */
export const AGENT_STATUSES = ['online', 'offline', 'warning', 'error', 'maintenance', 'unknown'] as const;
/** Current status of an agent. */
export type AgentStatus = (typeof AGENT_STATUSES)[number];
/**
 * Agent statuses worst first: the order of `sort=status` and of every list of statuses people read
 * (an agent in error or offline needs a look before one in warning; online is last).
 */
export const AGENT_STATUS_ORDER = ['error', 'offline', 'warning', 'unknown', 'maintenance', 'online'] as const satisfies readonly AgentStatus[];

/** Where the agent is deployed. */
export const DEPLOYMENT_TYPES = ['docker', 'kubernetes', 'local', 'cloud', 'serverless'] as const;
/** Where the agent is deployed. */
export type DeploymentType = (typeof DEPLOYMENT_TYPES)[number];

/** Types of metrics. */
export const METRIC_TYPES = ['counter', 'gauge', 'histogram', 'summary'] as const;
/** Types of metrics. */
export type MetricType = (typeof METRIC_TYPES)[number];

/** Types of events in the system. */
export const EVENT_TYPES = [
  'agent_registered',
  'agent_deregistered',
  'agent_status_changed',
  'metric_threshold_exceeded',
  'health_check_failed',
  'system_error',
] as const;
/** Types of events in the system. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Alert severities (the seed's `critical, warning, info`). */
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
/** Alert severities. */
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Event severities (the seed's `info, warning, error, critical`). */
export const EVENT_SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
/** Event severities. */
export type EventSeverity = (typeof EVENT_SEVERITIES)[number];

/** Aggregations a metrics query may ask for. */
export const AGGREGATIONS = ['avg', 'sum', 'max', 'min', 'count', 'last'] as const;
/** Aggregations a metrics query may ask for. */
export type Aggregation = (typeof AGGREGATIONS)[number];

/** What an empty bucket shows in an aggregated metrics query. */
export const FILL_MODES = ['none', 'null', 'zero', 'previous'] as const;
/** What an empty bucket shows in an aggregated metrics query. */
export type FillMode = (typeof FILL_MODES)[number];

/** How a metrics query groups series: per agent, or all agents merged. */
export const GROUP_BY_MODES = ['agent', 'none'] as const;
/** How a metrics query groups series. */
export type GroupByMode = (typeof GROUP_BY_MODES)[number];

/** Kinds of live stream messages (the SSE `event:` field). */
export const STREAM_EVENT_KINDS = ['system_event', 'alert', 'status', 'metrics'] as const;
/** Kinds of live stream messages. */
export type StreamEventKind = (typeof STREAM_EVENT_KINDS)[number];

/** Kinds of notification target: generic JSON webhook, a Slack incoming-webhook payload, or Alertmanager's API v2. */
export const NOTIFICATION_TARGET_KINDS = ['webhook', 'slack', 'alertmanager'] as const;
/** A notification target's kind. */
export type NotificationTargetKind = (typeof NOTIFICATION_TARGET_KINDS)[number];
