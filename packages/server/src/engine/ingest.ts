/**
 * What arriving data does to an agent: the series point a payload becomes, and the agent's next
 * derived state (snapshot, health score, status) with the events the change raises. Pure: data and
 * a clock in, data out; routes do the I/O.
 */
import {
  AI_METRIC_NAMES,
  PERFORMANCE_METRIC_NAMES,
  RESOURCE_METRIC_NAMES,
  parseDateTime,
  type AgentMetrics,
  type AgentStatus,
  type EventSeverity,
  type EventType,
  type HealthCheck,
  type SystemEvent,
} from '@agentmon/schema';
import type { AgentState, AgentStateWrite, IngestContext, SeriesPoint } from '../storage/ports.js';
import { uuidv7 } from './ids.js';
import { assessHealth, type HealthComponent, type HealthInputs } from './health.js';

/** What the engine keeps in AgentState.snapshot: the score's inputs and its last components. */
export interface AgentSnapshot {
  metrics: HealthInputs['metrics'];
  /** AgentMetrics.health_checks of the latest payload. */
  metric_checks: Record<string, boolean>;
  /** Latest result of each check reported to /health. */
  reported_checks: Record<string, boolean>;
  /** Payload timestamp of the latest metrics, so an older payload arriving late does not replace it. */
  metrics_ts: string | null;
  components: HealthComponent[];
}

/** Reads a stored snapshot, tolerating one written by an older version. */
export function readSnapshot(state: AgentState): AgentSnapshot {
  const s = state.snapshot as Partial<AgentSnapshot>;
  return {
    metrics: s.metrics ?? null,
    metric_checks: s.metric_checks ?? {},
    reported_checks: s.reported_checks ?? {},
    metrics_ts: s.metrics_ts ?? null,
    components: s.components ?? [],
  };
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

/** The series point a payload becomes. */
export function toSeriesPoint(payload: AgentMetrics, ctx: IngestContext, tsMs: number, healthScore: number | null): SeriesPoint {
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
  values.health_score = healthScore;
  const custom = payload.custom_metrics ?? {};
  return {
    agent_id: ctx.id,
    ts: tsMs,
    environment: ctx.environment,
    deployment_type: ctx.deployment_type,
    values,
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

/** An event about to be written. */
export function newEvent(
  type: EventType,
  message: string,
  fields: { agent_id?: string | null; data?: Record<string, unknown>; severity?: EventSeverity; nowMs: number },
): SystemEvent {
  return {
    id: uuidv7(fields.nowMs),
    type,
    agent_id: fields.agent_id ?? null,
    timestamp: new Date(fields.nowMs).toISOString(),
    data: fields.data ?? {},
    severity: fields.severity ?? 'info',
    message,
    source: 'monitor_system',
  };
}

/** The state an agent moves to after `observations` arrive at `nowMs`, and the events raised. */
export function observe(
  ctx: IngestContext,
  observations: readonly Observation[],
  nowMs: number,
  settings: EngineSettings,
): { write: AgentStateWrite; events: SystemEvent[]; score: number } {
  const snapshot = readSnapshot(ctx.state);
  const now = new Date(nowMs).toISOString();
  const state: AgentState = { ...ctx.state };
  const events: SystemEvent[] = [];

  for (const obs of observations) {
    if (obs.kind === 'metrics') {
      state.last_metrics_at = now;
      const ts = new Date(obs.tsMs).toISOString();
      if (snapshot.metrics_ts === null || ts >= snapshot.metrics_ts) {
        const r = obs.payload.resource_metrics;
        const p = obs.payload.performance_metrics;
        snapshot.metrics = {
          cpu_usage_percent: r.cpu_usage_percent,
          memory_usage_percent: r.memory_usage_percent,
          error_rate: p.error_rate ?? 0,
          average_response_time_ms: p.average_response_time_ms ?? 0,
        };
        snapshot.metric_checks = { ...(obs.payload.health_checks ?? {}) };
        snapshot.metrics_ts = ts;
      }
    } else if (obs.kind === 'heartbeat') {
      state.last_heartbeat_at = now;
    } else {
      state.last_health_at = now;
      for (const check of obs.checks) snapshot.reported_checks[check.name] = check.status;
    }
  }

  const assessment = assessHealth(
    { checks: { ...snapshot.metric_checks, ...snapshot.reported_checks }, lastDataAtMs: nowMs, metrics: snapshot.metrics },
    ctx.config,
    nowMs,
    settings.offlineFactor,
  );
  snapshot.components = assessment.components;
  state.health_score = assessment.score;
  state.snapshot = snapshot as unknown as Record<string, unknown>;

  let status: AgentStatus | undefined;
  if (ctx.status === 'unknown' || ctx.status === 'offline') {
    status = 'online';
    state.status_reason = 'data_received';
    events.push(
      newEvent('agent_status_changed', `agent status changed from ${ctx.status} to online`, {
        agent_id: ctx.id,
        nowMs,
        data: { old_status: ctx.status, new_status: 'online', reason: 'data_received' },
      }),
    );
  }
  return { write: { agent_id: ctx.id, last_seen: now, ...(status ? { status } : {}), state }, events, score: assessment.score };
}
