/**
 * The storage ports: the metadata ports (one per concern, MetadataStore their sum) and the
 * SeriesStore. Routes and services see only these interfaces; `storage/index.ts` is the one place
 * that picks an adapter (SQLite, PostgreSQL, ...). Every adapter passes the contract suites.
 *
 * Times cross these interfaces as epoch milliseconds (series) or ISO 8601 UTC strings (metadata),
 * never as driver-specific types.
 */
import type {
  Aggregation,
  AgentInfo,
  AgentSortKey,
  AgentStatus,
  AgentType,
  Alert,
  AlertSeverity,
  AlertSortKey,
  EventSeverity,
  EventType,
  GroupByMode,
  HealthCheck,
  MonitoringConfig,
  NotificationTargetKind,
  SystemEvent,
} from '@agentmon/schema';

// ------------------------------------------------------------------ metadata

/** What agentmon derives about an agent beyond the seed's AgentInfo, kept beside it. */
export interface AgentState {
  /** Health score in [0, 1] (engine/health.ts). */
  health_score: number;
  /** Why the status is what it is (`no_data`, `no_heartbeat`, `threshold:<metric>`, `maintenance`, ...). */
  status_reason: string | null;
  /** Server receive time of the last metrics payload, heartbeat and health report. */
  last_metrics_at: string | null;
  last_heartbeat_at: string | null;
  last_health_at: string | null;
  /** The latest values the health score reads, and its components (engine-owned JSON). */
  snapshot: Record<string, unknown>;
}

/** An agent as stored: the seed's AgentInfo plus derived state. */
export interface AgentRecord extends AgentInfo {
  state: AgentState;
}

/** A row of the agent list: the seed's AgentSummary plus a few fields a table shows. */
export interface AgentListRow {
  id: string;
  name: string;
  type: AgentType;
  status: AgentStatus;
  last_seen: string;
  environment: string;
  health_score: number;
  host: string;
  version: string;
  deployment_type: AgentInfo['deployment_type'];
  tags: string[];
  status_reason: string | null;
}

/** Agents per status, type and environment (only values that occur are keys). */
export interface AgentCounts {
  total: number;
  by_status: Record<string, number>;
  by_type: Record<string, number>;
  by_environment: Record<string, number>;
}

/** Filter, sort and page of the agent list. */
export interface AgentFilter {
  status?: AgentStatus;
  type?: AgentType;
  environment?: string;
  tag?: string;
  /** Case-insensitive substring of the name. */
  q?: string;
  /** Exactly this name (case-sensitive). */
  name?: string;
  /** Ids starting with this text, ignoring case. */
  idPrefix?: string;
  sort?: AgentSortKey;
  descending?: boolean;
  /** Zero-based offset and page length. */
  offset: number;
  limit: number;
}

/** Registration: the agent as the client sent it with defaults applied, its key's hash, and its event. */
export interface RegistrationWrite {
  /** Complete AgentInfo; `id` is the given one or a fresh UUID. */
  agent: AgentInfo;
  /** True when the client gave `id` itself (then registration is idempotent on that id). */
  idGiven: boolean;
  /**
   * sha256 hex of the new api_key, or a function giving it for the agent's final id (the key names
   * its agent, and a registration matched by name+environment+host learns the id only in the store).
   */
  keyHash: string | ((agentId: string) => string);
  /** Default MonitoringConfig, used only when the agent is new. */
  defaultConfig: MonitoringConfig;
  /** AGENT_REGISTERED event (its agent_id is set by the store to the final id). */
  event: SystemEvent;
}

/** Outcome of a registration. */
export type RegistrationResult =
  | { outcome: 'created' | 'updated'; agent: AgentRecord; config: MonitoringConfig }
  /** The given id belongs to one agent while name+environment+host belong to another. */
  | { outcome: 'conflict'; existingId: string };

/** Fields of an agent a person may change (PATCH). */
export interface AgentPatch {
  name?: string;
  version?: string;
  description?: string | null;
  port?: number | null;
  config?: Record<string, unknown>;
  tags?: string[];
  metadata?: Record<string, unknown>;
  status?: AgentStatus;
  status_reason?: string | null;
}

/** What the ingest path needs to know about an agent, fetched in one round trip per request. */
export interface IngestContext {
  id: string;
  /** The agent's name, for alert titles and messages. */
  name: string;
  keyHash: string | null;
  environment: string;
  deployment_type: AgentInfo['deployment_type'];
  /** The rest of what the Prometheus exposition's agent_info carries (registration writes them). */
  type: AgentType;
  version: string;
  host: string;
  status: AgentStatus;
  config: MonitoringConfig;
  state: AgentState;
}

/** The new derived state of one agent after ingest (or a sweep). */
export interface AgentStateWrite {
  agent_id: string;
  /** New last_seen (ISO); the store keeps the later of this and the stored one. */
  last_seen?: string;
  status?: AgentStatus;
  /** The derived state; absent: only last_seen and status are written (the state follows later). */
  state?: AgentState;
}

/**
 * An alert as agentmon keeps it: the seed's Alert plus its identity (fingerprint), acknowledgement
 * and notification bookkeeping.
 */
export interface AlertRecord extends Alert {
  /** Stable identity of what the alert is about: sha256 of agent_id and metric_name (engine/alerts.ts). */
  fingerprint: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  ack_comment: string | null;
  /** Last time the alert changed (value, severity, state). */
  updated_at: string;
  /** Last time a notification about it was sent; null if never. */
  last_notified_at: string | null;
}

/** Alert rows to write with a batch of agent states. */
export interface AlertWrites {
  /** New alerts. One active alert per fingerprint: an insert whose fingerprint already has an active alert is skipped. */
  insert: readonly AlertRecord[];
  /** Changed alerts (matched by id; every field but id is written). */
  update: readonly AlertRecord[];
}

/** A place notifications go. */
export interface NotificationTarget {
  id: string;
  name: string;
  /** webhook: generic JSON; slack: Slack-compatible incoming-webhook payload. */
  kind: NotificationTargetKind;
  url: string;
  enabled: boolean;
  created_at: string;
}

/** Filter of the alert list. */
export interface AlertFilter {
  agent_id?: string;
  active?: boolean;
  /** true: acknowledged ones only; false: unacknowledged ones only. */
  acknowledged?: boolean;
  /** Newest first (default), or active first, then by severity, newest first within each. */
  sort?: AlertSortKey;
  severity?: AlertSeverity;
  /** ISO bounds on created_at: since inclusive, until exclusive. */
  since?: string;
  until?: string;
  offset: number;
  limit: number;
}

/** Filter of the event history. */
export interface EventFilter {
  type?: EventType;
  agent_id?: string;
  severity?: EventSeverity;
  since?: string;
  until?: string;
  limit: number;
}

// ------------------------------------------------------------------ metadata ports, one per concern

/**
 * Opening, health and housekeeping of a metadata store: what the process that owns the store calls,
 * never a use case.
 */
export interface StoreLifecycle {
  /** Applies pending versioned migrations; returns the versions applied now. */
  migrate(): Promise<number[]>;
  /** Throws when the store cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Housekeeping the sweeper runs after retention: reclaims the space of rows rewritten on every
   * report where the database does not do it by itself. Returns what it did (empty: nothing).
   */
  maintain(): Promise<string[]>;
}

/**
 * Agents as people and registration see them: register, look up, list, count, change, delete.
 * Each write that also records an event writes it in the same transaction.
 */
export interface AgentStore {
  registerAgent(write: RegistrationWrite): Promise<RegistrationResult>;
  getAgent(id: string): Promise<AgentRecord | null>;
  /** The id of the oldest agent registered under this name+environment+host, or null. */
  findAgentId(name: string, environment: string, host: string): Promise<string | null>;
  listAgents(filter: AgentFilter): Promise<{ items: AgentListRow[]; total: number }>;
  /** How many agents there are per status, per type and per environment. */
  countAgents(): Promise<AgentCounts>;
  /** Applies a patch; returns null for an unknown agent. Events are written in the same transaction. */
  updateAgent(id: string, patch: AgentPatch, events: SystemEvent[]): Promise<AgentRecord | null>;
  /** Deletes an agent (cascading as the DDL says) and writes `event`; false for an unknown agent. */
  deleteAgent(id: string, event: SystemEvent): Promise<boolean>;
}

/**
 * The ingest path's view of agents: what a payload needs to know of its agent (key, config, state),
 * read in one round trip per request, and the derived state written back with the batch's alerts
 * and events. The hot path: SQLite serves it from memory (metadata-cache.ts).
 */
export interface IngestStore {
  /** Ingest context of each known id; unknown ids are absent from the map. */
  getIngestContexts(ids: readonly string[]): Promise<Map<string, IngestContext>>;
  /** Writes new derived states, events and alert changes in one transaction. */
  applyStates(writes: readonly AgentStateWrite[], events: readonly SystemEvent[], alerts?: AlertWrites): Promise<void>;
  /** Every agent's ingest context (the sweeper's view). */
  listIngestContexts(): Promise<IngestContext[]>;
}

/** Each agent's MonitoringConfig (one per agent, made at registration). */
export interface MonitoringConfigStore {
  getConfig(agentId: string): Promise<MonitoringConfig | null>;
  /** Replaces the config of a known agent; returns null for an unknown one. */
  putConfig(config: MonitoringConfig): Promise<MonitoringConfig | null>;
}

/** The latest result of each health check an agent reports. */
export interface HealthCheckStore {
  /** Keeps the latest result of each named check (upsert by agent and name). */
  saveHealthChecks(agentId: string, checks: readonly HealthCheck[]): Promise<void>;
  getHealthChecks(agentId: string): Promise<HealthCheck[]>;
}

/** Alerts one by one (acknowledgement, notification bookkeeping), their lists and their retention. */
export interface AlertStore {
  insertAlert(alert: AlertRecord): Promise<void>;
  /** Updates every field of an existing alert but its id. */
  updateAlert(alert: AlertRecord): Promise<void>;
  getAlert(id: string): Promise<AlertRecord | null>;
  /** Newest first. */
  listAlerts(filter: AlertFilter): Promise<{ items: AlertRecord[]; total: number }>;
  /** Every active alert of the given agents (all agents when null), in one query. */
  getActiveAlerts(agentIds: readonly string[] | null): Promise<AlertRecord[]>;
  /** Deletes at most `limit` resolved alerts of the agent created before `beforeIso`; returns how many went. */
  deleteResolvedAlertsBefore(agentId: string, beforeIso: string, limit: number): Promise<number>;
}

/** The event history (system_events): written, listed, and cut by retention. */
export interface EventStore {
  insertEvents(events: readonly SystemEvent[]): Promise<void>;
  /** Newest first. */
  listEvents(filter: EventFilter): Promise<SystemEvent[]>;
  /** Deletes at most `limit` events of the agent (null: events about no agent) before `beforeIso`. */
  deleteEventsBefore(agentId: string | null, beforeIso: string, limit: number): Promise<number>;
}

/** The notification targets people add through the API (those of the server config are not kept). */
export interface NotificationTargetStore {
  listNotificationTargets(): Promise<NotificationTarget[]>;
  getNotificationTarget(id: string): Promise<NotificationTarget | null>;
  insertNotificationTarget(target: NotificationTarget): Promise<void>;
  /** False when there was no such target. */
  deleteNotificationTarget(id: string): Promise<boolean>;
}

/** Small named JSON documents (dashboard config, prices, budgets and the like). */
export interface SettingStore {
  getSetting<T>(key: string): Promise<T | null>;
  putSetting(key: string, value: unknown): Promise<void>;
}

/** Named locks shared by every instance on the store, so periodic work runs on one at a time. */
export interface LockStore {
  /**
   * Takes the named lock shared by all instances on this store (PostgreSQL: a session advisory
   * lock), or returns null at once when another holder has it. The release function frees it.
   */
  tryLock(name: string): Promise<(() => Promise<void>) | null>;
}

/**
 * Configuration and metadata: agents, monitoring_configs, alerts, system_events (the seed's tables)
 * and agentmon's own, as every port above. What an adapter implements and what callers that need
 * several concerns take; a caller that needs one takes that port.
 */
export interface MetadataStore
  extends StoreLifecycle,
    AgentStore,
    IngestStore,
    MonitoringConfigStore,
    HealthCheckStore,
    AlertStore,
    EventStore,
    NotificationTargetStore,
    SettingStore,
    LockStore {}

// ------------------------------------------------------------------ series

/**
 * A store that cannot take more now without holding unbounded memory (its writes lag behind):
 * the request is refused whole, nothing is written, and the client retries after `retryAfterSeconds`.
 */
export class StoreBusyError extends Error {
  override name = 'StoreBusyError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Network errors of a connection to a store's server. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL's: shutting down, crashed, starting, too many connections (SQLSTATE class 08 is connection errors). */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** What pg says when the connection went away under a query or could not be made in time. */
const UNAVAILABLE_MESSAGE = /connection terminated|connection timeout|timeout exceeded when trying to connect|client has encountered a connection error|not queryable/i;

/**
 * Whether an error says a store's server cannot be reached now (down, restarting, its connection
 * cut), not that the request was wrong: such a request is answered 503 with Retry-After, and the
 * store's client reconnects by itself when the server is back.
 */
export function isStoreUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  // fetch (InfluxDB's client) says "fetch failed" and keeps the network error as its cause.
  return UNAVAILABLE_MESSAGE.test(err.message) || (err.cause !== err && isStoreUnavailable(err.cause));
}

/** One metrics payload as the series store keeps it. */
export interface SeriesPoint {
  agent_id: string;
  /** Payload timestamp, epoch ms. */
  ts: number;
  environment: string;
  deployment_type: string;
  /** Built-in series values (SERIES_METRIC_NAMES); null or absent when the payload had none. */
  values: Partial<Record<string, number | null>>;
  /** Numeric custom metrics, keyed by series name without the `custom.` prefix. */
  custom: Record<string, number>;
  /** The payload's custom_metrics, health_checks and alerts as sent (non-numeric values included). */
  extra: { custom_metrics: Record<string, unknown>; health_checks: Record<string, boolean>; alerts: string[] };
}

/** A metrics query, validated and normalised by the caller. */
export interface SeriesQuery {
  /** null: every agent. */
  agentIds: readonly string[] | null;
  /** Inclusive bounds, epoch ms. */
  startMs: number;
  endMs: number;
  /** Built-in names and `custom.<key>` names; never empty. */
  metrics: readonly string[];
  /** null with intervalMs null: raw points. */
  aggregation: Aggregation | null;
  /** Bucket width; buckets start at multiples of it since the epoch. null: one bucket over the range. */
  intervalMs: number | null;
  /** agent: a series per agent; none: all agents merged (rows have agent_id null). */
  groupBy: GroupByMode;
  /**
   * Raw queries only: the most rows the answer may hold. A store reads at most one row more and
   * throws AnswerTooLargeError when the answer would be larger, so no request builds an answer
   * of unbounded size.
   */
  maxRows?: number;
}

/** A raw answer larger than the query's `maxRows`: nothing is returned. */
export class AnswerTooLargeError extends Error {
  override name = 'AnswerTooLargeError';
  constructor(readonly maxRows: number) {
    super(`the answer holds more than ${maxRows} rows`);
  }
}

/** Throws AnswerTooLargeError when `rows` is over the query's `maxRows`. */
export function checkAnswerSize(q: SeriesQuery, rows: number): void {
  if (q.maxRows !== undefined && rows > q.maxRows) throw new AnswerTooLargeError(q.maxRows);
}

/** One answer row: a raw point, or a non-empty bucket stamped with its start (or startMs when intervalMs is null). */
export interface SeriesRow {
  agent_id: string | null;
  ts: number;
  values: Record<string, number | null>;
}

/**
 * The answer of `aggregation=last` without an interval, per agent, as a table: one row per agent of
 * `agents`, each stamped `ts` (the query's startMs, as a SeriesRow of that query is), with
 * `metrics.length` values: row a's value of metrics[m] is values[a * metrics.length + m], null
 * where present holds 0. The same rows as query() gives, without an object per row: a fleet's
 * latest values are tens of thousands.
 */
export interface LatestTable {
  ts: number;
  metrics: readonly string[];
  agents: readonly string[];
  values: Float64Array;
  present: Uint8Array;
}

/** Time-series metrics. */
export interface SeriesStore {
  migrate(): Promise<number[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Stores all points or none. */
  insert(points: readonly SeriesPoint[]): Promise<void>;
  /** Rows ordered by agent_id then ts (group_by none: by ts); empty buckets are absent. */
  query(query: SeriesQuery): Promise<SeriesRow[]>;
  /**
   * query()'s answer as a LatestTable, for a store that keeps every series' latest value in memory
   * (the series engine); null when the query is not `last` without an interval per agent, or
   * needs history.
   */
  queryLatest?(query: SeriesQuery): Promise<LatestTable | null>;
  /** Deletes every point of an agent; returns how many payloads went. */
  deleteAgent(agentId: string): Promise<number>;
  /** Deletes at most `limit` payloads of `agentId` older than `beforeMs`; returns how many went. */
  deleteOlderThan(agentId: string, beforeMs: number, limit: number): Promise<number>;
  /** Every agent id that has points (deregistered agents' included: retention needs them). */
  agentIds(): Promise<string[]>;
  /** The agents among `agentIds` (every agent when null) with a payload in [startMs, endMs]. */
  agentsWithPoints(agentIds: readonly string[] | null, startMs: number, endMs: number): Promise<string[]>;
  /** Payloads stored, and the store's size on disk when it can tell. */
  stats(): Promise<{ points: number; bytes: number | null }>;
  /**
   * What the store still has to do in the background, from memory (cheap enough for every scrape);
   * only a store that compacts by itself (the series engine) has it.
   */
  backlog?(): SeriesBacklog;
}

/** Background work of a store that compacts by itself. */
export interface SeriesBacklog {
  /** Payloads held in the head (memory and the log), not yet in a block. */
  headPayloads: number;
  /** Blocks on disk. */
  blocks: number;
  /** Blocks a merge has yet to compress and give rollup tiers (fresh head flushes). */
  unmergedBlocks: number;
}

// ------------------------------------------------------------------ fan-out

/** A message one instance shares with the others on the same store. */
export interface BroadcastMessage {
  /** The sending instance (so it ignores its own). */
  origin: string;
  kind: string;
  data: unknown;
}

/**
 * Fan-out between server instances sharing a store (PostgreSQL: LISTEN/NOTIFY). Stores that only
 * one process uses (SQLite) have none.
 */
export interface Broadcaster {
  /** Sends to every listening instance, this one included. */
  publish(message: BroadcastMessage): Promise<void>;
  /**
   * Starts listening; the returned function stops. A lost listening connection is made again by
   * the broadcaster itself: `error` hears each failure, `reconnected` each time listening resumed
   * (messages sent while it was away never arrive).
   */
  listen(handler: (message: BroadcastMessage) => void, hooks: BroadcastHooks): Promise<() => Promise<void>>;
}

/** What a listening broadcaster reports. */
export interface BroadcastHooks {
  error(err: Error): void;
  reconnected(): void;
}
