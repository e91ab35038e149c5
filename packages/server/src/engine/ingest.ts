/**
 * What arriving data (or its absence) does to an agent: the series point a payload becomes, and
 * the agent's next state (snapshot, health score, alerts, status) with the events it raises. Pure:
 * data and a clock in, data out; engine/monitor.ts does the I/O.
 */
import {
  AI_METRIC_NAMES,
  CUSTOM_METRIC_PREFIX,
  PERFORMANCE_METRIC_NAMES,
  RESOURCE_METRIC_NAMES,
  parseDateTime,
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
  HEALTH_CHECK_PREFIX,
  NO_DATA,
  evaluateConditions,
  evaluateThresholds,
  mergeChanges,
  noChanges,
  type AlertChanges,
  type RuleState,
} from './alerts.js';
import { newEvent } from './events.js';
import { assessHealth, type HealthComponent, type HealthInputs } from './health.js';
import { deriveStatus, offlineAfterMs } from './status.js';

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
}

/** Reads a stored snapshot, tolerating one written by an older version. */
export function readSnapshot(state: AgentState): AgentSnapshot {
  const s = state.snapshot as Partial<AgentSnapshot>;
  return {
    metrics: s.metrics ?? null,
    metric_checks: s.metric_checks ?? {},
    // A copy: advanceAgent changes it, and must not change the state it was given.
    reported_checks: { ...(s.reported_checks ?? {}) },
    metrics_ts: s.metrics_ts ?? null,
    components: s.components ?? [],
    rules: s.rules ?? {},
    latest: s.latest ?? {},
  };
}

/** Server receive time of the agent's latest data of any kind, ms; null if it never sent any. */
export function lastDataAtMs(state: AgentState): number | null {
  const times = [state.last_metrics_at, state.last_heartbeat_at, state.last_health_at]
    .filter((t): t is string => t !== null)
    .map((t) => Date.parse(t));
  return times.length > 0 ? Math.max(...times) : null;
}

/** Millisecond timestamp of a payload: its own `timestamp`, else when it arrived. */
export function payloadTimeMs(payload: AgentMetrics, receivedAtMs: number): number {
  return payload.timestamp ? (parseDateTime(payload.timestamp)?.getTime() ?? receivedAtMs) : receivedAtMs;
}

/** Flattens numeric custom metrics to series keys: `{llm: {calls: 3}}` gives `llm.calls`. Non-numbers are skipped. */
export function numericCustomMetrics(custom: Record<string, unknown>, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  for (const [key, value] of Object.entries(custom)) {
    const name = prefix + key;
    if (typeof value === 'number' && Number.isFinite(value)) out[name] = value;
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      numericCustomMetrics(value as Record<string, unknown>, `${name}.`, out);
    }
  }
  return out;
}

/** The built-in values of a payload, by metric name (null where the payload has none). */
export function payloadValues(payload: AgentMetrics): Record<string, number | null> {
  const values: Record<string, number | null> = {};
  const groups: [readonly string[], Record<string, unknown> | null | undefined][] = [
    [RESOURCE_METRIC_NAMES, payload.resource_metrics],
    [PERFORMANCE_METRIC_NAMES, payload.performance_metrics],
    [AI_METRIC_NAMES, payload.ai_metrics],
  ];
  for (const [names, group] of groups) {
    for (const name of names) {
      const v = group?.[name];
      values[name] = typeof v === 'number' ? v : null;
    }
  }
  return values;
}

/** The series point a payload becomes. */
export function toSeriesPoint(payload: AgentMetrics, ctx: IngestContext, tsMs: number, healthScore: number | null): SeriesPoint {
  const custom = payload.custom_metrics ?? {};
  return {
    agent_id: ctx.id,
    ts: tsMs,
    environment: ctx.environment,
    deployment_type: ctx.deployment_type,
    values: { ...payloadValues(payload), health_score: healthScore },
    custom: numericCustomMetrics(custom),
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
}

/** The agent's state after a step, and everything the step raised. */
export interface AgentStep {
  write: AgentStateWrite;
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

/** Longest agent alert text kept in a metric_name. */
const AGENT_ALERT_MAX = 200;

/**
 * Moves an agent forward to `nowMs`: applies what arrived (nothing, for a sweep), evaluates its
 * alert rules, scores it and derives its status.
 */
export function advanceAgent(
  ctx: IngestContext,
  observations: readonly Observation[],
  activeAlerts: readonly AlertRecord[],
  nowMs: number,
  settings: EngineSettings,
): AgentStep {
  const snapshot = readSnapshot(ctx.state);
  const now = new Date(nowMs).toISOString();
  const state: AgentState = { ...ctx.state };
  const events: SystemEvent[] = [];
  const maintenance = ctx.status === 'maintenance';
  const active = new Map(activeAlerts.map((a) => [a.metric_name ?? '', a]));
  const changes = noChanges();
  const conditions = new Map<string, Condition>();
  const checkCondition = (name: string, passing: boolean, message?: string | null): Condition => ({
    on: !passing,
    title: `Health check ${name} failing on ${ctx.name}`,
    message: `health check ${name} failed${message ? `: ${message}` : ''}`,
    severity: 'warning',
    event: 'health_check_failed',
  });

  let latest: { payload: AgentMetrics; tsMs: number } | null = null;
  for (const obs of observations) {
    if (obs.kind === 'metrics') {
      state.last_metrics_at = now;
      const ts = new Date(obs.tsMs).toISOString();
      if (snapshot.metrics_ts === null || ts >= snapshot.metrics_ts) {
        if (latest === null || obs.tsMs >= latest.tsMs) latest = obs;
      }
    } else if (obs.kind === 'heartbeat') {
      state.last_heartbeat_at = now;
    } else {
      state.last_health_at = now;
      for (const check of obs.checks) {
        snapshot.reported_checks[check.name] = check.status;
        conditions.set(HEALTH_CHECK_PREFIX + check.name, checkCondition(check.name, check.status, check.message));
      }
    }
  }

  if (latest) {
    const { payload } = latest;
    const r = payload.resource_metrics;
    const p = payload.performance_metrics;
    snapshot.metrics = {
      cpu_usage_percent: r.cpu_usage_percent,
      memory_usage_percent: r.memory_usage_percent,
      error_rate: p.error_rate ?? 0,
      average_response_time_ms: p.average_response_time_ms ?? 0,
    };
    snapshot.metric_checks = { ...(payload.health_checks ?? {}) };
    // The payload's result of a check is newer than an earlier /health report of it, for the score too.
    for (const name of Object.keys(snapshot.metric_checks)) delete snapshot.reported_checks[name];
    snapshot.metrics_ts = new Date(latest.tsMs).toISOString();
    const v = payloadValues(payload);
    snapshot.latest = Object.fromEntries(FLEET_VALUES.map((name) => [name, v[name] ?? null]));
    for (const [name, passing] of Object.entries(payload.health_checks ?? {})) {
      // A check reported to /health and in the payload: the payload is the newer word here.
      conditions.set(HEALTH_CHECK_PREFIX + name, checkCondition(name, passing));
    }
    const values: Record<string, number | null> = { ...payloadValues(payload) };
    for (const [key, v] of Object.entries(numericCustomMetrics(payload.custom_metrics ?? {}))) values[CUSTOM_METRIC_PREFIX + key] = v;
    const thresholds = evaluateThresholds({ agentId: ctx.id, agentName: ctx.name, config: ctx.config, values, active, rules: snapshot.rules, nowMs, maintenance });
    snapshot.rules = thresholds.rules;
    mergeChanges(changes, thresholds);
    const agentAlerts = new Map<string, Condition>();
    for (const text of payload.alerts ?? []) {
      const clipped = text.slice(0, AGENT_ALERT_MAX);
      agentAlerts.set(AGENT_ALERT_PREFIX + clipped, { on: true, title: clipped, message: `${ctx.name} reports: ${text}`, severity: 'warning' });
    }
    mergeChanges(
      changes,
      evaluateConditions({ agentId: ctx.id, agentName: ctx.name, conditions: agentAlerts, active, nowMs, maintenance, exhaustivePrefix: AGENT_ALERT_PREFIX }),
    );
  }

  const lastData = lastDataAtMs(state);
  const silentFor = lastData === null ? null : nowMs - lastData;
  const offlineAfter = offlineAfterMs(ctx.config, settings.offlineFactor);
  if (lastData !== null) {
    const silent = silentFor !== null && silentFor > offlineAfter;
    conditions.set(NO_DATA, {
      on: silent,
      title: `${ctx.name} stopped reporting`,
      message: `no metrics, heartbeat or health report from ${ctx.name} for ${Math.round((silentFor ?? 0) / 1000)} s (limit ${Math.round(offlineAfter / 1000)} s)`,
      severity: 'critical',
    });
  }
  mergeChanges(changes, evaluateConditions({ agentId: ctx.id, agentName: ctx.name, conditions, active, nowMs, maintenance }));

  const assessment = assessHealth(
    { checks: { ...snapshot.metric_checks, ...snapshot.reported_checks }, lastDataAtMs: lastData, metrics: snapshot.metrics },
    ctx.config,
    nowMs,
    settings.offlineFactor,
  );
  snapshot.components = assessment.components;
  state.health_score = assessment.score;
  state.snapshot = snapshot as unknown as Record<string, unknown>;

  // Active alerts after this step's changes.
  const after = new Map(active);
  for (const a of changes.update) if (!a.is_active) after.delete(a.metric_name ?? ''); else after.set(a.metric_name ?? '', a);
  for (const a of changes.insert) after.set(a.metric_name ?? '', a);
  const verdict = deriveStatus({
    current: ctx.status,
    lastDataAtMs: lastData,
    nowMs,
    offlineAfterMs: offlineAfter,
    activeAlerts: [...after.values()],
    score: assessment.score,
  });
  const statusChanged = verdict.status !== ctx.status;
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
  events.push(...changes.events);
  const arrived = observations.length > 0;
  return {
    write: { agent_id: ctx.id, ...(arrived ? { last_seen: now } : {}), ...(statusChanged ? { status: verdict.status } : {}), state },
    events,
    alerts: changes,
    score: assessment.score,
    status: verdict.status,
    previousStatus: ctx.status,
  };
}
