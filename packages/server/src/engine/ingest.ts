/**
 * What arriving data (or its absence) does to an agent: the series point a payload becomes, and
 * the agent's next state (snapshot, health score, alerts, status) with the events it raises. Pure:
 * data and a clock in, data out; services/monitor.ts does the I/O.
 */
import {
  CUSTOM_METRIC_PREFIX,
  RESOURCE_METRIC_NAMES,
  type AgentMetrics,
  type AgentStatus,
  type AlertSeverity,
  type EventType,
  type HealthCheck,
  type SystemEvent,
} from '@agentmon/schema';
import type { AgentState, AgentStateWrite, AlertRecord, IngestContext, SeriesPoint } from '../storage/ports.js';
import {
  AGENT_ALERT_PREFIX,
  BUILT_IN_RULES,
  HEALTH_CHECK_PREFIX,
  NO_DATA,
  evaluateConditions,
  evaluateRule,
  fireCondition,
  mergeChanges,
  noChanges,
  resolveCondition,
  thresholdRules,
  type AlertChanges,
  type RuleState,
  type ThresholdPass,
} from './alerts.js';
import { newEvent } from './events.js';
import { rememberModels } from './usage.js';
import { assessHealth, capScore, type HealthComponent, type HealthInputs } from './health.js';
import { deriveStatus, offlineAfterMs, statusCap } from './status.js';
import { clockIso, isoFromMs, parseDateTimeMs, parseIsoMs } from './time.js';

export { newEvent } from './events.js';

/** What the engine keeps in AgentState.snapshot: the score's inputs, its last components, rule memory. */
export interface AgentSnapshot {
  metrics: HealthInputs['metrics'];
  /** AgentMetrics.health_checks of the latest payload. */
  metric_checks: Record<string, boolean>;
  /** Latest result of each check reported to /health (dropped when a later payload reports the check). */
  reported_checks: Record<string, boolean>;
  /** Payload timestamp of the latest metrics, so an older payload arriving late does not replace it. */
  metrics_ts: string | null;
  components: HealthComponent[];
  /** Pending and keep-firing memory of each threshold rule. */
  rules: Record<string, RuleState>;
  /** Latest values the dashboard sums over the fleet (tasks, throughput, tokens). */
  latest: Record<string, number | null>;
  /** Keys of the numeric custom metrics (flattened, sorted) of the latest payload that had any: what the dashboard charts. */
  custom_names: string[];
  /** Series keys of the models the agent has reported usage of, most recent first (engine/usage.ts). */
  models: readonly string[];
}

/** Reads a stored snapshot, tolerating one written by an older version. */
export function readSnapshot(state: AgentState): AgentSnapshot {
  const s = state.snapshot as Partial<AgentSnapshot>;
  return {
    metrics: s.metrics ?? null,
    metric_checks: s.metric_checks ?? {},
    // A copy, so a reader that changes it does not change the state it was given.
    reported_checks: { ...(s.reported_checks ?? {}) },
    metrics_ts: s.metrics_ts ?? null,
    components: s.components ?? [],
    rules: s.rules ?? {},
    latest: s.latest ?? {},
    custom_names: s.custom_names ?? [],
    models: s.models ?? [],
  };
}

/** Server receive time of the agent's latest data of any kind, ms; null if it never sent any. */
export function lastDataAtMs(state: AgentState): number | null {
  // Math.max over the times there are (a missing one, from an old state, is NaN, as it always was).
  let latest: number | null = state.last_metrics_at === null ? null : parseIsoMs(state.last_metrics_at);
  if (state.last_heartbeat_at !== null) {
    const ms = parseIsoMs(state.last_heartbeat_at);
    latest = latest === null ? ms : Math.max(latest, ms);
  }
  if (state.last_health_at !== null) {
    const ms = parseIsoMs(state.last_health_at);
    latest = latest === null ? ms : Math.max(latest, ms);
  }
  return latest;
}

/** Millisecond timestamp of a payload: its own `timestamp`, else when it arrived. */
export function payloadTimeMs(payload: AgentMetrics, receivedAtMs: number): number {
  return payload.timestamp ? (parseDateTimeMs(payload.timestamp) ?? receivedAtMs) : receivedAtMs;
}

/**
 * Why a payload's time is outside what the server takes, or null. Ahead of the clock by more than
 * `futureMs`: an agent's state follows its newest payload, so one stamped a year ahead would make
 * every real payload after it "older" and stop its evaluation. Older than the agent's metrics
 * retention: it would fire alerts and be deleted by the next retention pass.
 */
export function timeWindowProblem(tsMs: number, nowMs: number, futureMs: number, retentionDays: number): string | null {
  if (tsMs > nowMs + futureMs) {
    return `is ${formatAhead(tsMs - nowMs)} ahead of the server's clock (${new Date(nowMs).toISOString()}); at most ${formatAhead(futureMs)} ahead is taken`;
  }
  if (tsMs < nowMs - retentionDays * 86_400_000) {
    return `is older than the agent's metrics retention (${retentionDays} days): it would be deleted at once`;
  }
  return null;
}

function formatAhead(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}

/** Flattens numeric custom metrics to series keys: `{llm: {calls: 3}}` gives `llm.calls`. Non-numbers are skipped. */
export function numericCustomMetrics(custom: Record<string, unknown>, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  for (const key of Object.keys(custom)) {
    const value = custom[key];
    const name = prefix + key;
    if (typeof value === 'number' && Number.isFinite(value)) out[name] = value;
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      numericCustomMetrics(value as Record<string, unknown>, `${name}.`, out);
    }
  }
  return out;
}

/** A metric field's value as a series value: the number, or null for anything else. */
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/**
 * The built-in values of a payload, by metric name (null where the payload has none), in
 * SERIES_METRIC_NAMES order. One literal, so each payload allocates one object of a fixed shape.
 */
export function payloadValues(payload: AgentMetrics): Record<string, number | null> {
  const r: Partial<Record<string, unknown>> | null | undefined = payload.resource_metrics;
  const p: Partial<Record<string, unknown>> | null | undefined = payload.performance_metrics;
  const a: Partial<Record<string, unknown>> | null | undefined = payload.ai_metrics;
  return {
    cpu_usage_percent: num(r?.cpu_usage_percent),
    memory_usage_bytes: num(r?.memory_usage_bytes),
    memory_usage_percent: num(r?.memory_usage_percent),
    disk_usage_bytes: num(r?.disk_usage_bytes),
    disk_io_read_bytes: num(r?.disk_io_read_bytes),
    disk_io_write_bytes: num(r?.disk_io_write_bytes),
    network_io_rx_bytes: num(r?.network_io_rx_bytes),
    network_io_tx_bytes: num(r?.network_io_tx_bytes),
    gpu_usage_percent: num(r?.gpu_usage_percent),
    gpu_memory_usage_bytes: num(r?.gpu_memory_usage_bytes),
    tasks_completed: num(p?.tasks_completed),
    tasks_failed: num(p?.tasks_failed),
    tasks_pending: num(p?.tasks_pending),
    average_response_time_ms: num(p?.average_response_time_ms),
    throughput_per_second: num(p?.throughput_per_second),
    error_rate: num(p?.error_rate),
    success_rate: num(p?.success_rate),
    uptime_seconds: num(p?.uptime_seconds),
    model_inference_time_ms: num(a?.model_inference_time_ms),
    model_accuracy: num(a?.model_accuracy),
    confidence_score: num(a?.confidence_score),
    tokens_processed: num(a?.tokens_processed),
    tokens_per_second: num(a?.tokens_per_second),
    context_length: num(a?.context_length),
    api_calls_made: num(a?.api_calls_made),
    api_call_latency_ms: num(a?.api_call_latency_ms),
  };
}

/*
 * The objects a step keeps in the agent's state (snapshot, its metrics and latest values, the
 * health components) are copies of a shape object, filled in field by field, not object literals.
 * V8 watches how long the objects of each literal live, and when it sees them outlive collections
 * (every agent's state is kept until its next payload, and at start-up nothing has died yet) it
 * allocates all later ones straight in the old generation, where each step's discarded state then
 * waits for a full collection: steps ran three times slower once that happened. A spread copy is
 * not watched, and costs what the literal does. The shapes are never changed (nor frozen: a frozen
 * source makes every copy take the slow path).
 */
const SNAPSHOT_SHAPE: Record<keyof AgentSnapshot, unknown> = {
  metrics: null,
  metric_checks: null,
  reported_checks: null,
  metrics_ts: null,
  components: null,
  rules: null,
  latest: null,
  custom_names: null,
  models: null,
};
const METRICS_SHAPE: Record<keyof NonNullable<AgentSnapshot['metrics']>, unknown> = {
  cpu_usage_percent: null,
  memory_usage_percent: null,
  error_rate: null,
  average_response_time_ms: null,
};
const FLEET_SHAPE: Record<(typeof FLEET_VALUES)[number], number | null> = {
  cpu_usage_percent: null,
  memory_usage_percent: null,
  error_rate: null,
  average_response_time_ms: null,
  throughput_per_second: null,
  tokens_per_second: null,
  tasks_completed: null,
  tasks_failed: null,
};

/** The payload's FLEET_VALUES, in that order (snapshot.latest). */
export function fleetValues(payload: AgentMetrics): Record<string, number | null> {
  const r: Partial<Record<string, unknown>> | null | undefined = payload.resource_metrics;
  const p: Partial<Record<string, unknown>> | null | undefined = payload.performance_metrics;
  const a: Partial<Record<string, unknown>> | null | undefined = payload.ai_metrics;
  const v = { ...FLEET_SHAPE };
  v.cpu_usage_percent = num(r?.cpu_usage_percent);
  v.memory_usage_percent = num(r?.memory_usage_percent);
  v.error_rate = num(p?.error_rate);
  v.average_response_time_ms = num(p?.average_response_time_ms);
  v.throughput_per_second = num(p?.throughput_per_second);
  v.tokens_per_second = num(a?.tokens_per_second);
  v.tasks_completed = num(p?.tasks_completed);
  v.tasks_failed = num(p?.tasks_failed);
  return v;
}

/** The series point a payload becomes. */
export function toSeriesPoint(
  payload: AgentMetrics,
  ctx: IngestContext,
  tsMs: number,
  healthScore: number | null,
  usage: Record<string, number> | null = null,
): SeriesPoint {
  const custom = payload.custom_metrics ?? {};
  const values = payloadValues(payload);
  values.health_score = healthScore;
  const customValues = numericCustomMetrics(custom);
  // Usage series are derived from model_usage: they replace a custom metric sent under the same key.
  if (usage !== null) Object.assign(customValues, usage);
  return {
    agent_id: ctx.id,
    ts: tsMs,
    environment: ctx.environment,
    deployment_type: ctx.deployment_type,
    values,
    custom: customValues,
    extra: { custom_metrics: custom, health_checks: payload.health_checks ?? {}, alerts: payload.alerts ?? [] },
  };
}

/** Something that arrived from an agent. */
export type Observation =
  | { kind: 'metrics'; payload: AgentMetrics; tsMs: number }
  | { kind: 'heartbeat' }
  | { kind: 'health'; checks: readonly HealthCheck[] };

/** Settings the state machine reads. */
export interface EngineSettings {
  offlineFactor: number;
  /** How far ahead of the server's clock a payload's timestamp may be, ms (default 5 min). */
  maxFutureMs?: number;
}

/** The agent's state after a step, and everything the step raised. */
export interface AgentStep {
  /** The step's write: always with the agent's new state. */
  write: AgentStateWrite & { state: AgentState };
  events: SystemEvent[];
  alerts: AlertChanges;
  score: number;
  status: AgentStatus;
  /** The status before this step. */
  previousStatus: AgentStatus;
}

type Condition = { on: boolean; title: string; message: string; severity: AlertSeverity; event?: EventType };

/** Values kept in the snapshot for fleet totals and live ticks. */
export const FLEET_VALUES = [
  'cpu_usage_percent',
  'memory_usage_percent',
  'error_rate',
  'average_response_time_ms',
  'throughput_per_second',
  'tokens_per_second',
  'tasks_completed',
  'tasks_failed',
] as const;

/** Most custom metric names kept for an agent's charts: a payload inventing keys must not grow its state without bound. */
const CUSTOM_NAMES_MAX = 50;

/**
 * The sorted numeric custom metric keys of a payload, or `previous` when they are the same (so the
 * snapshot shares it) or the payload has none (an agent that sends them now and then keeps its charts).
 */
function customNames(custom: Record<string, unknown> | undefined, previous: string[]): string[] {
  if (custom === undefined || !hasEntries(custom)) return previous;
  if (sameFlatNames(custom, previous)) return previous;
  const names = Object.keys(numericCustomMetrics(custom)).sort().slice(0, CUSTOM_NAMES_MAX);
  if (names.length === 0) return previous;
  return names.length === previous.length && names.every((n, i) => n === previous[i]) ? previous : names;
}

/**
 * True when a flat `custom` (no nested record) has exactly the numeric names of `previous`: the
 * everyday case of an agent reporting the same metrics, answered without building, sorting and
 * slicing a list per payload (that was a twelfth of the bytes the ingest path allocated).
 */
function sameFlatNames(custom: Record<string, unknown>, previous: readonly string[]): boolean {
  let count = 0;
  for (const key in custom) {
    if (!Object.hasOwn(custom, key)) continue;
    const value = custom[key];
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) continue;
      if (!previous.includes(key)) return false;
      count += 1;
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return false; // nested names: the full path below
    }
  }
  return count === previous.length;
}

/** Longest agent alert text kept in a metric_name. */
const AGENT_ALERT_MAX = 200;

/** The condition of a health check's alert. */
function checkCondition(agentName: string, name: string, passing: boolean, message?: string | null): Condition {
  return {
    on: !passing,
    title: `Health check ${name} failing on ${agentName}`,
    message: `health check ${name} failed${message ? `: ${message}` : ''}`,
    severity: 'warning',
    event: 'health_check_failed',
  };
}

/**
 * The condition of the silence alert. Its message says since when, not for how long: it is read
 * long after it was written, and a duration frozen at fire time would be wrong by then.
 */
function noDataCondition(agentName: string, silent: boolean, lastDataMs: number, offlineAfter: number): Condition {
  return {
    on: silent,
    title: `${agentName} stopped reporting`,
    message: `no metrics, heartbeat or health report from ${agentName} since ${clockIso(lastDataMs)} (offline after ${Math.round(offlineAfter / 1000)} s of silence)`,
    severity: 'critical',
  };
}

/** `health_check:<name>` of each check name seen: an agent with active alerts looks its checks up on every payload. */
const checkAlertNames = new Map<string, string>();

/** The metric_name of a health check's alert. */
function checkAlertName(name: string): string {
  let full = checkAlertNames.get(name);
  if (full === undefined) {
    full = HEALTH_CHECK_PREFIX + name;
    // Check names are few; a fleet inventing new ones forever must not grow this without bound.
    if (checkAlertNames.size >= 1000) checkAlertNames.clear();
    checkAlertNames.set(name, full);
  }
  return full;
}

/** The active alerts of an agent without any: shared, never changed. */
const NO_ACTIVE: ReadonlyMap<string, AlertRecord> = new Map();
const NO_ALERTS: readonly AlertRecord[] = [];
const NO_MODELS: readonly string[] = [];

/** The payload group each built-in rule reads its value from. */
const BUILT_IN_GROUPS = BUILT_IN_RULES.map((r) =>
  (RESOURCE_METRIC_NAMES as readonly string[]).includes(r.metric) ? ('resource_metrics' as const) : ('performance_metrics' as const),
);

/** True when `o` has an own enumerable key (what Object.entries would list). */
function hasEntries(o: object): boolean {
  for (const key in o) if (Object.hasOwn(o, key)) return true;
  return false;
}

/** True for an object a spread copy would reproduce as is (a plain record). */
function isPlainRecord(o: unknown): boolean {
  return typeof o === 'object' && o !== null && Object.getPrototypeOf(o) === Object.prototype;
}

/** The threshold rules against a payload's values; returns the rule memory to keep. */
function evaluateThresholdRules(pass: ThresholdPass, payload: AgentMetrics): Record<string, RuleState> {
  const config = pass.config;
  const custom = config.custom_thresholds;
  if (custom === undefined || custom === null || !hasEntries(custom)) {
    // The built-in rules read their values straight from the payload: no values record.
    for (let i = 0; i < BUILT_IN_RULES.length; i++) {
      const rule = BUILT_IN_RULES[i] as (typeof BUILT_IN_RULES)[number];
      const group: Partial<Record<string, unknown>> | null | undefined = payload[BUILT_IN_GROUPS[i] as 'resource_metrics' | 'performance_metrics'];
      evaluateRule(pass, rule.metric, config[rule.field], rule.label, rule.unit, num(group?.[rule.metric]));
    }
  } else {
    const values: Record<string, number | null> = payloadValues(payload);
    for (const [key, v] of Object.entries(numericCustomMetrics(payload.custom_metrics ?? {}))) values[CUSTOM_METRIC_PREFIX + key] = v;
    for (const rule of thresholdRules(config)) evaluateRule(pass, rule.metric, rule.threshold, rule.label, rule.unit, values[rule.metric], rule);
  }
  return pass.rules;
}

/** The agent's own alerts: on while its payload lists them, resolved when a payload no longer does. */
function evaluateAgentAlerts(
  changes: AlertChanges,
  ctx: IngestContext,
  texts: readonly string[],
  active: ReadonlyMap<string, AlertRecord>,
  maintenance: boolean,
  nowMs: number,
): void {
  let listed: Map<string, string> | null = null;
  if (texts.length > 0) {
    listed = new Map();
    // A later text with the same first AGENT_ALERT_MAX characters gives the message, the first its place.
    for (const text of texts) listed.set(AGENT_ALERT_PREFIX + text.slice(0, AGENT_ALERT_MAX), text);
    for (const [name, text] of listed) {
      if (maintenance || active.get(name)) continue;
      fireCondition(changes, ctx.id, name, { title: text.slice(0, AGENT_ALERT_MAX), message: `${ctx.name} reports: ${text}`, severity: 'warning' }, nowMs);
    }
  }
  if (active.size === 0) return;
  for (const [name, current] of active) {
    if (name.startsWith(AGENT_ALERT_PREFIX) && !listed?.has(name)) resolveCondition(changes, current, nowMs);
  }
}

/**
 * A payload's health checks, when no /health report came in the same step: a failing check fires
 * its alert, a passing one resolves it. Only such a change needs the alert's name and texts.
 */
function evaluateChecks(
  changes: AlertChanges,
  ctx: IngestContext,
  checks: Record<string, boolean>,
  active: ReadonlyMap<string, AlertRecord>,
  maintenance: boolean,
  nowMs: number,
): void {
  for (const name in checks) {
    if (!Object.hasOwn(checks, name)) continue;
    if (checks[name]) {
      if (active.size === 0) continue;
      const current = active.get(checkAlertName(name));
      if (current) resolveCondition(changes, current, nowMs);
    } else if (!maintenance) {
      const alertName = checkAlertName(name);
      if (!active.get(alertName)) fireCondition(changes, ctx.id, alertName, checkCondition(ctx.name, name, false), nowMs);
    }
  }
}

/**
 * Moves an agent forward to `nowMs`: applies what arrived (nothing, for a sweep), evaluates its
 * alert rules, scores it and derives its status.
 *
 * This runs for every payload, so it allocates little beyond what it returns, builds alert texts
 * only for an alert that fires, and shares the unchanged parts of the previous snapshot (nothing
 * changes them: each step builds new objects for what it changes). The order of alert changes is
 * that of the rules: thresholds, the agent's own alerts, health checks, then silence.
 */
export function advanceAgent(
  ctx: IngestContext,
  observations: readonly Observation[],
  activeAlerts: readonly AlertRecord[],
  nowMs: number,
  settings: EngineSettings,
): AgentStep {
  const prev = ctx.state.snapshot as Partial<AgentSnapshot>;
  const now = clockIso(nowMs);
  const state: AgentState = { ...ctx.state };
  const maintenance = ctx.status === 'maintenance';
  let active = NO_ACTIVE;
  if (activeAlerts.length > 0) {
    const byName = new Map<string, AlertRecord>();
    for (const a of activeAlerts) byName.set(a.metric_name ?? '', a);
    active = byName;
  }
  const changes = noChanges();
  const prevMetricsTs = prev.metrics_ts ?? null;
  // The previous reported checks, copied before the first change (a step never changes its input).
  let reported: Record<string, boolean> = prev.reported_checks ?? {};
  let reportedCopied = false;
  // Conditions in the order they were reported, only when a health report came (see below).
  let conditions: Map<string, Condition> | null = null;

  let latest: { payload: AgentMetrics; tsMs: number } | null = null;
  let latestTs = '';
  let models = prev.models ?? NO_MODELS;
  for (const obs of observations) {
    if (obs.kind === 'metrics') {
      state.last_metrics_at = now;
      if (obs.payload.model_usage !== undefined) models = rememberModels(models, obs.payload.model_usage);
      const ts = isoFromMs(obs.tsMs);
      if (prevMetricsTs === null || ts >= prevMetricsTs) {
        if (latest === null || obs.tsMs >= latest.tsMs) {
          latest = obs;
          latestTs = ts;
        }
      }
    } else if (obs.kind === 'heartbeat') {
      state.last_heartbeat_at = now;
    } else {
      state.last_health_at = now;
      conditions ??= new Map();
      if (!reportedCopied) {
        reported = { ...reported };
        reportedCopied = true;
      }
      for (const check of obs.checks) {
        reported[check.name] = check.status;
        conditions.set(HEALTH_CHECK_PREFIX + check.name, checkCondition(ctx.name, check.name, check.status, check.message));
      }
    }
  }

  let metrics = prev.metrics ?? null;
  let metricChecks = prev.metric_checks ?? {};
  let metricsTs = prevMetricsTs;
  let latestValues = prev.latest ?? {};
  let custom = prev.custom_names ?? [];
  let rules = prev.rules ?? {};
  if (latest) {
    const { payload } = latest;
    const r = payload.resource_metrics;
    const p = payload.performance_metrics;
    const m = { ...METRICS_SHAPE } as NonNullable<AgentSnapshot['metrics']>;
    m.cpu_usage_percent = r.cpu_usage_percent;
    m.memory_usage_percent = r.memory_usage_percent;
    m.error_rate = p.error_rate ?? 0;
    m.average_response_time_ms = p.average_response_time_ms ?? 0;
    metrics = m;
    const checks = payload.health_checks ?? {};
    metricChecks = { ...checks };
    // The payload's result of a check is newer than an earlier /health report of it, for the score too.
    // (for..in with hasOwn: the names of Object.keys, in its order, without building its array.)
    for (const name in metricChecks) {
      if (!Object.hasOwn(metricChecks, name) || !Object.hasOwn(reported, name)) continue;
      if (!reportedCopied) {
        reported = { ...reported };
        reportedCopied = true;
      }
      delete reported[name];
    }
    metricsTs = latestTs;
    latestValues = fleetValues(payload);
    custom = customNames(payload.custom_metrics, custom);

    const nextRules: Record<string, RuleState> = {};
    rules = evaluateThresholdRules({
      agentId: ctx.id,
      agentName: ctx.name,
      config: ctx.config,
      active,
      previous: rules,
      nowMs,
      now,
      maintenance,
      out: changes,
      rules: nextRules,
      tuning: null,
    }, payload);
    evaluateAgentAlerts(changes, ctx, payload.alerts ?? [], active, maintenance, nowMs);
    if (conditions !== null) {
      // A check reported to /health and in the payload: the payload is the newer word here.
      for (const name in metricChecks) {
        if (Object.hasOwn(metricChecks, name)) conditions.set(HEALTH_CHECK_PREFIX + name, checkCondition(ctx.name, name, metricChecks[name] as boolean));
      }
    } else {
      evaluateChecks(changes, ctx, metricChecks, active, maintenance, nowMs);
    }
  }

  const lastData = lastDataAtMs(state);
  const silentFor = lastData === null ? null : nowMs - lastData;
  const offlineAfter = offlineAfterMs(ctx.config, settings.offlineFactor);
  if (conditions !== null) {
    // A health report's checks come first, in their order, with a payload's results of the same
    // checks in their place: the condition map keeps that order, as evaluateConditions reads it.
    if (lastData !== null) conditions.set(NO_DATA, noDataCondition(ctx.name, silentFor !== null && silentFor > offlineAfter, lastData, offlineAfter));
    mergeChanges(changes, evaluateConditions({ agentId: ctx.id, agentName: ctx.name, conditions, active, nowMs, maintenance }));
  } else if (lastData !== null) {
    const silent = silentFor !== null && silentFor > offlineAfter;
    const current = active.size === 0 ? undefined : active.get(NO_DATA);
    if (silent && !current && !maintenance) fireCondition(changes, ctx.id, NO_DATA, noDataCondition(ctx.name, silent, lastData, offlineAfter), nowMs);
    else if (!silent && current) resolveCondition(changes, current, nowMs);
  }

  // The score reads the payload's checks and the reported ones (a reported one of the same name wins).
  const checks = isPlainRecord(reported) && !hasEntries(reported) ? metricChecks : { ...metricChecks, ...reported };
  const raw = assessHealth({ checks, lastDataAtMs: lastData, metrics }, ctx.config, nowMs, settings.offlineFactor);
  // Active alerts after this step's changes.
  let after: Iterable<AlertRecord> = NO_ALERTS;
  if (changes.insert.length > 0 || changes.update.length > 0) {
    const next = new Map(active);
    for (const a of changes.update) if (!a.is_active) next.delete(a.metric_name ?? ''); else next.set(a.metric_name ?? '', a);
    for (const a of changes.insert) next.set(a.metric_name ?? '', a);
    after = next.values();
  } else if (active.size > 0) {
    after = active.values();
  }
  // Status from the alerts and the uncapped score; the score shown is then capped by that status.
  const verdict = deriveStatus({
    current: ctx.status,
    currentReason: ctx.state.status_reason,
    lastDataAtMs: lastData,
    nowMs,
    offlineAfterMs: offlineAfter,
    activeAlerts: after,
    score: raw.score,
  });
  const assessment = capScore(raw, statusCap(verdict));
  // Same fields, same order as readSnapshot gives; reported_checks is always a record of its own kind.
  const snapshot = { ...SNAPSHOT_SHAPE } as AgentSnapshot;
  snapshot.metrics = metrics;
  snapshot.metric_checks = metricChecks;
  snapshot.reported_checks = reportedCopied || isPlainRecord(reported) ? reported : { ...reported };
  snapshot.metrics_ts = metricsTs;
  snapshot.components = assessment.components;
  snapshot.rules = rules;
  snapshot.latest = latestValues;
  snapshot.custom_names = custom;
  snapshot.models = models;
  state.health_score = assessment.score;
  state.snapshot = snapshot as unknown as Record<string, unknown>;

  const statusChanged = verdict.status !== ctx.status;
  const events: SystemEvent[] = [];
  if (statusChanged) {
    events.push(
      newEvent('agent_status_changed', `${ctx.name} changed from ${ctx.status} to ${verdict.status} (${verdict.reason})`, {
        agent_id: ctx.id,
        nowMs,
        severity: verdict.status === 'error' || verdict.status === 'offline' ? 'error' : verdict.status === 'warning' ? 'warning' : 'info',
        data: { old_status: ctx.status, new_status: verdict.status, reason: verdict.reason },
      }),
    );
  }
  state.status_reason = verdict.reason;
  for (const e of changes.events) events.push(e);
  const arrived = observations.length > 0;
  let write: AgentStep['write'];
  if (arrived && statusChanged) write = { agent_id: ctx.id, last_seen: now, status: verdict.status, state };
  else if (arrived) write = { agent_id: ctx.id, last_seen: now, state };
  else if (statusChanged) write = { agent_id: ctx.id, status: verdict.status, state };
  else write = { agent_id: ctx.id, state };
  return { write, events, alerts: changes, score: assessment.score, status: verdict.status, previousStatus: ctx.status };
}
