/**
 * Alert rules: thresholds from MonitoringConfig, failing health checks, the agent's own alert
 * strings, and silence (no_data). Pure: the current alerts, rule state, values and a clock in; the
 * alert rows to write, the events and the transitions to notify out.
 *
 * Semantics (the README states them too):
 * - One active alert per agent and metric. Its fingerprint is the first 16 hex digits of
 *   sha256("<agent_id>\n<metric_name>"); a repeat updates current_value and never duplicates.
 * - warning above the threshold, critical above the critical level (default: min(2·T, (T + max)/2)
 *   where max is the metric's upper bound, 100 for percentages and 1 for rates).
 * - A breach must hold for alert_pending_seconds before it fires; a recovery meanwhile resets it.
 * - A firing alert resolves when the value is back at or under T · alert_recovery_ratio (hysteresis)
 *   and has stayed there for alert_keep_firing_seconds.
 * - Severity moves with the same damping: a warning becomes critical once the value has been past
 *   the critical level for alert_pending_seconds, and a critical alert goes back to warning only at
 *   or under the critical level · alert_recovery_ratio (or under T). Title and message always say
 *   the current severity and value, so the text never disagrees with the severity beside it.
 * - For success_rate, model_accuracy and confidence_score, lower is worse: the comparisons flip.
 * - Nothing fires while the agent is in maintenance.
 */
import { createHash } from 'node:crypto';
import { MONITORING_CONFIG_DEFAULTS, type AlertSeverity, type MonitoringConfig, type SystemEvent } from '@agentmon/schema';
import type { AlertRecord } from '../storage/ports.js';
import { uuidv7 } from './ids.js';
import { newEvent } from './events.js';
import { clockIso, parseIsoMs } from './time.js';

/** Metrics whose built-in threshold lives in a named MonitoringConfig field. */
export const BUILT_IN_RULES = [
  { metric: 'cpu_usage_percent', field: 'cpu_threshold', label: 'CPU usage', unit: '%' },
  { metric: 'memory_usage_percent', field: 'memory_threshold', label: 'Memory usage', unit: '%' },
  { metric: 'error_rate', field: 'error_rate_threshold', label: 'Error rate', unit: '' },
  { metric: 'average_response_time_ms', field: 'response_time_threshold_ms', label: 'Response time', unit: ' ms' },
] as const;

/** Metrics where a lower value is the problem. */
export const LOWER_IS_WORSE: ReadonlySet<string> = new Set(['success_rate', 'model_accuracy', 'confidence_score']);

/** Upper bounds of bounded metrics (the seed's `le`). */
const UPPER_BOUND: Record<string, number> = {
  cpu_usage_percent: 100,
  memory_usage_percent: 100,
  gpu_usage_percent: 100,
  error_rate: 1,
  success_rate: 1,
  model_accuracy: 1,
  confidence_score: 1,
};

/** Alert tuning beyond the seed's MonitoringConfig (agentmon extensions, all optional). */
export interface AlertTuning {
  critical_thresholds: Record<string, number>;
  alert_pending_seconds: number;
  alert_keep_firing_seconds: number;
  alert_recovery_ratio: number;
}

/** The tuning of a config, with defaults for what it does not set. */
export function alertTuning(config: MonitoringConfig & Partial<AlertTuning>): AlertTuning {
  return {
    critical_thresholds: config.critical_thresholds ?? {},
    alert_pending_seconds: config.alert_pending_seconds ?? MONITORING_CONFIG_DEFAULTS.alert_pending_seconds,
    alert_keep_firing_seconds: config.alert_keep_firing_seconds ?? MONITORING_CONFIG_DEFAULTS.alert_keep_firing_seconds,
    alert_recovery_ratio: config.alert_recovery_ratio ?? MONITORING_CONFIG_DEFAULTS.alert_recovery_ratio,
  };
}

/** Fingerprint of an agent's alert about `metricName`. */
export function alertFingerprint(agentId: string, metricName: string): string {
  return createHash('sha256').update(`${agentId}\n${metricName}`, 'utf8').digest('hex').slice(0, 16);
}

/** One threshold rule. */
export interface ThresholdRule {
  metric: string;
  threshold: number;
  critical: number | null;
  recovery: number;
  /** Where a critical alert goes back to warning: critical · ratio, but never past the threshold. */
  criticalRecovery: number | null;
  lowerIsWorse: boolean;
  label: string;
  unit: string;
}

/** The rule of `metric` at `threshold`: its critical level (explicit or derived) and recovery level. */
function ruleOf(metric: string, threshold: number, label: string, unit: string, tuning: AlertTuning): ThresholdRule {
  const lowerIsWorse = LOWER_IS_WORSE.has(metric);
  const bound = UPPER_BOUND[metric];
  let critical = tuning.critical_thresholds[metric] ?? null;
  if (critical === null && !lowerIsWorse && threshold > 0) {
    critical = bound !== undefined ? Math.min(2 * threshold, (threshold + bound) / 2) : 2 * threshold;
  }
  if (critical === null && lowerIsWorse && threshold > 0) critical = threshold / 2;
  const ratio = tuning.alert_recovery_ratio;
  // Lower-is-worse metrics recover above the line by the same margin, halfway to their bound at most.
  const recovery = lowerIsWorse ? Math.min(threshold * (2 - ratio), bound !== undefined ? (threshold + bound) / 2 : Infinity) : threshold * ratio;
  const criticalRecovery = critical === null ? null : lowerIsWorse ? Math.min(threshold, critical * (2 - ratio)) : Math.max(threshold, critical * ratio);
  return { metric, threshold, critical, recovery, criticalRecovery, lowerIsWorse, label, unit };
}

/** Every threshold rule a config defines: the four built-in ones and each custom threshold. */
export function thresholdRules(config: MonitoringConfig & Partial<AlertTuning>): ThresholdRule[] {
  const tuning = alertTuning(config);
  const rules: ThresholdRule[] = [];
  const custom = config.custom_thresholds ?? {};
  for (const r of BUILT_IN_RULES) {
    if (custom[r.metric] === undefined) rules.push(ruleOf(r.metric, config[r.field], r.label, r.unit, tuning));
  }
  for (const [metric, threshold] of Object.entries(custom)) rules.push(ruleOf(metric, threshold, metric, '', tuning));
  return rules;
}

/** Per-rule memory between evaluations, kept in the agent's snapshot. */
export interface RuleState {
  /** When the current breach began (pending period). */
  pending_since?: string;
  /** When the value went back under the recovery level while the alert fires (keep-firing period). */
  recovering_since?: string;
  /** When a warning alert's value went past the critical level (pending period of the escalation). */
  escalating_since?: string;
}

/** A fired, escalated or resolved alert, for notifications and the live stream. */
export interface AlertTransition {
  kind: 'fired' | 'escalated' | 'resolved';
  alert: AlertRecord;
}

/** Output of one evaluation. */
export interface AlertChanges {
  insert: AlertRecord[];
  update: AlertRecord[];
  events: SystemEvent[];
  transitions: AlertTransition[];
}

/** An empty set of changes. */
export function noChanges(): AlertChanges {
  return { insert: [], update: [], events: [], transitions: [] };
}

/** Merges `b` into `a`. */
export function mergeChanges(a: AlertChanges, b: AlertChanges): AlertChanges {
  a.insert.push(...b.insert);
  a.update.push(...b.update);
  a.events.push(...b.events);
  a.transitions.push(...b.transitions);
  return a;
}

/** A new active alert. */
export function newAlert(fields: {
  agentId: string;
  metricName: string;
  severity: AlertSeverity;
  title: string;
  message: string;
  threshold: number | null;
  value: number | null;
  nowMs: number;
}): AlertRecord {
  const now = clockIso(fields.nowMs);
  return {
    id: uuidv7(fields.nowMs),
    agent_id: fields.agentId,
    severity: fields.severity,
    title: fields.title,
    message: fields.message,
    metric_name: fields.metricName,
    threshold: fields.threshold,
    current_value: fields.value,
    created_at: now,
    resolved_at: null,
    is_active: true,
    fingerprint: alertFingerprint(fields.agentId, fields.metricName),
    acknowledged_at: null,
    acknowledged_by: null,
    ack_comment: null,
    updated_at: now,
    last_notified_at: null,
  };
}

/** The alert resolved at `nowMs`. */
export function resolved(alert: AlertRecord, nowMs: number): AlertRecord {
  const now = clockIso(nowMs);
  return { ...alert, is_active: false, resolved_at: now, updated_at: now };
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Math.round(v * 10_000) / 10_000));

/** An alert's title: it names the severity it has now. */
function thresholdTitle(r: ThresholdRule, severity: AlertSeverity, agentName: string): string {
  return `${r.label} ${severity === 'critical' ? 'critical' : 'high'} on ${agentName}`;
}

/** An alert's message: the value it has now against the threshold. */
function thresholdMessage(r: ThresholdRule, value: number): string {
  return `${r.metric} is ${fmt(value)}${r.unit}, ${r.lowerIsWorse ? 'below' : 'above'} the threshold of ${fmt(r.threshold)}${r.unit}`;
}

/**
 * One evaluation of an agent's threshold rules, appending to `out`: advanceAgent passes its own
 * changes (no merge), evaluateThresholds a fresh set. `rules` collects the rule memory to keep.
 */
export interface ThresholdPass {
  agentId: string;
  agentName: string;
  config: MonitoringConfig & Partial<AlertTuning>;
  /** The agent's active alerts, by metric_name. */
  active: ReadonlyMap<string, AlertRecord>;
  /** Rule memory before this evaluation. */
  previous: Record<string, RuleState>;
  nowMs: number;
  /** nowMs as ISO 8601. */
  now: string;
  maintenance: boolean;
  out: AlertChanges;
  rules: Record<string, RuleState>;
  /** alertTuning(config), worked out when a rule first needs it. */
  tuning: AlertTuning | null;
}

const above = (lowerIsWorse: boolean, x: number, level: number) => (lowerIsWorse ? x < level : x > level);

/** Stands for "no memory of this rule" without allocating; never stored or changed. */
const NO_RULE_STATE: RuleState = Object.freeze({});

/**
 * Evaluates one rule against its value. `rule` may be left out when the caller has not built it: it
 * is then built from `metric`, `threshold`, `label` and `unit` only if the value breaches or the
 * rule's alert is active, which is rare, so a calm agent costs a comparison per rule.
 */
export function evaluateRule(
  pass: ThresholdPass,
  metric: string,
  threshold: number,
  label: string,
  unit: string,
  value: number | null | undefined,
  rule?: ThresholdRule,
): void {
  const prev = pass.previous[metric];
  // A copy of the memory; none is made when there was none (the common case).
  const state: RuleState = prev === undefined || prev === null ? NO_RULE_STATE : { ...prev };
  const current = pass.active.size === 0 ? undefined : pass.active.get(metric);
  if (value === null || value === undefined) {
    // No value this time: keep what we had, decide nothing.
    if (state !== NO_RULE_STATE && Object.keys(state).length > 0) pass.rules[metric] = state;
    return;
  }
  const lowerIsWorse = rule ? rule.lowerIsWorse : LOWER_IS_WORSE.has(metric);
  const breach = above(lowerIsWorse, value, threshold);
  if (!current && (!breach || pass.maintenance)) return;

  const tuning = (pass.tuning ??= alertTuning(pass.config));
  const r = rule ?? ruleOf(metric, threshold, label, unit, tuning);
  const { nowMs, now, out } = pass;
  const severity: AlertSeverity = r.critical !== null && above(lowerIsWorse, value, r.critical) ? 'critical' : 'warning';

  if (current) {
    const recoveredNow = lowerIsWorse ? value >= r.recovery : value <= r.recovery;
    if (recoveredNow) {
      const since = state.recovering_since ?? now;
      if (nowMs - parseIsoMs(since) >= tuning.alert_keep_firing_seconds * 1000) {
        const done = resolved({ ...current, current_value: value }, nowMs);
        out.update.push(done);
        out.transitions.push({ kind: 'resolved', alert: done });
        return;
      }
      pass.rules[metric] = { recovering_since: since };
      out.update.push({ ...current, current_value: value, updated_at: now });
      return;
    }
    // Still firing (or hovering between the recovery level and the threshold): refresh it.
    // Below the threshold but not yet recovered, it cools down as a warning.
    let nextSeverity: AlertSeverity = 'warning';
    if (breach && current.severity === 'critical') {
      // Critical until the value is back under the critical level by the recovery margin.
      nextSeverity = r.criticalRecovery !== null && above(lowerIsWorse, value, r.criticalRecovery) ? 'critical' : 'warning';
    } else if (breach && severity === 'critical') {
      // Past the critical level: escalates once that has held for the pending period.
      const since = state.escalating_since ?? now;
      if (nowMs - parseIsoMs(since) >= tuning.alert_pending_seconds * 1000) nextSeverity = 'critical';
      else pass.rules[metric] = { escalating_since: since };
    }
    // In maintenance an alert does not escalate (that would notify); it does once maintenance ends.
    if (pass.maintenance && nextSeverity === 'critical' && current.severity !== 'critical') {
      nextSeverity = current.severity;
      delete pass.rules[metric];
    }
    const escalated = current.severity !== 'critical' && nextSeverity === 'critical';
    const next: AlertRecord = { ...current, current_value: value, severity: nextSeverity, updated_at: now, message: thresholdMessage(r, value) };
    if (nextSeverity !== current.severity) next.title = thresholdTitle(r, nextSeverity, pass.agentName);
    out.update.push(next);
    if (escalated) out.transitions.push({ kind: 'escalated', alert: next });
    return;
  }

  const since = state.pending_since ?? now;
  if (nowMs - parseIsoMs(since) < tuning.alert_pending_seconds * 1000) {
    pass.rules[metric] = { pending_since: since };
    return;
  }
  const alert = newAlert({
    agentId: pass.agentId,
    metricName: metric,
    severity,
    title: thresholdTitle(r, severity, pass.agentName),
    message: thresholdMessage(r, value),
    threshold: r.threshold,
    value,
    nowMs,
  });
  out.insert.push(alert);
  out.transitions.push({ kind: 'fired', alert });
  out.events.push(
    newEvent('metric_threshold_exceeded', alert.message, {
      agent_id: pass.agentId,
      nowMs,
      severity: severity === 'critical' ? 'critical' : 'warning',
      data: { metric, threshold: r.threshold, value, severity, alert_id: alert.id, fingerprint: alert.fingerprint },
    }),
  );
}

/** Threshold rules of one agent against its latest values. */
export function evaluateThresholds(input: {
  agentId: string;
  agentName: string;
  config: MonitoringConfig & Partial<AlertTuning>;
  values: Record<string, number | null | undefined>;
  /** The agent's active alerts, by metric_name. */
  active: ReadonlyMap<string, AlertRecord>;
  rules: Record<string, RuleState>;
  nowMs: number;
  maintenance: boolean;
}): AlertChanges & { rules: Record<string, RuleState> } {
  const pass: ThresholdPass = {
    agentId: input.agentId,
    agentName: input.agentName,
    config: input.config,
    active: input.active,
    previous: input.rules,
    nowMs: input.nowMs,
    now: clockIso(input.nowMs),
    maintenance: input.maintenance,
    out: noChanges(),
    rules: {},
    tuning: null,
  };
  for (const rule of thresholdRules(input.config)) {
    evaluateRule(pass, rule.metric, rule.threshold, rule.label, rule.unit, input.values[rule.metric], rule);
  }
  return { ...pass.out, rules: pass.rules };
}

/** Prefix of health-check alerts' metric_name. */
export const HEALTH_CHECK_PREFIX = 'health_check:';
/** Prefix of the metric_name of alerts an agent raised itself (AgentMetrics.alerts). */
export const AGENT_ALERT_PREFIX = 'agent_alert:';
/** metric_name of the alert raised when an agent goes silent. */
export const NO_DATA = 'no_data';
/** metric_name prefix of spend budget alerts (`budget:<id>`, engine/budgets.ts). */
export const BUDGET_ALERT_PREFIX = 'budget:';

/** What a condition alert says when it fires. */
export interface ConditionAlert {
  severity: AlertSeverity;
  title: string;
  message: string;
  /** The event recorded when it fires, if any. */
  event?: SystemEvent['type'];
}

/** Fires the condition alert `name` at `nowMs`, appending the alert, its transition and its event to `out`. */
export function fireCondition(out: AlertChanges, agentId: string, name: string, c: ConditionAlert, nowMs: number): void {
  const alert = newAlert({ agentId, metricName: name, severity: c.severity, title: c.title, message: c.message, threshold: null, value: null, nowMs });
  out.insert.push(alert);
  out.transitions.push({ kind: 'fired', alert });
  if (c.event) {
    out.events.push(newEvent(c.event, c.message, { agent_id: agentId, nowMs, severity: c.severity === 'critical' ? 'critical' : 'warning', data: { metric: name, alert_id: alert.id, fingerprint: alert.fingerprint } }));
  }
}

/** Resolves a condition alert at `nowMs`, appending the update and its transition to `out`. */
export function resolveCondition(out: AlertChanges, current: AlertRecord, nowMs: number): void {
  const done = resolved(current, nowMs);
  out.update.push(done);
  out.transitions.push({ kind: 'resolved', alert: done });
}

/**
 * Alerts that are on while a condition holds and off when it stops: failing health checks and the
 * agent's own alert strings. `conditions` maps metric_name to whether it holds now; names absent
 * from it are left alone, except that `exhaustivePrefix` names the family this report covers whole
 * (the alerts list of a payload), so an active alert of that family missing from it resolves.
 */
export function evaluateConditions(input: {
  agentId: string;
  agentName: string;
  conditions: ReadonlyMap<string, { on: boolean; title: string; message: string; severity: AlertSeverity; event?: SystemEvent['type'] }>;
  active: ReadonlyMap<string, AlertRecord>;
  nowMs: number;
  maintenance: boolean;
  exhaustivePrefix?: string;
}): AlertChanges {
  const out = noChanges();
  for (const [name, c] of input.conditions) {
    const current = input.active.get(name);
    if (c.on && !current && !input.maintenance) fireCondition(out, input.agentId, name, c, input.nowMs);
    else if (!c.on && current) resolveCondition(out, current, input.nowMs);
  }
  if (input.exhaustivePrefix) {
    for (const [name, current] of input.active) {
      if (name.startsWith(input.exhaustivePrefix) && !input.conditions.has(name)) resolveCondition(out, current, input.nowMs);
    }
  }
  return out;
}
