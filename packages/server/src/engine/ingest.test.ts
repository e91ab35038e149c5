import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { defaultMonitoringConfig, type AgentMetrics, type AgentStatus, type MonitoringConfig, type SystemEvent } from '@agentmon/schema';
import type { AlertRecord, IngestContext } from '../storage/ports.js';
import type { AlertTuning } from './alerts.js';
import { advanceAgent, readSnapshot, type AgentSnapshot, type AgentStep, type Observation } from './ingest.js';

const ID = 'agent-1';
const NAME = 'agent-one';
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const S = 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const fingerprint = (metric: string) => createHash('sha256').update(`${ID}\n${metric}`).digest('hex').slice(0, 16);

type Config = MonitoringConfig & Partial<AlertTuning>;
const cfg = (extra: Partial<Config> = {}): Config => ({ ...defaultMonitoringConfig(ID), ...extra });

// ------------------------------------------------------------------ inputs

interface P {
  cpu?: number;
  mem?: number;
  err?: number;
  rt?: number;
  success?: number;
  checks?: Record<string, boolean>;
  alerts?: string[];
  custom?: Record<string, unknown>;
}

/** A payload: calm values unless told otherwise. */
function payload(p: P = {}, tsMs?: number): AgentMetrics {
  return {
    agent_id: ID,
    ...(tsMs !== undefined ? { timestamp: iso(tsMs) } : {}),
    resource_metrics: { cpu_usage_percent: p.cpu ?? 10, memory_usage_bytes: 1_000, memory_usage_percent: p.mem ?? 20, disk_usage_bytes: 1_000 },
    performance_metrics: { error_rate: p.err ?? 0, average_response_time_ms: p.rt ?? 100, ...(p.success !== undefined ? { success_rate: p.success } : {}) },
    ...(p.checks ? { health_checks: p.checks } : {}),
    ...(p.alerts ? { alerts: p.alerts } : {}),
    ...(p.custom ? { custom_metrics: p.custom } : {}),
  };
}
const metrics = (p: P, tsMs: number): Observation => ({ kind: 'metrics', payload: payload(p, tsMs), tsMs });
const heartbeat: Observation = { kind: 'heartbeat' };
const health = (...checks: [name: string, status: boolean, message?: string][]): Observation => ({
  kind: 'health',
  checks: checks.map(([name, status, message]) => ({ name, status, message: message ?? null, timestamp: iso(T0), execution_time_ms: 3 })),
});

// ------------------------------------------------------------------ a store in memory

function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}

/** One agent as the store keeps it: its context, every alert row and every event. */
class World {
  ctx: IngestContext;
  lastSeen: string | null = null;
  alerts: AlertRecord[] = [];
  events: SystemEvent[] = [];

  constructor(
    config: Config = cfg(),
    readonly offlineFactor = 3,
  ) {
    this.ctx = {
      id: ID,
      name: NAME,
      keyHash: null,
      environment: 'test',
      deployment_type: 'local',
      type: 'custom',
      version: '1.0.0',
      host: 'localhost',
      status: 'unknown',
      config,
      state: { health_score: 0, status_reason: null, last_metrics_at: null, last_heartbeat_at: null, last_health_at: null, snapshot: {} },
    };
  }

  active(): AlertRecord[] {
    return this.alerts.filter((a) => a.is_active);
  }

  activeFor(metric: string): AlertRecord | undefined {
    return this.active().find((a) => a.metric_name === metric);
  }

  snapshot(): AgentSnapshot {
    return readSnapshot(this.ctx.state);
  }

  /** Sets the status by hand (as the monitor does for maintenance). */
  setStatus(status: AgentStatus): void {
    this.ctx = { ...this.ctx, status };
  }

  /** One step at `nowMs` (no observations: a sweep), checked for the invariants and applied. */
  step(observations: Observation[], nowMs: number): AgentStep {
    const before = this.ctx.status;
    // The engine is pure: it must not modify what it is given.
    const ctx = deepFreeze(structuredClone(this.ctx));
    const active = deepFreeze(structuredClone(this.active()));
    const step = advanceAgent(ctx, observations, active, nowMs, { offlineFactor: this.offlineFactor });
    this.check(step, before, observations.length > 0, nowMs);
    this.apply(step);
    return step;
  }

  /** Invariants every step keeps. */
  private check(step: AgentStep, before: AgentStatus, arrived: boolean, nowMs: number): void {
    const w = step.write;
    assert.equal(w.agent_id, ID);
    assert.equal(w.state.health_score, step.score);
    assert.ok(step.score >= 0 && step.score <= 1);
    assert.ok(w.state.status_reason, 'every status has a reason');
    assert.deepEqual(readSnapshot(w.state).components.length > 0, true);
    assert.equal(w.last_seen, arrived ? iso(nowMs) : undefined, 'last_seen moves with data only');
    const changes = step.events.filter((e) => e.type === 'agent_status_changed');
    if (step.status !== before) {
      assert.equal(w.status, step.status);
      assert.equal(changes.length, 1, 'a status change raises one AGENT_STATUS_CHANGED');
      const ev = changes[0] as SystemEvent;
      assert.deepEqual(ev.data, { old_status: before, new_status: step.status, reason: w.state.status_reason });
      assert.equal(ev.agent_id, ID);
      assert.equal(ev.timestamp, iso(nowMs));
      assert.equal(ev.message, `${NAME} changed from ${before} to ${step.status} (${w.state.status_reason})`);
    } else {
      assert.equal(w.status, undefined, 'no status write without a change');
      assert.equal(changes.length, 0, 'no status event without a change');
    }
    assert.equal(step.events.filter((e) => e.type === 'metric_threshold_exceeded').length, step.alerts.insert.filter((a) => a.threshold !== null).length, 'each threshold firing raises one event');
    assert.equal(step.alerts.transitions.filter((t) => t.kind === 'fired').length, step.alerts.insert.length);
  }

  /** What the store does with a step. */
  private apply(step: AgentStep): void {
    const w = step.write;
    this.ctx = { ...this.ctx, state: w.state, ...(w.status !== undefined ? { status: w.status } : {}) };
    if (w.last_seen !== undefined && (this.lastSeen === null || w.last_seen > this.lastSeen)) this.lastSeen = w.last_seen;
    for (const a of step.alerts.insert) {
      assert.ok(!this.active().some((x) => x.fingerprint === a.fingerprint), `no second active alert for ${a.metric_name}`);
      this.alerts.push(a);
    }
    for (const a of step.alerts.update) {
      const i = this.alerts.findIndex((x) => x.id === a.id);
      assert.ok(i >= 0, 'updates an alert that exists');
      this.alerts[i] = a;
    }
    this.events.push(...step.events);
  }
}

const ofType = (events: readonly SystemEvent[], type: SystemEvent['type']) => events.filter((e) => e.type === type);
const componentValues = (w: World) => Object.fromEntries(w.snapshot().components.map((c) => [c.name, c.value]));
/** The weighted average of the components, before the status's cap: what the terms alone give. */
function uncapped(w: World): number {
  const terms = w.snapshot().components.filter((c) => c.name !== 'cap');
  const total = terms.reduce((sum, c) => sum + c.weight, 0);
  return Math.round((terms.reduce((sum, c) => sum + c.weight * c.value, 0) / total) * 10_000) / 10_000;
}
const statusChanges = (w: World) => ofType(w.events, 'agent_status_changed').map((e) => [e.data.old_status, e.data.new_status, e.data.reason]);

// ------------------------------------------------------------------ tests

describe('advanceAgent: status and silence', () => {
  it('unknown until the first data, online while fresh, offline with a no_data alert after 3 intervals, online when data returns', () => {
    const w = new World();

    let s = w.step([], T0);
    assert.equal(s.status, 'unknown');
    assert.equal(s.write.state.status_reason, 'no_data');
    assert.equal(s.score, 0);
    assert.deepEqual(s.events, []);
    assert.deepEqual(s.alerts.insert, []);

    s = w.step([metrics({}, T0 + S)], T0 + S);
    assert.equal(s.status, 'online');
    assert.equal(s.write.state.status_reason, 'ok');
    assert.equal(s.score, 1);
    assert.equal(s.write.state.last_metrics_at, iso(T0 + S));
    assert.equal(ofType(s.events, 'agent_status_changed')[0]?.severity, 'info');
    assert.equal(w.lastSeen, iso(T0 + S));

    s = w.step([], T0 + 61 * S);
    assert.equal(s.status, 'online');
    assert.equal(s.score, 1, 'fresh within one interval (60 s)');
    assert.deepEqual(s.events, []);

    s = w.step([], T0 + 121 * S);
    assert.equal(s.score, 0.9286, 'freshness 0.75: (0.2·0.75 + 0.5) / 0.7');
    assert.equal(s.status, 'online');

    s = w.step([], T0 + 181 * S);
    assert.equal(s.status, 'online', 'exactly 3 × 60 s of silence is not yet offline');
    assert.equal(s.score, 0.8571, 'freshness 0.5: (0.2·0.5 + 0.5) / 0.7');
    assert.deepEqual(s.alerts.insert, []);

    s = w.step([], T0 + 181 * S + 1);
    assert.equal(s.status, 'offline');
    assert.equal(s.write.state.status_reason, 'no_heartbeat');
    assert.equal(uncapped(w), 0.7143, 'freshness 0: 0.5 / 0.7');
    assert.equal(s.score, 0.29, 'offline holds the score under 0.3');
    assert.equal(w.snapshot().components.find((c) => c.name === 'cap')?.detail, 'status offline (no_heartbeat): score held at 0.29 or less');
    assert.equal(ofType(s.events, 'agent_status_changed')[0]?.severity, 'error');
    assert.equal(s.alerts.insert.length, 1);
    const noData = s.alerts.insert[0] as AlertRecord;
    assert.equal(noData.metric_name, 'no_data');
    assert.equal(noData.severity, 'critical');
    assert.equal(noData.fingerprint, fingerprint('no_data'));
    assert.equal(noData.title, 'agent-one stopped reporting');
    assert.equal(noData.message, 'no metrics, heartbeat or health report from agent-one since 2025-01-01T00:00:01.000Z (offline after 180 s of silence)', 'since when, never a duration that goes stale');
    assert.equal(noData.created_at, iso(T0 + 181 * S + 1));
    assert.deepEqual(s.alerts.transitions, [{ kind: 'fired', alert: noData }]);

    s = w.step([], T0 + 300 * S);
    assert.equal(s.status, 'offline');
    assert.deepEqual([s.alerts.insert, s.alerts.update, s.events], [[], [], []], 'a silent agent raises no_data once');

    s = w.step([heartbeat], T0 + 400 * S);
    assert.equal(s.status, 'online');
    assert.equal(s.write.state.status_reason, 'ok');
    assert.equal(s.write.state.last_heartbeat_at, iso(T0 + 400 * S));
    assert.equal(s.score, 1, 'fresh again; the last metrics are still calm');
    assert.equal(s.alerts.update.length, 1);
    const back = s.alerts.update[0] as AlertRecord;
    assert.equal(back.id, noData.id);
    assert.equal(back.is_active, false);
    assert.equal(back.resolved_at, iso(T0 + 400 * S));
    assert.deepEqual(s.alerts.transitions, [{ kind: 'resolved', alert: back }]);
    assert.equal(w.active().length, 0);
    assert.equal(w.alerts.length, 1);

    assert.deepEqual(
      ofType(w.events, 'agent_status_changed').map((e) => [e.data.old_status, e.data.new_status, e.data.reason]),
      [
        ['unknown', 'online', 'ok'],
        ['online', 'offline', 'no_heartbeat'],
        ['offline', 'online', 'ok'],
      ],
    );
  });

  it('an agent that never reported stays unknown with score 0 and raises no no_data alert', () => {
    const w = new World();
    for (const t of [T0, T0 + 3600 * S, T0 + 86_400 * S]) {
      const s = w.step([], t);
      assert.equal(s.status, 'unknown');
      assert.equal(s.score, 0);
      assert.deepEqual(s.alerts.insert, []);
    }
    assert.deepEqual(componentValues(w), { freshness: 0 });
  });

  it('a heartbeat alone and a health report alone count as data', () => {
    const hb = new World();
    let s = hb.step([heartbeat], T0);
    assert.equal(s.status, 'online');
    assert.equal(s.score, 1);
    assert.deepEqual(componentValues(hb), { freshness: 1 });
    assert.equal(s.write.state.last_heartbeat_at, iso(T0));
    assert.equal(s.write.state.last_metrics_at, null);

    const hr = new World();
    s = hr.step([health(['db', true], ['cache', true])], T0);
    assert.equal(s.status, 'online');
    assert.deepEqual(componentValues(hr), { checks: 1, freshness: 1 });
    assert.equal(s.write.state.last_health_at, iso(T0));
    // Silent for 3 intervals after the report: offline.
    assert.equal(hr.step([], T0 + 180 * S + 1).status, 'offline');
  });

  it('the silence limit is factor × max(metrics, health-check interval): factor 2, intervals 10 s and 120 s give 240 s', () => {
    const w = new World(cfg({ metrics_interval_seconds: 10, health_check_interval_seconds: 120 }), 2);
    w.step([metrics({}, T0)], T0);
    let s = w.step([], T0 + 240 * S);
    assert.equal(s.status, 'online');
    assert.deepEqual(s.alerts.insert, []);
    s = w.step([], T0 + 240 * S + 1);
    assert.equal(s.status, 'offline');
    assert.equal(s.alerts.insert[0]?.message, 'no metrics, heartbeat or health report from agent-one since 2025-01-01T00:00:00.000Z (offline after 240 s of silence)');
  });

  it('a low score without any alert makes the status warning with reason health_score', () => {
    const w = new World();
    // Every value exactly at its threshold: no breach, each ramp 0.5; score (0.2 + 0.25) / 0.7 = 0.6429.
    let s = w.step([metrics({ cpu: 80, mem: 85, err: 0.05, rt: 5000 }, T0)], T0);
    assert.equal(s.score, 0.6429);
    assert.equal(s.status, 'online');
    assert.deepEqual(s.alerts.insert, []);
    // 150 s later freshness is 1 - 0.5·90/120 = 0.625: (0.125 + 0.25) / 0.7 = 0.5357.
    s = w.step([], T0 + 150 * S);
    assert.equal(s.score, 0.5357);
    assert.equal(s.status, 'warning');
    assert.equal(s.write.state.status_reason, 'health_score');
    assert.equal(ofType(s.events, 'agent_status_changed')[0]?.severity, 'warning');
    // Fresh data lifts the score to 0.6429, inside the hysteresis (under 0.6 + 0.1): still warning.
    s = w.step([heartbeat], T0 + 160 * S);
    assert.equal(s.status, 'warning');
    assert.equal(uncapped(w), 0.6429);
    assert.equal(s.score, 0.59);
    // Calm values lift it past 0.7: online, with the score uncapped.
    s = w.step([metrics({}, T0 + 170 * S)], T0 + 170 * S);
    assert.equal(s.status, 'online');
    assert.equal(s.score, 1);
    assert.deepEqual(statusChanges(w), [
      ['unknown', 'online', 'ok'],
      ['online', 'warning', 'health_score'],
      ['warning', 'online', 'ok'],
    ]);
  });

  it('offline wins over firing alerts; data coming back resolves no_data and re-evaluates the thresholds', () => {
    const w = new World();
    w.step([metrics({ cpu: 85 }, T0)], T0);
    assert.ok(w.activeFor('cpu_usage_percent'));
    let s = w.step([], T0 + 200 * S);
    assert.equal(s.status, 'offline');
    assert.equal(s.write.state.status_reason, 'no_heartbeat');
    assert.ok(w.activeFor('no_data'));
    assert.ok(w.activeFor('cpu_usage_percent'), 'a sweep does not touch threshold alerts');
    s = w.step([metrics({ cpu: 10 }, T0 + 210 * S)], T0 + 210 * S);
    assert.equal(s.status, 'online');
    assert.deepEqual(new Set(s.alerts.update.map((a) => [a.metric_name, a.is_active].join())), new Set(['cpu_usage_percent,false', 'no_data,false']));
    assert.equal(w.active().length, 0);
  });
});

describe('advanceAgent: status follows the alerts, not each payload', () => {
  /** Payloads every 10 s with a sweep 5 s after each, as the server's sweeper does. */
  function run(w: World, values: (i: number) => P, n: number, startMs: number): void {
    for (let i = 0; i < n; i++) {
      const t = startMs + i * 10 * S;
      w.step([metrics(values(i), t)], t);
      w.step([], t + 5 * S);
    }
  }

  it('a value oscillating around the critical level: one escalation, no warning/error flapping', () => {
    const w = new World();
    run(w, (i) => ({ cpu: i === 0 ? 10 : i % 2 === 0 ? 88 : 92 }), 60, T0);
    assert.deepEqual(statusChanges(w), [
      ['unknown', 'online', 'ok'],
      ['online', 'error', 'threshold:cpu_usage_percent'],
    ]);
    assert.equal(w.activeFor('cpu_usage_percent')?.severity, 'critical');
    assert.equal(w.activeFor('cpu_usage_percent')?.title, 'CPU usage critical on agent-one');
    // Calm again: the incident ends with one more change.
    run(w, () => ({ cpu: 10 }), 3, T0 + 600 * S);
    assert.equal(statusChanges(w).length, 3);
    assert.deepEqual(statusChanges(w).at(-1), ['error', 'online', 'ok']);
  });

  it('a value oscillating around the threshold: one alert, one warning, no flapping', () => {
    const w = new World();
    run(w, (i) => ({ cpu: i === 0 ? 10 : i % 2 === 0 ? 78 : 82 }), 60, T0);
    assert.deepEqual(statusChanges(w), [
      ['unknown', 'online', 'ok'],
      ['online', 'warning', 'threshold:cpu_usage_percent'],
    ]);
    assert.equal(w.alerts.length, 1);
  });

  it('a score oscillating around 0.3 beside warning alerts: error once, held by the hysteresis', () => {
    const w = new World();
    // Failing check, error rate and response time at 1.25·T (terms 0), cpu 85 (0.375): the score is
    // 0.2375 + 0.1 · memory term, 0.2875 at memory 85 and 0.3375 at memory 20. All alerts are warnings.
    run(w, (i) => ({ cpu: 85, mem: i % 2 === 0 ? 85 : 20, err: 0.0625, rt: 6250, checks: { db: false } }), 60, T0);
    assert.ok(w.active().every((a) => a.severity === 'warning'));
    assert.deepEqual(statusChanges(w), [['unknown', 'error', 'health_score']]);
    assert.ok(w.snapshot().components.some((c) => c.name === 'cap'));
    assert.ok(w.ctx.state.health_score <= 0.29);
  });

  it('a score decaying between payloads and restored by each one does not flap', () => {
    const w = new World(cfg({ metrics_interval_seconds: 10, health_check_interval_seconds: 10 }));
    // Values at their thresholds (score 0.6429 fresh); payloads 25 s apart: the sweep 20 s after one
    // sees freshness 1 - 0.5 · 10/20 = 0.75 and a score of 0.5714, under 0.6; the next payload
    // restores 0.6429, over 0.6 but inside the hysteresis.
    for (let i = 0; i < 30; i++) {
      const t = T0 + i * 25 * S;
      w.step([metrics({ cpu: 80, mem: 85, err: 0.05, rt: 5000 }, t)], t);
      for (const later of [5, 10, 15, 20]) w.step([], t + later * S);
    }
    assert.deepEqual(statusChanges(w), [
      ['unknown', 'online', 'ok'],
      ['online', 'warning', 'health_score'],
    ]);
  });
});

describe('advanceAgent: threshold alerts', () => {
  it('fires once with METRIC_THRESHOLD_EXCEEDED, updates on repeat, escalates, holds under hysteresis, resolves', () => {
    const w = new World();
    w.step([metrics({}, T0)], T0);

    let s = w.step([metrics({ cpu: 85 }, T0 + 10 * S)], T0 + 10 * S);
    assert.equal(s.status, 'warning');
    assert.equal(s.write.state.status_reason, 'threshold:cpu_usage_percent');
    assert.equal(uncapped(w), 0.9107, 'cpu ramp 0.375: (0.2 + 0.2 + 0.0375 + 0.2) / 0.7');
    assert.equal(s.score, 0.59, 'a warning holds the score under 0.6');
    const alert = s.alerts.insert[0] as AlertRecord;
    assert.equal(s.alerts.insert.length, 1);
    assert.equal(alert.severity, 'warning');
    assert.equal(alert.fingerprint, fingerprint('cpu_usage_percent'));
    const [exceeded] = ofType(s.events, 'metric_threshold_exceeded');
    assert.equal(exceeded?.data.metric, 'cpu_usage_percent');
    assert.equal(exceeded?.data.threshold, 80);
    assert.equal(exceeded?.data.value, 85);
    assert.equal(exceeded?.agent_id, ID);

    s = w.step([metrics({ cpu: 88 }, T0 + 20 * S)], T0 + 20 * S);
    assert.deepEqual(s.alerts.insert, []);
    assert.deepEqual(s.events, [], 'a repeat raises no event and changes no status');
    assert.equal(w.alerts.length, 1);
    assert.equal(w.activeFor('cpu_usage_percent')?.id, alert.id);
    assert.equal(w.activeFor('cpu_usage_percent')?.current_value, 88);

    s = w.step([metrics({ cpu: 95 }, T0 + 30 * S)], T0 + 30 * S);
    assert.equal(s.status, 'error');
    assert.equal(s.write.state.status_reason, 'threshold:cpu_usage_percent');
    assert.equal(s.alerts.transitions[0]?.kind, 'escalated');
    assert.equal(w.activeFor('cpu_usage_percent')?.severity, 'critical');
    assert.equal(w.activeFor('cpu_usage_percent')?.id, alert.id);
    assert.equal(ofType(s.events, 'metric_threshold_exceeded').length, 0);

    s = w.step([metrics({ cpu: 75 }, T0 + 40 * S)], T0 + 40 * S);
    assert.equal(s.status, 'warning', '75 is between the recovery level 72 and 80: still firing, as a warning');
    assert.equal(w.activeFor('cpu_usage_percent')?.current_value, 75);
    assert.equal(uncapped(w), 0.9464);
    assert.equal(s.score, 0.59);

    s = w.step([metrics({ cpu: 70 }, T0 + 50 * S)], T0 + 50 * S);
    assert.equal(s.status, 'online');
    assert.equal(s.write.state.status_reason, 'ok');
    assert.equal(s.score, 0.9643);
    assert.equal(w.active().length, 0);
    const done = w.alerts[0] as AlertRecord;
    assert.equal(done.is_active, false);
    assert.equal(done.resolved_at, iso(T0 + 50 * S));
    assert.equal(done.current_value, 70);
    assert.equal(w.alerts.length, 1);

    assert.deepEqual(
      ofType(w.events, 'agent_status_changed').map((e) => [e.data.old_status, e.data.new_status, e.data.reason]),
      [
        ['unknown', 'online', 'ok'],
        ['online', 'warning', 'threshold:cpu_usage_percent'],
        ['warning', 'error', 'threshold:cpu_usage_percent'],
        ['error', 'warning', 'threshold:cpu_usage_percent'],
        ['warning', 'online', 'ok'],
      ],
    );
    assert.equal(ofType(w.events, 'metric_threshold_exceeded').length, 1);
  });

  it('pending: the breach must hold alert_pending_seconds; a recovery resets it; the memory lives in the snapshot', () => {
    const w = new World(cfg({ alert_pending_seconds: 60 }));
    let s = w.step([metrics({ cpu: 85 }, T0)], T0);
    assert.deepEqual(s.alerts.insert, []);
    assert.equal(s.status, 'online');
    assert.deepEqual(w.snapshot().rules, { cpu_usage_percent: { pending_since: iso(T0) } });

    s = w.step([metrics({ cpu: 70 }, T0 + 30 * S)], T0 + 30 * S);
    assert.deepEqual(w.snapshot().rules, {}, 'recovered: the wait resets');

    w.step([metrics({ cpu: 85 }, T0 + 60 * S)], T0 + 60 * S);
    w.step([heartbeat], T0 + 90 * S);
    assert.deepEqual(w.snapshot().rules, { cpu_usage_percent: { pending_since: iso(T0 + 60 * S) } }, 'a heartbeat keeps the memory');
    s = w.step([metrics({ cpu: 85 }, T0 + 119 * S)], T0 + 119 * S);
    assert.deepEqual(s.alerts.insert, [], '59 s of the new breach');

    s = w.step([metrics({ cpu: 85 }, T0 + 120 * S)], T0 + 120 * S);
    assert.equal(s.alerts.insert.length, 1);
    assert.equal(s.status, 'warning');
    assert.equal(ofType(s.events, 'metric_threshold_exceeded').length, 1);
    assert.deepEqual(w.snapshot().rules, {});
  });

  it('keep-firing: a recovered value resolves only after alert_keep_firing_seconds; hovering back restarts the wait', () => {
    const w = new World(cfg({ alert_keep_firing_seconds: 60 }));
    w.step([metrics({ err: 0.08 }, T0)], T0);
    assert.equal(w.activeFor('error_rate')?.severity, 'warning');

    let s = w.step([metrics({ err: 0.01 }, T0 + 10 * S)], T0 + 10 * S);
    assert.equal(s.status, 'warning');
    assert.equal(s.write.state.status_reason, 'threshold:error_rate');
    assert.deepEqual(w.snapshot().rules, { error_rate: { recovering_since: iso(T0 + 10 * S) } });

    w.step([metrics({ err: 0.048 }, T0 + 40 * S)], T0 + 40 * S);
    assert.deepEqual(w.snapshot().rules, {}, '0.048 is over the recovery level 0.045: the wait restarts');
    assert.ok(w.activeFor('error_rate'));

    w.step([metrics({ err: 0.01 }, T0 + 50 * S)], T0 + 50 * S);
    s = w.step([metrics({ err: 0.01 }, T0 + 109 * S)], T0 + 109 * S);
    assert.ok(w.activeFor('error_rate'));
    s = w.step([metrics({ err: 0.01 }, T0 + 110 * S)], T0 + 110 * S);
    assert.equal(w.activeFor('error_rate'), undefined);
    assert.equal(s.status, 'online');
    assert.equal(w.alerts[0]?.resolved_at, iso(T0 + 110 * S));
  });

  it('lower is worse for success_rate: a drop under the threshold fires, under T/2 is critical, recovery at T/0.9', () => {
    const w = new World(cfg({ custom_thresholds: { success_rate: 0.8 } }));
    let s = w.step([metrics({ success: 0.99 }, T0)], T0);
    assert.deepEqual(s.alerts.insert, []);
    s = w.step([metrics({ success: 0.7 }, T0 + 10 * S)], T0 + 10 * S);
    const alert = s.alerts.insert[0] as AlertRecord;
    assert.equal(alert.metric_name, 'success_rate');
    assert.equal(alert.severity, 'warning');
    assert.equal(alert.message, 'success_rate is 0.7, below the threshold of 0.8');
    assert.equal(s.write.state.status_reason, 'threshold:success_rate');
    s = w.step([metrics({ success: 0.35 }, T0 + 20 * S)], T0 + 20 * S);
    assert.equal(s.status, 'error');
    assert.equal(w.activeFor('success_rate')?.severity, 'critical');
    w.step([metrics({ success: 0.85 }, T0 + 30 * S)], T0 + 30 * S);
    assert.ok(w.activeFor('success_rate'), '0.85 is under the recovery level 0.8889');
    s = w.step([metrics({ success: 0.9 }, T0 + 40 * S)], T0 + 40 * S);
    assert.equal(w.activeFor('success_rate'), undefined);
    assert.equal(s.status, 'online');
  });

  it('custom.<key> thresholds read the flattened custom metrics; a payload without the key decides nothing', () => {
    const w = new World(cfg({ custom_thresholds: { 'custom.queue.depth': 100 } }));
    let s = w.step([metrics({ custom: { queue: { depth: 150 }, region: 'eu' } }, T0)], T0);
    const alert = s.alerts.insert[0] as AlertRecord;
    assert.equal(alert.metric_name, 'custom.queue.depth');
    assert.equal(alert.threshold, 100);
    assert.equal(alert.current_value, 150);
    assert.equal(alert.fingerprint, fingerprint('custom.queue.depth'));
    assert.equal(s.write.state.status_reason, 'threshold:custom.queue.depth');
    assert.deepEqual(ofType(s.events, 'metric_threshold_exceeded')[0]?.data.value, 150);

    s = w.step([metrics({ custom: { queue: { depth: 201 } } }, T0 + 10 * S)], T0 + 10 * S);
    assert.equal(w.activeFor('custom.queue.depth')?.severity, 'critical', 'over 2T');

    s = w.step([metrics({}, T0 + 20 * S)], T0 + 20 * S);
    assert.deepEqual(s.alerts.update, []);
    assert.equal(w.activeFor('custom.queue.depth')?.current_value, 201);

    s = w.step([metrics({ custom: { queue: { depth: 50 } } }, T0 + 30 * S)], T0 + 30 * S);
    assert.equal(w.activeFor('custom.queue.depth'), undefined);
    assert.equal(s.status, 'online');
  });
});

describe('advanceAgent: maintenance', () => {
  it('nothing fires, silence is not detected and the status stays maintenance', () => {
    const w = new World(cfg({ alert_pending_seconds: 0 }));
    w.step([metrics({}, T0)], T0);
    w.setStatus('maintenance');

    let s = w.step([metrics({ cpu: 99, err: 0.5, checks: { db: false }, alerts: ['on fire'] }, T0 + 10 * S)], T0 + 10 * S);
    assert.equal(s.status, 'maintenance');
    assert.equal(s.write.state.status_reason, 'maintenance');
    assert.equal(s.write.status, undefined);
    assert.deepEqual([s.alerts.insert, s.alerts.update, s.alerts.transitions, s.events], [[], [], [], []]);
    assert.ok(s.score < 1, 'the score is still computed');

    s = w.step([health(['db', false, 'down'])], T0 + 20 * S);
    assert.deepEqual([s.alerts.insert, s.events], [[], []]);
    assert.equal(s.status, 'maintenance');

    s = w.step([], T0 + 3600 * S);
    assert.equal(s.status, 'maintenance');
    assert.equal(s.write.state.status_reason, 'maintenance');
    assert.deepEqual([s.alerts.insert, s.events], [[], []], 'no no_data in maintenance');
    assert.equal(w.alerts.length, 0);
    assert.equal(w.events.filter((e) => e.timestamp > iso(T0)).length, 0);

    // When maintenance ends (the monitor derives again from unknown), the silence shows at once.
    w.setStatus('unknown');
    s = w.step([], T0 + 3601 * S);
    assert.equal(s.status, 'offline');
    assert.ok(w.activeFor('no_data'));
  });

  it('an alert firing before maintenance still updates and resolves, but does not escalate', () => {
    const w = new World();
    w.step([metrics({ cpu: 85 }, T0)], T0);
    w.setStatus('maintenance');
    let s = w.step([metrics({ cpu: 99 }, T0 + 10 * S)], T0 + 10 * S);
    assert.deepEqual(s.alerts.transitions, []);
    assert.equal(w.activeFor('cpu_usage_percent')?.severity, 'warning');
    assert.equal(w.activeFor('cpu_usage_percent')?.current_value, 99);
    s = w.step([metrics({ cpu: 10 }, T0 + 20 * S)], T0 + 20 * S);
    assert.equal(s.alerts.transitions[0]?.kind, 'resolved');
    assert.equal(w.active().length, 0);
    assert.equal(s.status, 'maintenance');
  });
});

describe('advanceAgent: health checks', () => {
  it('a failing reported check raises HEALTH_CHECK_FAILED and an alert once; passing again resolves it', () => {
    const w = new World();
    w.step([metrics({}, T0)], T0);

    let s = w.step([health(['db', false, 'timeout'], ['cache', true])], T0 + 10 * S);
    assert.equal(s.status, 'warning');
    assert.equal(s.write.state.status_reason, 'health_check:db');
    assert.equal(s.write.state.last_health_at, iso(T0 + 10 * S));
    assert.equal(uncapped(w), 0.85, 'checks 1/2: (0.15 + 0.2 + 0.5) / 1');
    assert.equal(s.score, 0.59, 'a failing check holds the score under 0.6');
    const alert = s.alerts.insert[0] as AlertRecord;
    assert.equal(s.alerts.insert.length, 1);
    assert.equal(alert.metric_name, 'health_check:db');
    assert.equal(alert.severity, 'warning');
    assert.equal(alert.title, 'Health check db failing on agent-one');
    assert.equal(alert.message, 'health check db failed: timeout');
    assert.equal(alert.fingerprint, fingerprint('health_check:db'));
    const failed = ofType(s.events, 'health_check_failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.data.metric, 'health_check:db');
    assert.equal(failed[0]?.data.alert_id, alert.id);

    s = w.step([health(['db', false, 'timeout'])], T0 + 20 * S);
    assert.deepEqual([s.alerts.insert, s.alerts.update, s.events], [[], [], []], 'still failing: no second alert or event');

    s = w.step([health(['db', true])], T0 + 30 * S);
    assert.equal(s.status, 'online');
    assert.equal(s.score, 1);
    const done = s.alerts.update[0] as AlertRecord;
    assert.equal(done.id, alert.id);
    assert.equal(done.is_active, false);
    assert.equal(done.resolved_at, iso(T0 + 30 * S));
    assert.equal(ofType(w.events, 'health_check_failed').length, 1);
  });

  it('AgentMetrics.health_checks work the same way', () => {
    const w = new World();
    let s = w.step([metrics({ checks: { db: false, api: true } }, T0)], T0);
    assert.equal(s.alerts.insert[0]?.metric_name, 'health_check:db');
    assert.equal(s.alerts.insert[0]?.message, 'health check db failed');
    assert.equal(ofType(s.events, 'health_check_failed').length, 1);
    assert.equal(s.write.state.status_reason, 'health_check:db');
    assert.deepEqual(componentValues(w), { checks: 0.5, freshness: 1, error_rate: 1, cpu: 1, memory: 1, response_time: 1, cap: 0.59 });

    s = w.step([metrics({ checks: { db: false, api: true } }, T0 + 10 * S)], T0 + 10 * S);
    assert.deepEqual([s.alerts.insert, s.events], [[], []]);

    s = w.step([metrics({ checks: { db: true, api: true } }, T0 + 20 * S)], T0 + 20 * S);
    assert.equal(w.active().length, 0);
    assert.equal(s.status, 'online');
    assert.equal(s.score, 1);
  });

  it('a check reported to /health and then in a payload: the score and the alert both follow the latest result', () => {
    const w = new World();
    w.step([health(['db', false])], T0);
    assert.ok(w.activeFor('health_check:db'));
    assert.equal(componentValues(w).checks, 0);

    let s = w.step([metrics({ checks: { db: true } }, T0 + 10 * S)], T0 + 10 * S);
    assert.equal(w.activeFor('health_check:db'), undefined, 'the payload passing resolves the alert');
    assert.equal(componentValues(w).checks, 1, 'and the score counts it as passing');
    assert.equal(s.score, 1);

    w.step([health(['db', true])], T0 + 20 * S);
    s = w.step([metrics({ checks: { db: false } }, T0 + 30 * S)], T0 + 30 * S);
    assert.ok(w.activeFor('health_check:db'), 'the payload failing fires it again');
    assert.equal(componentValues(w).checks, 0, 'and the score counts it as failing');
    assert.equal(s.write.state.status_reason, 'health_check:db');
  });
});

describe('advanceAgent: the agent’s own alert strings', () => {
  it('each string is an alert; a later payload without it resolves it; other data leaves them alone', () => {
    const w = new World();
    let s = w.step([metrics({ alerts: ['disk almost full'] }, T0)], T0);
    const disk = s.alerts.insert[0] as AlertRecord;
    assert.equal(disk.metric_name, 'agent_alert:disk almost full');
    assert.equal(disk.title, 'disk almost full');
    assert.equal(disk.message, 'agent-one reports: disk almost full');
    assert.equal(disk.severity, 'warning');
    assert.equal(disk.threshold, null);
    assert.equal(disk.fingerprint, fingerprint('agent_alert:disk almost full'));
    assert.equal(s.status, 'warning');
    assert.equal(s.write.state.status_reason, 'agent_alert');
    assert.equal(ofType(s.events, 'metric_threshold_exceeded').length, 0);

    s = w.step([heartbeat], T0 + 10 * S);
    s = w.step([health(['db', true])], T0 + 15 * S);
    assert.ok(w.activeFor('agent_alert:disk almost full'), 'a heartbeat or health report does not resolve it');

    s = w.step([metrics({ alerts: ['disk almost full', 'gpu hot'] }, T0 + 20 * S)], T0 + 20 * S);
    assert.deepEqual(s.alerts.insert.map((a) => a.metric_name), ['agent_alert:gpu hot'], 'the repeat is not duplicated');
    assert.equal(w.active().length, 2);

    s = w.step([metrics({ alerts: ['gpu hot'] }, T0 + 30 * S)], T0 + 30 * S);
    assert.deepEqual(s.alerts.update.map((a) => [a.id, a.is_active]), [[disk.id, false]]);

    s = w.step([metrics({}, T0 + 40 * S)], T0 + 40 * S);
    assert.deepEqual(s.alerts.update.map((a) => [a.metric_name, a.is_active]), [['agent_alert:gpu hot', false]], 'a payload without alerts resolves them all');
    assert.equal(w.active().length, 0);
    assert.equal(s.status, 'online');
  });

  it('a long string is clipped to 200 characters in the metric name and kept whole in the message', () => {
    const w = new World();
    const text = 'x'.repeat(300);
    const s = w.step([metrics({ alerts: [text] }, T0)], T0);
    assert.equal(s.alerts.insert[0]?.metric_name, 'agent_alert:' + 'x'.repeat(200));
    assert.equal(s.alerts.insert[0]?.message, `agent-one reports: ${text}`);
  });
});

describe('advanceAgent: custom metric names', () => {
  it('keeps the sorted numeric custom keys of the latest payload that had any, at most 50', () => {
    const w = new World();
    w.step([metrics({ custom: { queue: 3, llm: { cost_usd: 0.2, model: 'x' }, note: 'text' } }, T0)], T0);
    const first = w.snapshot().custom_names;
    assert.deepEqual(first, ['llm.cost_usd', 'queue']);
    w.step([metrics({ custom: { llm: { cost_usd: 0.3 }, queue: 4 } }, T0 + 10 * S)], T0 + 10 * S);
    assert.deepEqual(w.snapshot().custom_names, first);
    w.step([metrics({}, T0 + 20 * S)], T0 + 20 * S);
    assert.deepEqual(w.snapshot().custom_names, ['llm.cost_usd', 'queue'], 'a payload without custom metrics keeps the charts');
    w.step([metrics({ custom: { tokens_left: 9 } }, T0 + 30 * S)], T0 + 30 * S);
    assert.deepEqual(w.snapshot().custom_names, ['tokens_left']);
    const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i]));
    w.step([metrics({ custom: many }, T0 + 40 * S)], T0 + 40 * S);
    assert.equal(w.snapshot().custom_names.length, 50, 'bounded');
  });
});

describe('advanceAgent: late payloads', () => {
  it('an older payload arriving late does not replace the latest snapshot nor fire, but counts as data', () => {
    const w = new World();
    w.step([metrics({ cpu: 30 }, T0 + 60 * S)], T0 + 60 * S);
    const s = w.step([metrics({ cpu: 99, err: 0.9, checks: { db: false }, alerts: ['boom'] }, T0 + 30 * S)], T0 + 70 * S);
    assert.deepEqual([s.alerts.insert, s.events], [[], []]);
    assert.equal(s.status, 'online');
    const snap = w.snapshot();
    assert.equal(snap.metrics?.cpu_usage_percent, 30);
    assert.equal(snap.metrics?.error_rate, 0);
    assert.deepEqual(snap.metric_checks, {});
    assert.equal(snap.metrics_ts, iso(T0 + 60 * S));
    assert.equal(s.write.state.last_metrics_at, iso(T0 + 70 * S), 'freshness is by receive time');
    assert.equal(w.lastSeen, iso(T0 + 70 * S));
    assert.equal(s.score, 1);
  });

  it('in one batch the newest payload wins, whatever the order', () => {
    const w = new World();
    const s = w.step([metrics({ cpu: 95 }, T0 + 100 * S), metrics({ cpu: 10 }, T0 + 90 * S)], T0 + 101 * S);
    assert.equal(w.snapshot().metrics?.cpu_usage_percent, 95);
    assert.equal(w.snapshot().metrics_ts, iso(T0 + 100 * S));
    assert.equal(s.alerts.insert[0]?.current_value, 95);
    assert.equal(s.status, 'error');
  });

  it('a payload with the same timestamp as the latest replaces it', () => {
    const w = new World();
    w.step([metrics({ cpu: 30 }, T0)], T0);
    w.step([metrics({ cpu: 40 }, T0)], T0 + S);
    assert.equal(w.snapshot().metrics?.cpu_usage_percent, 40);
  });
});
