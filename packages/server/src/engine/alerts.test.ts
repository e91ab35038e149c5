import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { defaultMonitoringConfig, type AlertSeverity, type MonitoringConfig } from '@agentmon/schema';
import type { AlertRecord } from '../storage/ports.js';
import {
  AGENT_ALERT_PREFIX,
  HEALTH_CHECK_PREFIX,
  LOWER_IS_WORSE,
  NO_DATA,
  alertFingerprint,
  alertTuning,
  evaluateConditions,
  evaluateThresholds,
  mergeChanges,
  newAlert,
  noChanges,
  resolved,
  thresholdRules,
  type AlertTuning,
  type RuleState,
  type ThresholdRule,
} from './alerts.js';

const AGENT = 'agent-1';
const NAME = 'agent-one';
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const S = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

type Config = MonitoringConfig & Partial<AlertTuning>;
const cfg = (extra: Partial<Config> = {}): Config => ({ ...defaultMonitoringConfig(AGENT), ...extra });

const near = (actual: number | null | undefined, expected: number, msg?: string) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-9, `${msg ?? ''} ${String(actual)} ≈ ${expected}`);

/** The documented fingerprint formula, computed independently. */
const documented = (agentId: string, metric: string) => createHash('sha256').update(`${agentId}\n${metric}`).digest('hex').slice(0, 16);

/** A world of one agent's threshold alerts, advanced evaluation by evaluation as the store would. */
class Thresholds {
  active = new Map<string, AlertRecord>();
  all: AlertRecord[] = [];
  rules: Record<string, RuleState> = {};
  constructor(
    readonly config: Config,
    readonly maintenance = false,
  ) {}

  eval(values: Record<string, number | null | undefined>, nowMs: number, maintenance = this.maintenance) {
    const out = evaluateThresholds({ agentId: AGENT, agentName: NAME, config: this.config, values, active: this.active, rules: this.rules, nowMs, maintenance });
    this.rules = out.rules;
    for (const a of out.insert) {
      assert.ok(!this.active.has(a.metric_name ?? ''), 'never inserts a second active alert for a metric');
      this.active.set(a.metric_name ?? '', a);
      this.all.push(a);
    }
    for (const a of out.update) {
      const i = this.all.findIndex((x) => x.id === a.id);
      assert.ok(i >= 0, 'updates an alert that exists');
      this.all[i] = a;
      if (a.is_active) this.active.set(a.metric_name ?? '', a);
      else this.active.delete(a.metric_name ?? '');
    }
    return out;
  }
}

describe('alertFingerprint', () => {
  it('is the first 16 hex digits of sha256("<agent_id>\\n<metric_name>")', () => {
    assert.equal(alertFingerprint(AGENT, 'cpu_usage_percent'), documented(AGENT, 'cpu_usage_percent'));
    assert.equal(alertFingerprint('a', 'b'), createHash('sha256').update('a\nb').digest('hex').slice(0, 16));
    assert.match(alertFingerprint(AGENT, 'x'), /^[0-9a-f]{16}$/);
  });

  it('is stable and differs by agent and by metric', () => {
    assert.equal(alertFingerprint(AGENT, 'error_rate'), alertFingerprint(AGENT, 'error_rate'));
    assert.notEqual(alertFingerprint(AGENT, 'error_rate'), alertFingerprint('agent-2', 'error_rate'));
    assert.notEqual(alertFingerprint(AGENT, 'error_rate'), alertFingerprint(AGENT, 'cpu_usage_percent'));
    assert.notEqual(alertFingerprint('ab', 'c'), alertFingerprint('a', 'bc'), 'the separator keeps agent and metric apart');
  });
});

describe('alertTuning', () => {
  it('defaults: no critical overrides, no pending, no keep-firing, recovery at 0.9·T', () => {
    assert.deepEqual(alertTuning(cfg()), { critical_thresholds: {}, alert_pending_seconds: 0, alert_keep_firing_seconds: 0, alert_recovery_ratio: 0.9 });
    assert.deepEqual(alertTuning(cfg({ alert_pending_seconds: 30, alert_keep_firing_seconds: 60, alert_recovery_ratio: 0.8, critical_thresholds: { error_rate: 0.5 } })), {
      critical_thresholds: { error_rate: 0.5 },
      alert_pending_seconds: 30,
      alert_keep_firing_seconds: 60,
      alert_recovery_ratio: 0.8,
    });
  });
});

describe('thresholdRules', () => {
  const byMetric = (config: Config) => new Map(thresholdRules(config).map((r) => [r.metric, r]));
  const rule = (config: Config, metric: string): ThresholdRule => {
    const r = byMetric(config).get(metric);
    assert.ok(r, `a rule for ${metric}`);
    return r;
  };

  it('has the four built-in rules with critical min(2T, (T + max)/2) and recovery 0.9·T', () => {
    const rules = thresholdRules(cfg());
    assert.deepEqual(
      rules.map((r) => [r.metric, r.threshold, r.critical, r.lowerIsWorse]),
      [
        ['cpu_usage_percent', 80, 90, false], // min(160, 90)
        ['memory_usage_percent', 85, 92.5, false], // min(170, 92.5)
        ['error_rate', 0.05, 0.1, false], // min(0.1, 0.525)
        ['average_response_time_ms', 5000, 10000, false], // unbounded: 2T
      ],
    );
    near(rule(cfg(), 'cpu_usage_percent').recovery, 72);
    near(rule(cfg(), 'memory_usage_percent').recovery, 76.5);
    near(rule(cfg(), 'error_rate').recovery, 0.045);
    near(rule(cfg(), 'average_response_time_ms').recovery, 4500);
  });

  it('the critical level follows the threshold: 2T when it is the lower, the midpoint to the bound otherwise', () => {
    assert.equal(rule(cfg({ cpu_threshold: 40 }), 'cpu_usage_percent').critical, 70); // min(80, 70)
    assert.equal(rule(cfg({ cpu_threshold: 30 }), 'cpu_usage_percent').critical, 60); // min(60, 65)
    assert.equal(rule(cfg({ error_rate_threshold: 0.6 }), 'error_rate').critical, 0.8); // min(1.2, 0.8)
    assert.equal(rule(cfg({ custom_thresholds: { gpu_usage_percent: 50 } }), 'gpu_usage_percent').critical, 75);
  });

  it('custom thresholds add rules (custom.<key> unbounded: critical 2T) and replace a built-in one of the same metric', () => {
    const config = cfg({ custom_thresholds: { 'custom.queue_depth': 100, cpu_usage_percent: 70 } });
    const rules = thresholdRules(config);
    assert.deepEqual(
      rules.map((r) => r.metric),
      ['memory_usage_percent', 'error_rate', 'average_response_time_ms', 'custom.queue_depth', 'cpu_usage_percent'],
    );
    const q = rule(config, 'custom.queue_depth');
    assert.equal(q.threshold, 100);
    assert.equal(q.critical, 200);
    near(q.recovery, 90);
    assert.equal(q.lowerIsWorse, false);
    const cpu = rule(config, 'cpu_usage_percent');
    assert.equal(cpu.threshold, 70);
    assert.equal(cpu.critical, 85); // min(140, 85)
  });

  it('critical_thresholds override the default critical level', () => {
    assert.equal(rule(cfg({ critical_thresholds: { cpu_usage_percent: 95 } }), 'cpu_usage_percent').critical, 95);
    assert.equal(rule(cfg({ custom_thresholds: { 'custom.q': 10 }, critical_thresholds: { 'custom.q': 12 } }), 'custom.q').critical, 12);
  });

  it('lower-is-worse metrics flip: critical T/2, recovery T·(2 - ratio) capped halfway to the bound', () => {
    assert.deepEqual([...LOWER_IS_WORSE].sort(), ['confidence_score', 'model_accuracy', 'success_rate']);
    const config = cfg({ custom_thresholds: { success_rate: 0.8, model_accuracy: 0.95 } });
    const s = rule(config, 'success_rate');
    assert.equal(s.lowerIsWorse, true);
    assert.equal(s.critical, 0.4);
    near(s.recovery, 0.88);
    const m = rule(config, 'model_accuracy');
    assert.equal(m.critical, 0.475);
    near(m.recovery, 0.975, 'capped halfway between the threshold and the bound');
  });

  it('a threshold of 0 has no default critical level', () => {
    assert.equal(rule(cfg({ error_rate_threshold: 0 }), 'error_rate').critical, null);
    assert.equal(rule(cfg({ custom_thresholds: { success_rate: 0 } }), 'success_rate').critical, null);
  });
});

describe('evaluateThresholds', () => {
  it('a value at or under the threshold fires nothing; over it fires one warning with its event', () => {
    const w = new Thresholds(cfg());
    let out = w.eval({ cpu_usage_percent: 80, memory_usage_percent: 85, error_rate: 0.05, average_response_time_ms: 5000 }, T0);
    assert.deepEqual([out.insert, out.update, out.events, out.transitions], [[], [], [], []], 'exactly at the threshold is no breach');

    out = w.eval({ cpu_usage_percent: 85 }, T0 + 10 * S);
    assert.equal(out.insert.length, 1);
    const alert = out.insert[0] as AlertRecord;
    assert.equal(alert.agent_id, AGENT);
    assert.equal(alert.metric_name, 'cpu_usage_percent');
    assert.equal(alert.severity, 'warning');
    assert.equal(alert.threshold, 80);
    assert.equal(alert.current_value, 85);
    assert.equal(alert.is_active, true);
    assert.equal(alert.resolved_at, null);
    assert.equal(alert.created_at, iso(T0 + 10 * S));
    assert.equal(alert.updated_at, iso(T0 + 10 * S));
    assert.equal(alert.fingerprint, documented(AGENT, 'cpu_usage_percent'));
    assert.equal(alert.title, 'CPU usage high on agent-one');
    assert.equal(alert.message, 'cpu_usage_percent is 85%, above the threshold of 80%');
    assert.equal(alert.acknowledged_at, null);
    assert.equal(alert.last_notified_at, null);
    assert.deepEqual(out.transitions, [{ kind: 'fired', alert }]);
    assert.equal(out.update.length, 0);

    assert.equal(out.events.length, 1);
    const ev = out.events[0];
    assert.equal(ev?.type, 'metric_threshold_exceeded');
    assert.equal(ev?.agent_id, AGENT);
    assert.equal(ev?.severity, 'warning');
    assert.equal(ev?.timestamp, iso(T0 + 10 * S));
    assert.equal(ev?.message, alert.message);
    assert.deepEqual(ev?.data, { metric: 'cpu_usage_percent', threshold: 80, value: 85, severity: 'warning', alert_id: alert.id, fingerprint: alert.fingerprint });
  });

  it('a repeat updates current_value of the same alert and never duplicates', () => {
    const w = new Thresholds(cfg());
    const first = w.eval({ cpu_usage_percent: 85 }, T0).insert[0] as AlertRecord;
    const out = w.eval({ cpu_usage_percent: 88 }, T0 + 30 * S);
    assert.deepEqual([out.insert, out.events, out.transitions], [[], [], []]);
    assert.equal(out.update.length, 1);
    const next = out.update[0] as AlertRecord;
    assert.equal(next.id, first.id);
    assert.equal(next.fingerprint, first.fingerprint);
    assert.equal(next.current_value, 88);
    assert.equal(next.severity, 'warning');
    assert.equal(next.created_at, first.created_at);
    assert.equal(next.updated_at, iso(T0 + 30 * S));
    assert.equal(w.all.length, 1);
    assert.equal(w.active.size, 1);
  });

  it('over the critical level it fires critical at once; the default critical level for cpu 80 is 90', () => {
    const w = new Thresholds(cfg());
    assert.equal((w.eval({ cpu_usage_percent: 90 }, T0).insert[0] as AlertRecord).severity, 'warning', 'at the critical level is still warning');
    const w2 = new Thresholds(cfg());
    const out = w2.eval({ cpu_usage_percent: 90.5 }, T0);
    const alert = out.insert[0] as AlertRecord;
    assert.equal(alert.severity, 'critical');
    assert.equal(alert.title, 'CPU usage critical on agent-one');
    assert.equal(out.events[0]?.severity, 'critical');
    assert.equal(out.events[0]?.data.severity, 'critical');
    // error_rate 0.05: critical at 2T = 0.1
    const w3 = new Thresholds(cfg());
    assert.equal((w3.eval({ error_rate: 0.1 }, T0).insert[0] as AlertRecord).severity, 'warning');
    assert.equal((new Thresholds(cfg()).eval({ error_rate: 0.11 }, T0).insert[0] as AlertRecord).severity, 'critical');
  });

  it('escalates warning → critical on the same alert, with an escalated transition and no second event', () => {
    const w = new Thresholds(cfg());
    const first = w.eval({ cpu_usage_percent: 85 }, T0).insert[0] as AlertRecord;
    const out = w.eval({ cpu_usage_percent: 95 }, T0 + 10 * S);
    assert.equal(out.insert.length, 0);
    assert.equal(out.events.length, 0);
    const next = out.update[0] as AlertRecord;
    assert.equal(next.id, first.id);
    assert.equal(next.severity, 'critical');
    assert.equal(next.current_value, 95);
    assert.equal(next.title, 'CPU usage critical on agent-one');
    assert.deepEqual(out.transitions, [{ kind: 'escalated', alert: next }]);
    // Staying critical is no new escalation.
    const again = w.eval({ cpu_usage_percent: 97 }, T0 + 20 * S);
    assert.equal(again.transitions.length, 0);
    assert.equal((again.update[0] as AlertRecord).severity, 'critical');
    // Under the critical level (90) but over its recovery level (90 · 0.9 = 81): still critical.
    const hovering = w.eval({ cpu_usage_percent: 85 }, T0 + 30 * S);
    assert.equal((hovering.update[0] as AlertRecord).severity, 'critical');
    assert.equal((hovering.update[0] as AlertRecord).title, 'CPU usage critical on agent-one');
    // At 81 or under (still over T): back to warning, title and message saying so, without a transition.
    const down = w.eval({ cpu_usage_percent: 81 }, T0 + 40 * S);
    const cooled = down.update[0] as AlertRecord;
    assert.equal(cooled.severity, 'warning');
    assert.equal(cooled.title, 'CPU usage high on agent-one');
    assert.equal(cooled.message, 'cpu_usage_percent is 81%, above the threshold of 80%');
    assert.equal(down.transitions.length, 0);
  });

  it('a value oscillating around the critical level escalates once and stays critical: no severity flapping', () => {
    const w = new Thresholds(cfg());
    const severities: string[] = [];
    let transitions = 0;
    for (let i = 0; i < 40; i++) {
      const out = w.eval({ cpu_usage_percent: i % 2 === 0 ? 88 : 92 }, T0 + i * 5 * S);
      const a = (out.insert[0] ?? out.update[0]) as AlertRecord;
      severities.push(a.severity);
      // The title always names the severity the alert has.
      assert.equal(a.title, `CPU usage ${a.severity === 'critical' ? 'critical' : 'high'} on agent-one`);
      transitions += out.transitions.length;
    }
    assert.deepEqual([...new Set(severities)], ['warning', 'critical']);
    assert.equal(severities.lastIndexOf('warning'), 0, 'critical from the first value past 90 on');
    assert.equal(transitions, 2, 'fired, escalated: nothing else');
  });

  it('escalation waits alert_pending_seconds past the critical level, like firing does', () => {
    const w = new Thresholds(cfg({ alert_pending_seconds: 30 }));
    w.eval({ cpu_usage_percent: 85 }, T0);
    assert.equal((w.eval({ cpu_usage_percent: 85 }, T0 + 30 * S).insert[0] as AlertRecord).severity, 'warning');
    let out = w.eval({ cpu_usage_percent: 95 }, T0 + 40 * S);
    assert.equal((out.update[0] as AlertRecord).severity, 'warning', 'past 90 for 0 s');
    out = w.eval({ cpu_usage_percent: 85 }, T0 + 50 * S);
    assert.equal((out.update[0] as AlertRecord).severity, 'warning', 'a dip resets the wait');
    w.eval({ cpu_usage_percent: 95 }, T0 + 60 * S);
    out = w.eval({ cpu_usage_percent: 96 }, T0 + 80 * S);
    assert.equal((out.update[0] as AlertRecord).severity, 'warning', 'past 90 for 20 s');
    out = w.eval({ cpu_usage_percent: 96 }, T0 + 90 * S);
    assert.equal((out.update[0] as AlertRecord).severity, 'critical', 'past 90 for 30 s');
    assert.equal(out.transitions[0]?.kind, 'escalated');
  });

  it('hysteresis: between the recovery level (0.9·T) and T the alert keeps firing; at or under it, it resolves', () => {
    const w = new Thresholds(cfg());
    const first = w.eval({ cpu_usage_percent: 95 }, T0).insert[0] as AlertRecord;
    let out = w.eval({ cpu_usage_percent: 75 }, T0 + 10 * S);
    assert.equal(out.update.length, 1);
    let next = out.update[0] as AlertRecord;
    assert.equal(next.is_active, true);
    assert.equal(next.current_value, 75);
    assert.equal(next.severity, 'warning', 'under T, not yet recovered, it cools down as a warning');
    assert.equal(out.transitions.length, 0);

    out = w.eval({ cpu_usage_percent: 72.5 }, T0 + 20 * S);
    assert.equal((out.update[0] as AlertRecord).is_active, true, '72.5 is over the recovery level of 72');

    out = w.eval({ cpu_usage_percent: 72 }, T0 + 30 * S);
    next = out.update[0] as AlertRecord;
    assert.equal(next.id, first.id);
    assert.equal(next.is_active, false);
    assert.equal(next.resolved_at, iso(T0 + 30 * S));
    assert.equal(next.updated_at, iso(T0 + 30 * S));
    assert.equal(next.current_value, 72);
    assert.deepEqual(out.transitions, [{ kind: 'resolved', alert: next }]);
    assert.equal(out.events.length, 0);
    assert.equal(w.active.size, 0);

    // A new breach afterwards is a new alert with the same fingerprint.
    const again = w.eval({ cpu_usage_percent: 81 }, T0 + 40 * S).insert[0] as AlertRecord;
    assert.notEqual(again.id, first.id);
    assert.equal(again.fingerprint, first.fingerprint);
  });

  it('alert_recovery_ratio sets the recovery level', () => {
    const w = new Thresholds(cfg({ alert_recovery_ratio: 0.5 }));
    w.eval({ cpu_usage_percent: 85 }, T0);
    assert.equal((w.eval({ cpu_usage_percent: 41 }, T0 + S).update[0] as AlertRecord).is_active, true);
    assert.equal((w.eval({ cpu_usage_percent: 40 }, T0 + 2 * S).update[0] as AlertRecord).is_active, false);
  });

  it('keep-firing: a recovered value must stay recovered for alert_keep_firing_seconds; a relapse restarts the wait', () => {
    const w = new Thresholds(cfg({ alert_keep_firing_seconds: 60 }));
    w.eval({ cpu_usage_percent: 85 }, T0);

    let out = w.eval({ cpu_usage_percent: 50 }, T0 + 10 * S);
    assert.equal((out.update[0] as AlertRecord).is_active, true);
    assert.equal((out.update[0] as AlertRecord).current_value, 50);
    assert.deepEqual(out.rules, { cpu_usage_percent: { recovering_since: iso(T0 + 10 * S) } });

    out = w.eval({ cpu_usage_percent: 50 }, T0 + 69 * S);
    assert.equal((out.update[0] as AlertRecord).is_active, true, '59 s of recovery is not enough');
    assert.deepEqual(out.rules, { cpu_usage_percent: { recovering_since: iso(T0 + 10 * S) } });

    // Hovering back over the recovery level (still under T) restarts the wait.
    out = w.eval({ cpu_usage_percent: 75 }, T0 + 70 * S);
    assert.equal((out.update[0] as AlertRecord).is_active, true);
    assert.deepEqual(out.rules, {});

    out = w.eval({ cpu_usage_percent: 50 }, T0 + 80 * S);
    assert.deepEqual(out.rules, { cpu_usage_percent: { recovering_since: iso(T0 + 80 * S) } });
    out = w.eval({ cpu_usage_percent: 50 }, T0 + 139 * S);
    assert.equal((out.update[0] as AlertRecord).is_active, true);
    out = w.eval({ cpu_usage_percent: 50 }, T0 + 140 * S);
    const done = out.update[0] as AlertRecord;
    assert.equal(done.is_active, false, 'exactly 60 s after the recovery began');
    assert.equal(done.resolved_at, iso(T0 + 140 * S));
    assert.deepEqual(out.transitions, [{ kind: 'resolved', alert: done }]);
    assert.deepEqual(out.rules, {});
  });

  it('pending: a breach fires only once it has held alert_pending_seconds; a recovery meanwhile resets it', () => {
    const w = new Thresholds(cfg({ alert_pending_seconds: 60 }));
    let out = w.eval({ cpu_usage_percent: 85 }, T0);
    assert.deepEqual([out.insert, out.events, out.transitions], [[], [], []]);
    assert.deepEqual(out.rules, { cpu_usage_percent: { pending_since: iso(T0) } });

    out = w.eval({ cpu_usage_percent: 95 }, T0 + 59 * S);
    assert.equal(out.insert.length, 0, '59 s is not enough');
    assert.deepEqual(out.rules, { cpu_usage_percent: { pending_since: iso(T0) } });

    // Recovery (even only to under T) resets the pending period.
    out = w.eval({ cpu_usage_percent: 79 }, T0 + 60 * S);
    assert.equal(out.insert.length, 0);
    assert.deepEqual(out.rules, {});

    out = w.eval({ cpu_usage_percent: 85 }, T0 + 70 * S);
    assert.equal(out.insert.length, 0, 'a new breach starts a new wait');
    assert.deepEqual(out.rules, { cpu_usage_percent: { pending_since: iso(T0 + 70 * S) } });

    // A payload without the value decides nothing and keeps the wait.
    out = w.eval({ cpu_usage_percent: null }, T0 + 100 * S);
    assert.equal(out.insert.length, 0);
    assert.deepEqual(out.rules, { cpu_usage_percent: { pending_since: iso(T0 + 70 * S) } });

    out = w.eval({ cpu_usage_percent: 85 }, T0 + 129 * S);
    assert.equal(out.insert.length, 0);
    out = w.eval({ cpu_usage_percent: 86 }, T0 + 130 * S);
    assert.equal(out.insert.length, 1, 'fires when the breach has held exactly 60 s');
    const alert = out.insert[0] as AlertRecord;
    assert.equal(alert.created_at, iso(T0 + 130 * S));
    assert.equal(alert.current_value, 86);
    assert.equal(out.events.length, 1);
    assert.deepEqual(out.rules, {}, 'the pending memory is cleared once it fires');
  });

  it('lower is worse for success_rate: below T fires, T/2 is critical, recovery is at T/ratio', () => {
    const w = new Thresholds(cfg({ custom_thresholds: { success_rate: 0.8 } }));
    assert.equal(w.eval({ success_rate: 0.95 }, T0).insert.length, 0);
    assert.equal(w.eval({ success_rate: 0.8 }, T0 + S).insert.length, 0, 'at the threshold is no breach');
    let out = w.eval({ success_rate: 0.7 }, T0 + 2 * S);
    const alert = out.insert[0] as AlertRecord;
    assert.equal(alert.severity, 'warning');
    assert.equal(alert.threshold, 0.8);
    assert.equal(alert.title, 'success_rate high on agent-one');
    assert.equal(alert.message, 'success_rate is 0.7, below the threshold of 0.8');
    assert.deepEqual(out.events[0]?.data.metric, 'success_rate');

    out = w.eval({ success_rate: 0.3 }, T0 + 3 * S);
    assert.equal((out.update[0] as AlertRecord).severity, 'critical', 'under T/2 = 0.4');
    assert.equal(out.transitions[0]?.kind, 'escalated');

    out = w.eval({ success_rate: 0.85 }, T0 + 4 * S);
    assert.equal((out.update[0] as AlertRecord).is_active, true, '0.85 is over T but under the recovery level 0.8889');
    out = w.eval({ success_rate: 0.9 }, T0 + 5 * S);
    assert.equal((out.update[0] as AlertRecord).is_active, false);

    // Higher never fires for a lower-is-worse metric.
    assert.equal(new Thresholds(cfg({ custom_thresholds: { success_rate: 0.8 } })).eval({ success_rate: 1 }, T0).insert.length, 0);
  });

  it('custom.<key> thresholds alert on custom metrics, critical over 2T', () => {
    const config = cfg({ custom_thresholds: { 'custom.queue_depth': 100 } });
    const w = new Thresholds(config);
    assert.equal(w.eval({ 'custom.queue_depth': 100 }, T0).insert.length, 0);
    const out = w.eval({ 'custom.queue_depth': 150 }, T0 + S);
    const alert = out.insert[0] as AlertRecord;
    assert.equal(alert.metric_name, 'custom.queue_depth');
    assert.equal(alert.severity, 'warning');
    assert.equal(alert.title, 'custom.queue_depth high on agent-one');
    assert.equal(alert.message, 'custom.queue_depth is 150, above the threshold of 100');
    assert.equal(alert.fingerprint, documented(AGENT, 'custom.queue_depth'));
    assert.deepEqual(out.events[0]?.data, { metric: 'custom.queue_depth', threshold: 100, value: 150, severity: 'warning', alert_id: alert.id, fingerprint: alert.fingerprint });
    assert.equal(new Thresholds(config).eval({ 'custom.queue_depth': 201 }, T0).insert[0]?.severity, 'critical');
    assert.equal(new Thresholds(config).eval({ 'custom.queue_depth': 200 }, T0).insert[0]?.severity, 'warning');
  });

  it('one alert per metric: several breaching metrics make several alerts with their own fingerprints', () => {
    const w = new Thresholds(cfg());
    const out = w.eval({ cpu_usage_percent: 85, memory_usage_percent: 99, error_rate: 0.06, average_response_time_ms: 20_000 }, T0);
    assert.deepEqual(
      out.insert.map((a) => [a.metric_name, a.severity]),
      [
        ['cpu_usage_percent', 'warning'],
        ['memory_usage_percent', 'critical'],
        ['error_rate', 'warning'],
        ['average_response_time_ms', 'critical'],
      ],
    );
    assert.equal(new Set(out.insert.map((a) => a.fingerprint)).size, 4);
    assert.equal(out.events.length, 4);
    assert.equal((out.insert.find((a) => a.metric_name === 'average_response_time_ms') as AlertRecord).message, 'average_response_time_ms is 20000 ms, above the threshold of 5000 ms');
  });

  it('a missing value decides nothing: the active alert is left as it is', () => {
    const w = new Thresholds(cfg({ alert_keep_firing_seconds: 60 }));
    w.eval({ cpu_usage_percent: 85 }, T0);
    w.eval({ cpu_usage_percent: 50 }, T0 + 10 * S);
    const out = w.eval({ cpu_usage_percent: undefined }, T0 + 200 * S);
    assert.deepEqual([out.insert, out.update, out.events, out.transitions], [[], [], [], []]);
    assert.deepEqual(out.rules, { cpu_usage_percent: { recovering_since: iso(T0 + 10 * S) } });
  });

  it('a threshold of 0: any value above 0 fires, always as a warning', () => {
    const w = new Thresholds(cfg({ error_rate_threshold: 0 }));
    assert.equal(w.eval({ error_rate: 0 }, T0).insert.length, 0);
    assert.equal(w.eval({ error_rate: 1 }, T0 + S).insert[0]?.severity, 'warning');
  });

  it('maintenance: nothing fires and no pending wait starts; an alert already firing still updates and resolves', () => {
    const w = new Thresholds(cfg({ alert_pending_seconds: 30 }), true);
    let out = w.eval({ cpu_usage_percent: 99, error_rate: 0.5 }, T0);
    assert.deepEqual([out.insert, out.update, out.events, out.transitions], [[], [], [], []]);
    assert.deepEqual(out.rules, {});
    out = w.eval({ cpu_usage_percent: 99, error_rate: 0.5 }, T0 + 60 * S);
    assert.equal(out.insert.length, 0);

    const v = new Thresholds(cfg());
    const fired = v.eval({ cpu_usage_percent: 85 }, T0).insert[0] as AlertRecord;
    out = v.eval({ cpu_usage_percent: 86 }, T0 + S, true);
    assert.equal((out.update[0] as AlertRecord).current_value, 86);
    out = v.eval({ cpu_usage_percent: 10 }, T0 + 2 * S, true);
    const done = out.update[0] as AlertRecord;
    assert.equal(done.id, fired.id);
    assert.equal(done.is_active, false);
  });

  it('maintenance: an alert already firing does not escalate (no critical notification while silenced)', () => {
    const w = new Thresholds(cfg());
    w.eval({ cpu_usage_percent: 85 }, T0);
    let out = w.eval({ cpu_usage_percent: 99 }, T0 + S, true);
    assert.equal(out.transitions.length, 0);
    assert.equal((out.update[0] as AlertRecord).severity, 'warning');
    assert.equal((out.update[0] as AlertRecord).current_value, 99);
    // Once maintenance is over, it escalates.
    out = w.eval({ cpu_usage_percent: 99 }, T0 + 2 * S, false);
    assert.equal(out.transitions[0]?.kind, 'escalated');
    assert.equal((out.update[0] as AlertRecord).severity, 'critical');
  });
});

describe('evaluateConditions', () => {
  type Cond = { on: boolean; title: string; message: string; severity: AlertSeverity; event?: 'health_check_failed' };
  const check = (on: boolean): Cond => ({ on, title: 'Health check db failing on agent-one', message: 'health check db failed', severity: 'warning', event: 'health_check_failed' });
  const run = (conditions: [string, Cond][], active: AlertRecord[], nowMs: number, maintenance = false, exhaustivePrefix?: string) =>
    evaluateConditions({
      agentId: AGENT,
      agentName: NAME,
      conditions: new Map(conditions),
      active: new Map(active.map((a) => [a.metric_name ?? '', a])),
      nowMs,
      maintenance,
      ...(exhaustivePrefix ? { exhaustivePrefix } : {}),
    });

  it('a condition that starts holding fires one alert (and its event, when it has one)', () => {
    const out = run([[HEALTH_CHECK_PREFIX + 'db', check(true)]], [], T0);
    const alert = out.insert[0] as AlertRecord;
    assert.equal(out.insert.length, 1);
    assert.equal(alert.metric_name, 'health_check:db');
    assert.equal(alert.severity, 'warning');
    assert.equal(alert.threshold, null);
    assert.equal(alert.current_value, null);
    assert.equal(alert.title, 'Health check db failing on agent-one');
    assert.equal(alert.message, 'health check db failed');
    assert.equal(alert.fingerprint, documented(AGENT, 'health_check:db'));
    assert.deepEqual(out.transitions, [{ kind: 'fired', alert }]);
    assert.equal(out.events.length, 1);
    assert.equal(out.events[0]?.type, 'health_check_failed');
    assert.equal(out.events[0]?.severity, 'warning');
    assert.deepEqual(out.events[0]?.data, { metric: 'health_check:db', alert_id: alert.id, fingerprint: alert.fingerprint });

    const noEvent = run([[AGENT_ALERT_PREFIX + 'x', { on: true, title: 'x', message: 'x', severity: 'critical' }]], [], T0);
    assert.equal(noEvent.insert.length, 1);
    assert.equal(noEvent.events.length, 0);
  });

  it('while it holds, nothing more happens (no duplicate); when it stops, the alert resolves', () => {
    const fired = run([[HEALTH_CHECK_PREFIX + 'db', check(true)]], [], T0).insert[0] as AlertRecord;
    const again = run([[HEALTH_CHECK_PREFIX + 'db', check(true)]], [fired], T0 + S);
    assert.deepEqual([again.insert, again.update, again.events, again.transitions], [[], [], [], []]);
    const off = run([[HEALTH_CHECK_PREFIX + 'db', check(false)]], [fired], T0 + 2 * S);
    const done = off.update[0] as AlertRecord;
    assert.equal(done.id, fired.id);
    assert.equal(done.is_active, false);
    assert.equal(done.resolved_at, iso(T0 + 2 * S));
    assert.deepEqual(off.transitions, [{ kind: 'resolved', alert: done }]);
    assert.equal(off.events.length, 0);
    const quiet = run([[HEALTH_CHECK_PREFIX + 'db', check(false)]], [], T0 + 3 * S);
    assert.deepEqual([quiet.insert, quiet.update], [[], []]);
  });

  it('maintenance: nothing fires, but a condition that stops still resolves its alert', () => {
    const out = run([[HEALTH_CHECK_PREFIX + 'db', check(true)], [NO_DATA, { on: true, title: 't', message: 'm', severity: 'critical' }]], [], T0, true);
    assert.deepEqual([out.insert, out.events, out.transitions], [[], [], []]);
    const fired = run([[HEALTH_CHECK_PREFIX + 'db', check(true)]], [], T0).insert[0] as AlertRecord;
    assert.equal((run([[HEALTH_CHECK_PREFIX + 'db', check(false)]], [fired], T0 + S, true).update[0] as AlertRecord).is_active, false);
  });

  it('exhaustivePrefix resolves active alerts of that family missing from the report, and only those', () => {
    const on = (t: string): Cond => ({ on: true, title: t, message: t, severity: 'warning' });
    const a = run([[AGENT_ALERT_PREFIX + 'a', on('a')]], [], T0).insert[0] as AlertRecord;
    const b = run([[AGENT_ALERT_PREFIX + 'b', on('b')]], [], T0).insert[0] as AlertRecord;
    const hc = run([[HEALTH_CHECK_PREFIX + 'db', check(true)]], [], T0).insert[0] as AlertRecord;
    const out = run([[AGENT_ALERT_PREFIX + 'a', on('a')]], [a, b, hc], T0 + S, false, AGENT_ALERT_PREFIX);
    assert.deepEqual(
      out.update.map((x) => [x.id, x.is_active]),
      [[b.id, false]],
    );
    assert.equal(out.insert.length, 0);
    const none = run([], [a, b, hc], T0 + 2 * S, false, AGENT_ALERT_PREFIX);
    assert.deepEqual(new Set(none.update.map((x) => x.id)), new Set([a.id, b.id]));
    assert.ok(none.update.every((x) => !x.is_active && x.resolved_at === iso(T0 + 2 * S)));
  });
});

describe('newAlert, resolved, mergeChanges', () => {
  it('newAlert stamps the clock and the fingerprint; resolved sets resolved_at and is_active false', () => {
    const a = newAlert({ agentId: AGENT, metricName: 'm', severity: 'info', title: 't', message: 'msg', threshold: 1, value: 2, nowMs: T0 });
    assert.equal(a.created_at, iso(T0));
    assert.equal(a.updated_at, iso(T0));
    assert.equal(a.fingerprint, documented(AGENT, 'm'));
    assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    const r = resolved(a, T0 + 5 * S);
    assert.equal(r.id, a.id);
    assert.equal(r.is_active, false);
    assert.equal(r.resolved_at, iso(T0 + 5 * S));
    assert.equal(r.updated_at, iso(T0 + 5 * S));
    assert.equal(r.created_at, iso(T0));
    assert.equal(a.is_active, true, 'the original is not modified');
  });

  it('mergeChanges appends every list', () => {
    const a = newAlert({ agentId: AGENT, metricName: 'm', severity: 'info', title: 't', message: 'msg', threshold: null, value: null, nowMs: T0 });
    const x = noChanges();
    const y = { ...noChanges(), insert: [a], transitions: [{ kind: 'fired' as const, alert: a }] };
    const merged = mergeChanges(x, y);
    assert.equal(merged, x);
    assert.deepEqual(merged.insert, [a]);
    assert.equal(merged.transitions.length, 1);
  });
});
