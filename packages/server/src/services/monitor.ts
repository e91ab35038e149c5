/**
 * The monitor: drives the engine's pure steps with the stores. Ingest calls it for each request;
 * the sweeper calls it on a timer. It hands alert transitions to a listener (notifications, the
 * live stream) without waiting for them.
 */
import {
  SERIES_METRIC_NAMES,
  toUtcIso,
  type AgentMetrics,
  type AgentStatus,
  type CollectionSettings,
  type MonitoringConfig,
  type ErrorDetail,
  type HealthCheck,
  type HealthCheckInput,
  type IngestReceipt,
  type MetricsStreamData,
  type SystemEvent,
} from '@agentmon/schema';
import type { AgentStateWrite, AlertRecord, IngestContext, MetadataStore, SeriesPoint, SeriesStore } from '../storage/ports.js';
import { mergeChanges, noChanges, resolved, type AlertTransition } from '../engine/alerts.js';
import { newEvent } from '../engine/events.js';
import {
  advanceAgent,
  fleetValues,
  payloadTimeMs,
  timeWindowProblem,
  toSeriesPoint,
  type AgentStep,
  type EngineSettings,
  type Observation,
} from '../engine/ingest.js';
import { AgentCounters } from '../engine/agent-counters.js';
import { isoFromMs } from '../engine/time.js';
import { KeyedQueue } from './keyed-queue.js';
import { budgetAlertChanges, budgetStandings, environments, type BudgetStanding } from '../engine/budgets.js';
import { listBudgets } from '../usage/budget-store.js';
import { periodSpend } from './spend.js';
import { PriceBook, defaultPrices } from '../engine/prices.js';
import { usageSeries } from '../engine/usage.js';

/** Where the monitor reports what happened, so notifications and live views follow. */
export interface MonitorListener {
  /** Alerts fired, escalated or resolved. Called after the change is stored; must not throw. */
  alerts?(transitions: readonly AlertTransition[]): void;
  /** Events stored. */
  events?(events: readonly SystemEvent[]): void;
  /** Agents whose status or score moved, after the change is stored. */
  states?(changes: readonly StateChange[]): void;
  /** The latest accepted payload of each agent in a request. */
  metrics?(ticks: readonly MetricsTick[]): void;
}

/** An agent's status or score after a step. */
export interface StateChange {
  agent_id: string;
  status: AgentStatus;
  previous_status: AgentStatus;
  reason: string | null;
  health_score: number;
  last_seen: string | null;
}

/** A compact view of an agent's latest payload, for live views: the stream's `metrics` message as is. */
export type MetricsTick = MetricsStreamData;

/** What the monitor needs. */
export interface MonitorDeps {
  metadata: MetadataStore;
  series: SeriesStore;
  clock: () => number;
  settings: EngineSettings;
  listener?: MonitorListener;
  /** The price table of the moment (default: the prices agentmon ships). */
  prices?: () => PriceBook;
}

/** A problem with some payloads of a request, by JSON pointer. */
export class IngestRefused extends Error {
  constructor(
    readonly reason: 'unknown_agent' | 'out_of_window',
    readonly details: ErrorDetail[],
  ) {
    super(
      reason === 'unknown_agent'
        ? `${details.length} payload(s) name an unregistered agent`
        : `${details.length} payload(s) stamped outside the time the server takes: ${details.map((d) => d.path).join(', ')}`,
    );
  }
}

/** Default of EngineSettings.maxFutureMs: clocks drift, but not by minutes. */
export const DEFAULT_MAX_FUTURE_MS = 300_000;

/** The collection settings of a config (what an agent needs to know to report). */
export function collectionSettings(config: MonitoringConfig): CollectionSettings {
  return {
    metrics_interval_seconds: config.metrics_interval_seconds,
    health_check_interval_seconds: config.health_check_interval_seconds,
    enable_resource_monitoring: config.enable_resource_monitoring,
    enable_performance_monitoring: config.enable_performance_monitoring,
    enable_ai_monitoring: config.enable_ai_monitoring,
  };
}

/**
 * The values a batch of series points holds. The built-in names are looked up one by one: every
 * point's values object has the same shape, so each lookup is a cached property load, where a
 * for-in over it enumerated keys and checked each one's ownership (1.4 % of the main thread
 * under batch ingest).
 */
function seriesValueCount(points: readonly SeriesPoint[]): number {
  let n = 0;
  for (const p of points) {
    const values = p.values;
    for (let i = 0; i < SERIES_METRIC_NAMES.length; i++) {
      const v = values[SERIES_METRIC_NAMES[i] as string];
      if (v !== null && v !== undefined) n += 1;
    }
    for (const key in p.custom) if (Object.hasOwn(p.custom, key)) n += 1;
  }
  return n;
}

/** Drives agents through the engine with the stores. */
export class Monitor {
  private received = 0;
  /** Series values stored since start. */
  private values = 0;
  /** What each agent's stored payloads accumulate, for the Prometheus counters. */
  readonly counters = new AgentCounters();
  /** Payloads accepted per second over the last minute (ring indexed by epoch second). */
  private readonly perSecond = new Map<number, number>();

  private readonly shippedPrices = new PriceBook([defaultPrices()]);
  /** Steps of one agent run one at a time, each from the state the previous one wrote. */
  private readonly agents = new KeyedQueue();

  constructor(private readonly deps: MonitorDeps) {}

  /** The price table in use. */
  prices(): PriceBook {
    return this.deps.prices?.() ?? this.shippedPrices;
  }

  /** Payloads and series values accepted since start, and the payload rate over the last minute. */
  ingestStats(): { received: number; values: number; ratePerSecond: number } {
    const nowSec = Math.floor(this.deps.clock() / 1000);
    let sum = 0;
    for (const [sec, n] of this.perSecond) {
      if (nowSec - sec >= 60) this.perSecond.delete(sec);
      else sum += n;
    }
    return { received: this.received, values: this.values, ratePerSecond: Math.round((sum / 60) * 100) / 100 };
  }

  /** Stores payloads and moves their agents. Throws IngestRefused (nothing written) when an agent is unknown. */
  async ingestMetrics(
    payloads: readonly AgentMetrics[],
    known: ReadonlyMap<string, IngestContext>,
    pathOf: (i: number) => string,
  ): Promise<IngestReceipt> {
    const unknown: ErrorDetail[] = [];
    payloads.forEach((p, i) => {
      if (!known.has(p.agent_id)) unknown.push({ path: `${pathOf(i)}/agent_id`, message: `agent ${JSON.stringify(p.agent_id)} is not registered` });
    });
    if (unknown.length > 0) throw new IngestRefused('unknown_agent', unknown);
    const ids = [...new Set(payloads.map((p) => p.agent_id))];
    return this.agents.run(ids, async () => {
      // The state as the previous step of these agents left it (what the caller read may be older).
      const fresh = await this.deps.metadata.getIngestContexts(ids);
      const gone: ErrorDetail[] = [];
      payloads.forEach((p, i) => {
        if (!fresh.has(p.agent_id)) gone.push({ path: `${pathOf(i)}/agent_id`, message: `agent ${JSON.stringify(p.agent_id)} is not registered` });
      });
      if (gone.length > 0) throw new IngestRefused('unknown_agent', gone);
      return this.ingestNow(payloads, fresh, pathOf);
    });
  }

  /** ingestMetrics once the agents are this request's. */
  private async ingestNow(
    payloads: readonly AgentMetrics[],
    known: ReadonlyMap<string, IngestContext>,
    pathOf: (i: number) => string,
  ): Promise<IngestReceipt> {
    const now = this.deps.clock();
    const times = payloads.map((p) => payloadTimeMs(p, now));
    const futureMs = this.deps.settings.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
    const outside: ErrorDetail[] = [];
    payloads.forEach((p, i) => {
      const retention = (known.get(p.agent_id) as IngestContext).config.metrics_retention_days;
      const why = timeWindowProblem(times[i] as number, now, futureMs, retention);
      if (why) outside.push({ path: `${pathOf(i)}/timestamp`, message: why });
    });
    if (outside.length > 0) throw new IngestRefused('out_of_window', outside);
    const observations = new Map<string, Observation[]>();
    payloads.forEach((p, i) => {
      const list = observations.get(p.agent_id) ?? [];
      list.push({ kind: 'metrics', payload: p, tsMs: times[i] as number });
      observations.set(p.agent_id, list);
    });
    const steps = await this.advance(known, observations, now);
    const prices = this.prices();
    const points: SeriesPoint[] = payloads.map((p, i) =>
      toSeriesPoint(p, known.get(p.agent_id) as IngestContext, times[i] as number, steps.get(p.agent_id)?.score ?? null, usageSeries(p.model_usage, prices)),
    );
    // Series first: if they cannot be stored, no state moves. The state write after it is small.
    await this.deps.series.insert(points);
    await this.commit([...steps.values()]);
    this.received += points.length;
    this.counters.add(points);
    const sec = Math.floor(now / 1000);
    this.perSecond.set(sec, (this.perSecond.get(sec) ?? 0) + points.length);
    this.tick(payloads, times, steps);
    const values = seriesValueCount(points);
    this.values += values;
    return {
      accepted: points.length,
      series_points: values,
      agents: observations.size,
      // One agent reporting for itself learns its collection settings, so it follows changes.
      ...(observations.size === 1 ? { config: collectionSettings((known.get(payloads[0]?.agent_id ?? '') as IngestContext).config) } : {}),
    };
  }

  /** Records a heartbeat. */
  async heartbeat(given: IngestContext): Promise<AgentStep> {
    return this.agents.run([given.id], async () => {
      const ctx = await this.latest(given);
      const steps = await this.advance(new Map([[ctx.id, ctx]]), new Map([[ctx.id, [{ kind: 'heartbeat' }]]]), this.deps.clock());
      const step = steps.get(ctx.id) as AgentStep;
      await this.commit([step]);
      return step;
    });
  }

  /** The agent's state as its latest step left it (`given` when it has since been deregistered). */
  private async latest(given: IngestContext): Promise<IngestContext> {
    return (await this.deps.metadata.getIngestContexts([given.id])).get(given.id) ?? given;
  }

  /** Records a health report. */
  async reportHealth(given: IngestContext, checks: readonly HealthCheckInput[]): Promise<AgentStep> {
    return this.agents.run([given.id], async () => this.reportHealthNow(await this.latest(given), checks));
  }

  private async reportHealthNow(ctx: IngestContext, checks: readonly HealthCheckInput[]): Promise<AgentStep> {
    const now = this.deps.clock();
    const normalised: HealthCheck[] = checks.map((c) => ({
      name: c.name,
      status: c.status,
      message: c.message ?? null,
      timestamp: c.timestamp ? toUtcIso(c.timestamp) : new Date(now).toISOString(),
      execution_time_ms: c.execution_time_ms,
    }));
    const steps = await this.advance(new Map([[ctx.id, ctx]]), new Map([[ctx.id, [{ kind: 'health', checks: normalised }]]]), now);
    const step = steps.get(ctx.id) as AgentStep;
    await this.deps.metadata.saveHealthChecks(ctx.id, normalised);
    await this.commit([step]);
    return step;
  }

  /**
   * One sweep: every agent moved to now with no new data, so silence turns agents OFFLINE (and
   * raises no_data) and scores decay. Only agents whose state changed are written.
   */
  async sweep(): Promise<{ agents: number; changed: number }> {
    const ids = (await this.deps.metadata.listIngestContexts()).map((c) => c.id);
    // The whole fleet at once: the sweep waits for steps under way and the next ones wait for it.
    return this.agents.run(ids, () => this.sweepNow());
  }

  private async sweepNow(): Promise<{ agents: number; changed: number }> {
    const now = this.deps.clock();
    const contexts = await this.deps.metadata.listIngestContexts();
    const all = new Map(contexts.map((c) => [c.id, c]));
    const steps = await this.advance(all, new Map(contexts.map((c) => [c.id, []])), now);
    const changed = [...steps.values()].filter((step) => {
      const before = all.get(step.write.agent_id) as IngestContext;
      return (
        step.write.status !== undefined ||
        step.alerts.insert.length + step.alerts.update.length > 0 ||
        Math.abs(before.state.health_score - step.score) >= 0.001 ||
        before.state.status_reason !== step.write.state.status_reason
      );
    });
    // Alert updates that only refresh a value are not sweep business; sweeps fire and resolve.
    if (changed.length > 0) await this.commit(changed);
    return { agents: contexts.length, changed: changed.length };
  }

  /**
   * Where every spend budget stands now, and its alerts brought in line (fired, escalated,
   * refreshed, resolved); the sweeper calls it. Returns the standings.
   */
  async evaluateBudgets(): Promise<BudgetStanding[]> {
    const contexts = await this.deps.metadata.listIngestContexts();
    const budgets = await this.standingsOf(contexts);
    const now = this.deps.clock();
    const active = await this.deps.metadata.getActiveAlerts(null);
    const names = new Map(contexts.map((c) => [c.id, c.name]));
    const changes = budgetAlertChanges(budgets, active, (id) => names.get(id) ?? id, now);
    if (changes.insert.length + changes.update.length > 0) {
      await this.deps.metadata.applyStates([], changes.events, { insert: changes.insert, update: changes.update });
      if (changes.transitions.length > 0) this.deps.listener?.alerts?.(changes.transitions);
    }
    return budgets;
  }

  /** Where every spend budget stands now (read only). */
  async budgetStandings(): Promise<BudgetStanding[]> {
    return this.standingsOf(await this.deps.metadata.listIngestContexts());
  }

  /** Where every spend budget stands, the agents' environments taken from `contexts`. */
  private async standingsOf(contexts: readonly IngestContext[]): Promise<BudgetStanding[]> {
    const budgets = await listBudgets(this.deps.metadata);
    if (budgets.length === 0) return [];
    const now = this.deps.clock();
    return budgetStandings(budgets, await periodSpend(this.deps.series, budgets, now), environments(contexts), now);
  }

  /** Re-derives an agent's status now (after maintenance starts or ends, or its config changes). */
  async reevaluate(agentId: string): Promise<void> {
    await this.agents.run([agentId], () => this.reevaluateNow(agentId));
  }

  private async reevaluateNow(agentId: string): Promise<void> {
    const ctx = (await this.deps.metadata.getIngestContexts([agentId])).get(agentId);
    if (!ctx) return;
    const steps = await this.advance(new Map([[agentId, ctx]]), new Map([[agentId, []]]), this.deps.clock());
    await this.commit([...steps.values()]);
  }

  /**
   * Starts or ends maintenance: alerts and offline detection stop while it lasts; when it ends the
   * status is derived again from the data. Returns false for an unknown agent.
   */
  async setMaintenance(agentId: string, on: boolean): Promise<boolean> {
    return this.agents.run([agentId], () => this.setMaintenanceNow(agentId, on));
  }

  private async setMaintenanceNow(agentId: string, on: boolean): Promise<boolean> {
    const ctx = (await this.deps.metadata.getIngestContexts([agentId])).get(agentId);
    if (!ctx) return false;
    const nowMs = this.deps.clock();
    const wasOn = ctx.status === 'maintenance';
    if (on === wasOn) return true;
    let step: AgentStep;
    if (on) {
      step = {
        write: { agent_id: agentId, status: 'maintenance', state: { ...ctx.state, status_reason: 'maintenance' } },
        events: [],
        alerts: noChanges(),
        score: ctx.state.health_score,
        status: 'maintenance',
        previousStatus: ctx.status,
      };
    } else {
      // Derive as if it had never been in maintenance, then report the change from maintenance.
      const steps = await this.advance(new Map([[agentId, { ...ctx, status: 'unknown' }]]), new Map([[agentId, []]]), nowMs);
      const derived = steps.get(agentId) as AgentStep;
      step = {
        ...derived,
        write: { ...derived.write, status: derived.status },
        events: derived.events.filter((e) => e.type !== 'agent_status_changed'),
      };
    }
    const reason = on ? 'maintenance' : (step.write.state.status_reason ?? 'maintenance_ended');
    step.events.unshift(
      newEvent('agent_status_changed', `${ctx.name} changed from ${ctx.status} to ${step.status} (${on ? 'maintenance' : 'maintenance ended'})`, {
        agent_id: agentId,
        nowMs,
        data: { old_status: ctx.status, new_status: step.status, reason },
      }),
    );
    await this.commit([step]);
    return true;
  }

  /** Acknowledges an active alert: repeats stop, resolution does not. Null for an unknown alert. */
  async acknowledge(alertId: string, by: string, comment: string | null): Promise<AlertRecord | null> {
    const alert = await this.deps.metadata.getAlert(alertId);
    if (!alert) return null;
    const now = new Date(this.deps.clock()).toISOString();
    const next: AlertRecord = { ...alert, acknowledged_at: now, acknowledged_by: by, ack_comment: comment, updated_at: now };
    await this.deps.metadata.updateAlert(next);
    return next;
  }

  /**
   * Resolves an alert by hand (idempotent: a resolved alert stays as it is). If the condition still
   * holds, the next evaluation fires a new alert. Null for an unknown alert.
   */
  async resolveByHand(alertId: string): Promise<AlertRecord | null> {
    const alert = await this.deps.metadata.getAlert(alertId);
    if (!alert || !alert.is_active) return alert;
    const nowMs = this.deps.clock();
    const done = resolved(alert, nowMs);
    await this.deps.metadata.applyStates([], [], { insert: [], update: [done] });
    this.deps.listener?.alerts?.([{ kind: 'resolved', alert: done }]);
    await this.reevaluate(alert.agent_id);
    return done;
  }

  /** Steps each agent with its observations, reading their active alerts in one query. */
  private async advance(
    contexts: ReadonlyMap<string, IngestContext>,
    observations: ReadonlyMap<string, Observation[]>,
    nowMs: number,
  ): Promise<Map<string, AgentStep>> {
    const ids = [...observations.keys()];
    const active = await this.deps.metadata.getActiveAlerts(ids);
    const byAgent = new Map<string, AlertRecord[]>();
    for (const a of active) {
      const list = byAgent.get(a.agent_id) ?? [];
      list.push(a);
      byAgent.set(a.agent_id, list);
    }
    const steps = new Map<string, AgentStep>();
    for (const id of ids) {
      steps.set(id, advanceAgent(contexts.get(id) as IngestContext, observations.get(id) ?? [], byAgent.get(id) ?? [], nowMs, this.deps.settings));
    }
    return steps;
  }

  /** Tells the listener the latest payload of each agent. */
  private tick(payloads: readonly AgentMetrics[], times: readonly number[], steps: ReadonlyMap<string, AgentStep>): void {
    if (!this.deps.listener?.metrics) return;
    // Each agent's latest payload, by its index (no object per agent: this runs for every batch).
    const latest = new Map<string, number>();
    for (let i = 0; i < payloads.length; i++) {
      const id = (payloads[i] as AgentMetrics).agent_id;
      const seen = latest.get(id);
      if (seen === undefined || (times[i] as number) >= (times[seen] as number)) latest.set(id, i);
    }
    const ticks: MetricsTick[] = [];
    for (const [agentId, i] of latest) {
      const step = steps.get(agentId);
      if (!step) continue;
      const v = fleetValues(payloads[i] as AgentMetrics);
      ticks.push({
        agent_id: agentId,
        timestamp: isoFromMs(times[i] as number),
        health_score: step.score,
        status: step.status,
        // Both are required in every payload the schema takes.
        cpu_usage_percent: v.cpu_usage_percent ?? 0,
        memory_usage_percent: v.memory_usage_percent ?? 0,
        error_rate: v.error_rate ?? null,
        average_response_time_ms: v.average_response_time_ms ?? null,
        throughput_per_second: v.throughput_per_second ?? null,
        tokens_per_second: v.tokens_per_second ?? null,
        tasks_completed: v.tasks_completed ?? null,
        tasks_failed: v.tasks_failed ?? null,
      });
    }
    this.deps.listener.metrics(ticks);
  }

  /** Writes steps in one transaction, then tells the listener. */
  private async commit(steps: readonly AgentStep[]): Promise<void> {
    const writes: AgentStateWrite[] = steps.map((s) => s.write);
    const events = steps.flatMap((s) => s.events);
    const alerts = steps.reduce((acc, s) => mergeChanges(acc, s.alerts), noChanges());
    await this.deps.metadata.applyStates(writes, events, { insert: alerts.insert, update: alerts.update });
    const listener = this.deps.listener;
    if (!listener) return;
    if (alerts.transitions.length > 0) listener.alerts?.(alerts.transitions);
    if (events.length > 0) listener.events?.(events);
    const moved = steps
      .filter((s) => s.status !== s.previousStatus || s.write.last_seen !== undefined || s.write.status !== undefined)
      .map((s) => ({
        agent_id: s.write.agent_id,
        status: s.status,
        previous_status: s.previousStatus,
        reason: s.write.state.status_reason,
        health_score: s.score,
        last_seen: s.write.last_seen ?? null,
      }));
    if (moved.length > 0) listener.states?.(moved);
  }
}
