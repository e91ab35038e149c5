/**
 * The dashboard's and the live stream's shapes: what fills DashboardData's open dictionaries, and
 * the messages of `GET /api/v1/events/stream` (Server-Sent Events).
 */
import { Type, type Static } from 'typebox';
import { DateTime, Nullable, StringEnum } from './common.js';
import { AGENT_STATUSES, AGENT_TYPES, ALERT_SEVERITIES } from './enums.js';
import { AlertDetail } from './api.js';
import { SystemEvent } from './models.js';

const counts = <T extends readonly string[]>(keys: T, description: string) =>
  Type.Object(Object.fromEntries(keys.map((k) => [k, Type.Integer({ minimum: 0 })])) as Record<T[number], ReturnType<typeof Type.Integer>>, {
    description,
  });

/** DashboardData.summary. */
export const DashboardSummary = Type.Object({
  agents_total: Type.Integer({ minimum: 0 }),
  agents_by_status: counts(AGENT_STATUSES, 'Agents per status (every status present)'),
  agents_by_type: counts(AGENT_TYPES, 'Agents per type (every type present)'),
  agents_by_environment: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  active_alerts_total: Type.Integer({ minimum: 0 }),
  active_alerts_by_severity: counts(ALERT_SEVERITIES, 'Active alerts per severity'),
  fleet: Type.Object(
    {
      tasks_completed: Type.Number({ minimum: 0 }),
      tasks_failed: Type.Number({ minimum: 0 }),
      throughput_per_second: Type.Number({ minimum: 0 }),
      error_rate: Type.Number({ minimum: 0, maximum: 1, description: 'tasks_failed / (tasks_completed + tasks_failed), 0 when none' }),
      tokens_per_second: Type.Number({ minimum: 0 }),
      average_health_score: Type.Number({ minimum: 0, maximum: 1 }),
    },
    { description: "Totals over each agent's latest payload" },
  ),
});
/** DashboardData.summary. */
export type DashboardSummary = Static<typeof DashboardSummary>;

/** DashboardData.system_metrics: agentmon's own figures. */
export const SystemMetrics = Type.Object({
  version: Type.String(),
  storage: Type.String({ description: 'sqlite or postgres' }),
  uptime_seconds: Type.Integer({ minimum: 0 }),
  ingest_rate_per_second: Type.Number({ minimum: 0, description: 'Payloads per second over the last minute' }),
  payloads_received: Type.Integer({ minimum: 0, description: 'Payloads since this process started' }),
  points_stored: Type.Integer({ minimum: 0, description: 'Payloads in the series store' }),
  store_bytes: Nullable(Type.Integer({ minimum: 0 })),
  stream_clients: Type.Integer({ minimum: 0 }),
});
/** DashboardData.system_metrics. */
export type SystemMetrics = Static<typeof SystemMetrics>;

/** A point of a fleet-wide trend. */
export const TrendPoint = Type.Object({ timestamp: DateTime(), value: Nullable(Type.Number()) });
/** A point of a fleet-wide trend. */
export type TrendPoint = Static<typeof TrendPoint>;

/** The series DashboardData.performance_trends carries (fleet averages per bucket). */
export const TREND_METRICS = [
  'cpu_usage_percent',
  'memory_usage_percent',
  'average_response_time_ms',
  'error_rate',
  'throughput_per_second',
  'tokens_per_second',
] as const;


/** `event: alert`: an alert fired, escalated or resolved. */
export const AlertStreamData = Type.Object({
  kind: StringEnum(['fired', 'escalated', 'resolved'] as const),
  alert: AlertDetail,
});
/** `event: alert`. */
export type AlertStreamData = Static<typeof AlertStreamData>;

/** `event: status`: an agent's status or score moved. */
export const StatusStreamData = Type.Object({
  agent_id: Type.String(),
  status: StringEnum(AGENT_STATUSES),
  previous_status: StringEnum(AGENT_STATUSES),
  reason: Nullable(Type.String()),
  health_score: Type.Number({ minimum: 0, maximum: 1 }),
  last_seen: Nullable(DateTime()),
});
/** `event: status`. */
export type StatusStreamData = Static<typeof StatusStreamData>;

/** `event: metrics`: a compact tick per agent per accepted payload (its latest one in a batch). */
export const MetricsStreamData = Type.Object({
  agent_id: Type.String(),
  timestamp: DateTime(),
  health_score: Type.Number({ minimum: 0, maximum: 1 }),
  status: StringEnum(AGENT_STATUSES),
  cpu_usage_percent: Type.Number(),
  memory_usage_percent: Type.Number(),
  error_rate: Nullable(Type.Number()),
  average_response_time_ms: Nullable(Type.Number()),
  throughput_per_second: Nullable(Type.Number()),
  tokens_per_second: Nullable(Type.Number()),
  tasks_completed: Nullable(Type.Number()),
  tasks_failed: Nullable(Type.Number()),
});
/** `event: metrics`. */
export type MetricsStreamData = Static<typeof MetricsStreamData>;

/** `event: system_event`: a SystemEvent as stored. */
export const SystemEventStreamData = Type.Required(SystemEvent);
/** `event: system_event`. */
export type SystemEventStreamData = Static<typeof SystemEventStreamData>;

/** The data of each kind of live stream message: what the server publishes and a client reads. */
export interface StreamData {
  system_event: SystemEventStreamData;
  alert: AlertStreamData;
  status: StatusStreamData;
  metrics: MetricsStreamData;
}

/** `POST /api/v1/events/stream-token`: a short-lived token for EventSource (which cannot send headers). */
export const StreamToken = Type.Object({
  token: Type.String({ description: 'Pass as ?token= to GET /api/v1/events/stream' }),
  expires_at: DateTime(),
});
/** A short-lived stream token. */
export type StreamToken = Static<typeof StreamToken>;
