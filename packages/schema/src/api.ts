/**
 * Shapes of the HTTP API beyond the seed's models: the error body, pages, query strings,
 * update bodies and ingest receipts.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { AnyMap, DateTime, Nullable, StringEnum } from './common.js';
import { AGENT_STATUSES, AGENT_TYPES, EVENT_SEVERITIES, EVENT_TYPES, ALERT_SEVERITIES, NOTIFICATION_TARGET_KINDS } from './enums.js';
import { AgentInfo, AgentSummary, Alert, HealthResponse } from './models.js';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** One bad field: a JSON pointer into the request (`/body/resource_metrics/cpu_usage_percent`) and what is wrong. */
export const ErrorDetail = Type.Object({
  path: Type.String({ description: 'JSON pointer to the bad value, prefixed by the request part (body, query, params)' }),
  message: Type.String(),
});
/** One bad field. */
export type ErrorDetail = Static<typeof ErrorDetail>;

/** Every error agentmon answers: a stable code, a sentence, and the bad fields. */
export const ErrorBody = Type.Object(
  {
    error: StringEnum(Object.keys(ERROR_CODES) as ErrorCode[], { description: 'Stable error code (ERROR_CODES gives each its HTTP status)' }),
    message: Type.String(),
    details: Type.Array(ErrorDetail),
  },
  { description: 'Error body' },
);
/** Every error agentmon answers. */
export type ErrorBody = Static<typeof ErrorBody>;

/** Largest page a list route serves. */
export const MAX_PAGE_SIZE = 200;
/** Highest page number a list takes (beyond it the offset would not fit the stores' integers). */
export const MAX_PAGE = 1_000_000_000;

/** A page of items. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    total: Type.Integer({ minimum: 0 }),
    page: Type.Integer({ minimum: 1 }),
    page_size: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE }),
  });

/** Ways to sort the agent list; a leading `-` sorts descending. */
export const AGENT_SORT_KEYS = ['name', 'last_seen', 'status', 'health_score', 'registered_at', 'environment', 'type'] as const;
/** Ways to sort the agent list. */
export type AgentSortKey = (typeof AGENT_SORT_KEYS)[number];

/** Query string of `GET /agents`. */
export const AgentListQuery = Type.Object({
  status: Type.Optional(StringEnum(AGENT_STATUSES)),
  type: Type.Optional(StringEnum(AGENT_TYPES)),
  environment: Type.Optional(Type.String({ maxLength: 50 })),
  tag: Type.Optional(Type.String({ maxLength: 255 })),
  q: Type.Optional(Type.String({ maxLength: 255, description: 'Case-insensitive substring of the name' })),
  sort: Type.Optional(
    StringEnum([...AGENT_SORT_KEYS, ...AGENT_SORT_KEYS.map((k) => `-${k}` as const)], {
      description: 'Sort key; a leading - sorts descending (default name). status sorts worst first: error, offline, warning, unknown, maintenance, online',
    }),
  ),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 })),
});
/** Query string of `GET /agents`. */
export type AgentListQuery = Static<typeof AgentListQuery>;

/** A page of agent summaries. */
export const AgentPage = Page(AgentSummary);
/** A page of agent summaries. */
export type AgentPage = Static<typeof AgentPage>;

/** Query string of `GET /agents/resolve`: what a person typed for an agent. */
export const AgentResolveQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 255, description: 'An agent id, an unambiguous prefix of one, or a name' }),
  environment: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Only agents of this environment (a name is unique within one)' })),
});
/** Query string of `GET /agents/resolve`. */
export type AgentResolveQuery = Static<typeof AgentResolveQuery>;

/** How a typed agent reference matched. */
export const AGENT_REF_MATCHES = ['id', 'name', 'id_prefix'] as const;
/** How a typed agent reference matched. */
export type AgentRefMatch = (typeof AGENT_REF_MATCHES)[number];

/** `GET /agents/resolve`: the one agent a reference names, and how it matched. */
export const AgentResolved = Type.Object({
  agent: AgentSummary,
  matched_by: StringEnum(AGENT_REF_MATCHES),
});
/** `GET /agents/resolve`. */
export type AgentResolved = Static<typeof AgentResolved>;

/** Body of `PATCH /agents/:id`: the fields a person may change. */
export const AgentUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Nullable(Type.String())),
    port: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 65535 }))),
    config: Type.Optional(AnyMap()),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 })),
    metadata: Type.Optional(AnyMap()),
    status: Type.Optional(
      StringEnum(AGENT_STATUSES, {
        description: 'Only maintenance may be set; any other value ends maintenance and lets agentmon derive the status again',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
/** Body of `PATCH /agents/:id`. */
export type AgentUpdate = Static<typeof AgentUpdate>;

/** The collection settings of an agent's MonitoringConfig, echoed to it so it follows changes. */
export const CollectionSettings = Type.Object({
  metrics_interval_seconds: Type.Integer({ minimum: 1, maximum: 3600 }),
  health_check_interval_seconds: Type.Integer({ minimum: 5, maximum: 300 }),
  enable_resource_monitoring: Type.Boolean(),
  enable_performance_monitoring: Type.Boolean(),
  enable_ai_monitoring: Type.Boolean(),
});
/** The collection settings of an agent's MonitoringConfig. */
export type CollectionSettings = Static<typeof CollectionSettings>;

/** Receipt of an accepted metrics payload or batch. */
export const IngestReceipt = Type.Object({
  accepted: Type.Integer({ minimum: 0, description: 'Payloads stored' }),
  series_points: Type.Integer({ minimum: 0, description: 'Numeric values stored, custom metrics included' }),
  agents: Type.Integer({ minimum: 0, description: 'Distinct agents in the request' }),
  config: Type.Optional(CollectionSettings),
});
/** Receipt of an accepted metrics payload or batch. */
export type IngestReceipt = Static<typeof IngestReceipt>;

/** Largest batch `POST /metrics` takes. */
export const MAX_METRICS_BATCH = 1000;

/** Receipt of a health report. */
export const HealthReceipt = Type.Object({
  config: Type.Optional(CollectionSettings),
  accepted: Type.Integer({ minimum: 0 }),
  failing: Type.Array(Type.String(), { description: 'Names of the checks that failed in this report' }),
  health_score: Type.Number({ minimum: 0, maximum: 1 }),
  status: StringEnum(AGENT_STATUSES),
});
/** Receipt of a health report. */
export type HealthReceipt = Static<typeof HealthReceipt>;

/** Query string of `GET /events`. */
export const EventListQuery = Type.Object({
  type: Type.Optional(StringEnum(EVENT_TYPES)),
  agent_id: Type.Optional(Type.String()),
  agent: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'An agent by id, unambiguous id prefix or name (as GET /agents/resolve); 404 when none, 409 when several match' })),
  severity: Type.Optional(StringEnum(EVENT_SEVERITIES)),
  since: Type.Optional(DateTime({ description: 'Only events at or after this time' })),
  until: Type.Optional(DateTime({ description: 'Only events before this time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
/** Query string of `GET /events`. */
export type EventListQuery = Static<typeof EventListQuery>;

/**
 * A time in a query string: an ISO 8601 date-time, epoch milliseconds, or relative to the server's
 * clock (`now`, `now-1h`), so Grafana's `${__from}` and a shell's "last hour" need no conversion.
 * The server checks the form (a schema pattern could not say which part is wrong).
 */
const QueryTime = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 64,
    description: `${description}: ISO 8601 (2026-01-31T12:00:00Z), epoch milliseconds (1769860800000), or now, now-<duration>, now+<duration> (now-1h; units ms, s, m, h, d, w)`,
  });

/** Query string of `GET /metrics/query`: MetricsQuery with lists comma-separated, times in more forms. */
export const MetricsQueryString = Type.Object({
  agent_ids: Type.Optional(Type.String({ description: 'Comma-separated agent ids' })),
  start_time: QueryTime('Start of the range'),
  end_time: QueryTime('End of the range'),
  metric_names: Type.Optional(Type.String({ description: 'Comma-separated metric names' })),
  aggregation: Type.Optional(Type.String()),
  interval: Type.Optional(Type.String()),
  group_by: Type.Optional(Type.String()),
  fill: Type.Optional(Type.String()),
});
/** Query string of `GET /metrics/query`. */
export type MetricsQueryString = Static<typeof MetricsQueryString>;

/** Orders of `GET /alerts`. */
export const ALERT_SORT_KEYS = ['-created_at', 'severity'] as const;
/** An order of `GET /alerts`. */
export type AlertSortKey = (typeof ALERT_SORT_KEYS)[number];

/** Query string of `GET /alerts`. */
export const AlertListQuery = Type.Object({
  active: Type.Optional(Type.Boolean()),
  acknowledged: Type.Optional(Type.Boolean({ description: 'true: only acknowledged alerts; false: only those nobody acknowledged' })),
  severity: Type.Optional(StringEnum(ALERT_SEVERITIES)),
  agent_id: Type.Optional(Type.String()),
  agent: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'An agent by id, unambiguous id prefix or name (as GET /agents/resolve); 404 when none, 409 when several match' })),
  sort: Type.Optional(
    StringEnum(ALERT_SORT_KEYS, {
      description: '-created_at (default): newest first; severity: active first, then critical, warning, info, newest first within each',
    }),
  ),
  since: Type.Optional(DateTime()),
  until: Type.Optional(DateTime()),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 })),
});
/** Query string of `GET /alerts`. */
export type AlertListQuery = Static<typeof AlertListQuery>;

/** One term of the health score (see the README's formula). */
export const HealthComponent = Type.Object({
  name: Type.String(),
  value: Type.Number({ minimum: 0, maximum: 1 }),
  weight: Type.Number({ minimum: 0, maximum: 1 }),
  detail: Type.String(),
});
/** One term of the health score. */
export type HealthComponent = Static<typeof HealthComponent>;

/** `GET /agents/:id`: the seed's AgentInfo plus what agentmon derives. */
export const AgentDetail = Type.Object(
  {
    ...Type.Required(AgentInfo).properties,
    health_score: Type.Number({ minimum: 0, maximum: 1 }),
    status_reason: Nullable(Type.String({ description: 'Why the status is what it is (no_data, data_received, maintenance, ...)' })),
    health_components: Type.Array(HealthComponent),
    custom_metric_names: Type.Array(Type.String(), {
      description: 'Numeric custom metrics of its latest payload that had any, flattened (query them as custom.<name>)',
    }),
  },
  { description: 'AgentInfo plus health score, status reason, score components and custom metric names' },
);
/** `GET /agents/:id`. */
export type AgentDetail = Static<typeof AgentDetail>;

/** `GET /agents/:id/health`: the seed's HealthResponse plus the score's parts. */
export const HealthDetail = Type.Object({
  ...HealthResponse.properties,
  status_reason: Nullable(Type.String()),
  health_components: Type.Array(HealthComponent),
  last_heartbeat: Nullable(DateTime()),
  last_metrics: Nullable(DateTime()),
});
/** `GET /agents/:id/health`. */
export type HealthDetail = Static<typeof HealthDetail>;

/** An alert as agentmon serves it: the seed's Alert plus identity, acknowledgement and bookkeeping. */
export const AlertDetail = Type.Object(
  {
    ...Type.Required(Alert).properties,
    fingerprint: Type.String({ description: 'Stable identity: first 16 hex digits of sha256("<agent_id>\\n<metric_name>")' }),
    acknowledged_at: Nullable(DateTime()),
    acknowledged_by: Nullable(Type.String()),
    ack_comment: Nullable(Type.String()),
    updated_at: DateTime(),
    last_notified_at: Nullable(DateTime()),
  },
  { description: 'Alert, plus fingerprint, acknowledgement and notification bookkeeping' },
);
/** An alert as agentmon serves it. */
export type AlertDetail = Static<typeof AlertDetail>;

/** Body of `POST /alerts/:id/ack`. */
export const AlertAck = Type.Object(
  {
    by: Type.String({ minLength: 1, maxLength: 255, description: 'Who acknowledges' }),
    comment: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  },
  { additionalProperties: false },
);
/** Body of `POST /alerts/:id/ack`. */
export type AlertAck = Static<typeof AlertAck>;


/** Body of `POST /notifications`. */
export const NotificationTargetCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'What people call this target' }),
    kind: StringEnum(NOTIFICATION_TARGET_KINDS, {
      description: 'webhook: generic JSON; slack: Slack incoming-webhook payload; alertmanager: Alertmanager API v2 alerts (POST /api/v2/alerts)',
    }),
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'http(s) URL the messages are POSTed to; for alertmanager its alerts endpoint, e.g. http://alertmanager:9093/api/v2/alerts',
    }),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false, description: 'A new notification target' },
);
/** Body of `POST /notifications`. */
export type NotificationTargetCreate = Static<typeof NotificationTargetCreate>;

/** A notification target as listed (`/notifications`): where alert messages go. */
export const NotificationTargetView = Type.Object(
  {
    id: Type.String({ description: 'UUID, or config-<n> for a target from the server config' }),
    name: Type.String(),
    kind: StringEnum(NOTIFICATION_TARGET_KINDS),
    url: Type.String({ description: 'The URL; for config targets only its origin (the path is often the secret)' }),
    enabled: Type.Boolean(),
    source: StringEnum(['api', 'config'] as const, { description: 'api: made here, deletable; config: from the server config' }),
    created_at: Nullable(DateTime({ description: 'null for config targets' })),
  },
  { description: 'A notification target' },
);
/** A notification target as listed. */
export type NotificationTargetView = Static<typeof NotificationTargetView>;

/** Answer of `POST /notifications/:id/test`. */
export const NotificationTestResult = Type.Object(
  {
    ok: Type.Boolean({ description: 'The target answered with a status below 400' }),
    status: Nullable(Type.Integer({ description: 'HTTP status; null when no answer came' })),
    error: Nullable(Type.String({ description: 'Why it failed' })),
  },
  { description: 'Outcome of one test message' },
);
/** Answer of `POST /notifications/:id/test`. */
export type NotificationTestResult = Static<typeof NotificationTestResult>;

const StoreKinds = Type.Object({ metadata: Type.String(), series: Type.String() }, { description: 'Which store each part runs on' });
/** Answer of `GET /readyz`: 200 when every store answers, 503 otherwise. */
export const Readiness = Type.Object({
  status: StringEnum(['ready', 'unavailable'] as const),
  stores: StoreKinds,
  data_dir: Type.Optional(Type.String({ description: "Embedded stores only: 'ok', or 'error: ...' when the data dir is gone, replaced, read-only or full" })),
});
/** Answer of `GET /readyz`. */
export type Readiness = Static<typeof Readiness>;

/** Answer of `GET /whoami`: what the calling token may do (the dashboard hides what it cannot). */
export const WhoAmI = Type.Object({
  role: StringEnum(['admin', 'viewer'] as const, { description: 'admin: everything; viewer: read-only (GET routes and the live stream)' }),
});
/** Answer of `GET /whoami`. */
export type WhoAmI = Static<typeof WhoAmI>;

/** A GenAI span an agent exported over OTLP whose status was ERROR. */
export const FailedSpan = Type.Object(
  {
    trace_id: Type.String({ description: 'Hex trace id' }),
    span_id: Type.String({ description: 'Hex span id' }),
    parent_span_id: Type.Union([Type.String(), Type.Null()]),
    name: Type.String(),
    operation: Type.Union([Type.String(), Type.Null()], { description: 'gen_ai.operation.name' }),
    start_time: Type.String({ format: 'date-time' }),
    end_time: Type.String({ format: 'date-time' }),
    duration_ms: Type.Number({ minimum: 0 }),
    status_message: Type.String({ description: 'The span status message' }),
    attributes: Type.Record(Type.String(), Type.Unknown(), { description: 'The span attributes as sent' }),
  },
  { description: 'A GenAI span whose status was ERROR' },
);
/** A failed GenAI span. */
export type FailedSpan = Static<typeof FailedSpan>;

/** GET /agents/:id/failed-spans. */
export const FailedSpanList = Type.Object(
  {
    agent_id: Type.String(),
    items: Type.Array(FailedSpan, { description: 'Newest first, at most 50' }),
  },
  { description: 'The latest failed GenAI spans of an agent (kept in memory; none after a restart)' },
);
/** GET /agents/:id/failed-spans. */
export type FailedSpanList = Static<typeof FailedSpanList>;
