/**
 * Status: what an agent's data, alerts and score say about it, with the reason.
 *
 * maintenance (set by a person) > unknown (no data yet) > offline (silent for offlineFactor x the
 * longer of its metrics and health-check intervals) > error (a critical alert, or score < 0.3) >
 * warning (a warning alert, or score < 0.6) > online.
 *
 * Status follows the alerts, whose pending, escalation and recovery levels already damp a value
 * hovering around a threshold, and the score with a hysteresis of its own: a status the score caused
 * ends only once the score is SCORE_HYSTERESIS above the level that caused it. Without that, a value
 * oscillating around a line (or a score decaying between payloads and restored by each one) flipped
 * the status, and raised an event, on every payload and every sweep.
 */
import type { AgentStatus, MonitoringConfig } from '@agentmon/schema';
import type { AlertRecord } from '../storage/ports.js';
import { AGENT_ALERT_PREFIX, BUDGET_ALERT_PREFIX, HEALTH_CHECK_PREFIX, NO_DATA } from './alerts.js';
import { expectedIntervalMs } from './health.js';

/** Below this score an agent with no alert is in error. */
export const ERROR_SCORE = 0.3;
/** Below this score an agent with no alert is in warning. */
export const WARNING_SCORE = 0.6;

/** How far above ERROR_SCORE or WARNING_SCORE the score must climb to end the status it caused. */
export const SCORE_HYSTERESIS = 0.1;

/** A status and why. */
export interface StatusVerdict {
  status: AgentStatus;
  reason: string;
}

/** Milliseconds of silence after which an agent is offline. */
export function offlineAfterMs(config: Pick<MonitoringConfig, 'metrics_interval_seconds' | 'health_check_interval_seconds'>, offlineFactor: number): number {
  return expectedIntervalMs(config) * offlineFactor;
}

/** The reason an alert gives a status: `threshold:<metric>`, `health_check:<name>`, `agent_alert`, `no_heartbeat`. */
export function alertReason(alert: Pick<AlertRecord, 'metric_name'>): string {
  const name = alert.metric_name ?? '';
  if (name === NO_DATA) return 'no_heartbeat';
  if (name.startsWith(HEALTH_CHECK_PREFIX)) return name;
  if (name.startsWith(AGENT_ALERT_PREFIX)) return 'agent_alert';
  if (name.startsWith(BUDGET_ALERT_PREFIX)) return 'budget';
  return `threshold:${name}`;
}

const RANK = { critical: 3, warning: 2, info: 1 } as const;

type StatusAlert = Pick<AlertRecord, 'severity' | 'metric_name' | 'created_at'>;

/** Orders alerts worst first: severity, then the oldest. */
const worseFirst = (a: StatusAlert, b: StatusAlert) => RANK[b.severity] - RANK[a.severity] || a.created_at.localeCompare(b.created_at);

/**
 * The status the score alone gives: under ERROR_SCORE error, under WARNING_SCORE warning, each
 * level raised by SCORE_HYSTERESIS while the current status is one the score caused.
 */
function scoreStatus(score: number, current: AgentStatus, currentReason: string | null): 'error' | 'warning' | null {
  const held = currentReason === 'health_score' ? current : null;
  if (score < ERROR_SCORE + (held === 'error' ? SCORE_HYSTERESIS : 0)) return 'error';
  if (score < WARNING_SCORE + (held === 'error' || held === 'warning' ? SCORE_HYSTERESIS : 0)) return 'warning';
  return null;
}

/** Decides an agent's status. */
export function deriveStatus(input: {
  current: AgentStatus;
  /** Why the current status is what it is (the hysteresis of a score-caused status reads it). */
  currentReason?: string | null;
  lastDataAtMs: number | null;
  nowMs: number;
  offlineAfterMs: number;
  activeAlerts: Iterable<StatusAlert>;
  score: number;
}): StatusVerdict {
  if (input.current === 'maintenance') return { status: 'maintenance', reason: 'maintenance' };
  if (input.lastDataAtMs === null) return { status: 'unknown', reason: 'no_data' };
  if (input.nowMs - input.lastDataAtMs > input.offlineAfterMs) return { status: 'offline', reason: 'no_heartbeat' };
  // The first of the worst in the list's order, as a stable sort would put first; no copy.
  let worst: StatusAlert | undefined;
  for (const a of input.activeAlerts) {
    // Silence is the offline rule's, and a spend budget says nothing about the agent's health.
    if (a.metric_name === NO_DATA || a.metric_name?.startsWith(BUDGET_ALERT_PREFIX)) continue;
    if (worst === undefined || worseFirst(a, worst) < 0) worst = a;
  }
  if (worst?.severity === 'critical') return { status: 'error', reason: alertReason(worst) };
  const byScore = scoreStatus(input.score, input.current, input.currentReason ?? null);
  if (byScore === 'error') return { status: 'error', reason: 'health_score' };
  if (worst?.severity === 'warning') return { status: 'warning', reason: alertReason(worst) };
  if (byScore === 'warning') return { status: 'warning', reason: 'health_score' };
  return { status: 'online', reason: 'ok' };
}

/** The highest score each status may show: the score never looks healthier than the status. */
export const SCORE_CAPS: Readonly<Partial<Record<AgentStatus, number>>> = {
  error: ERROR_SCORE - 0.01,
  offline: ERROR_SCORE - 0.01,
  warning: WARNING_SCORE - 0.01,
};

/** The cap a verdict puts on the score, with the words the score's explanation shows; null for none. */
export function statusCap(verdict: StatusVerdict): { limit: number; detail: string } | null {
  const limit = SCORE_CAPS[verdict.status];
  if (limit === undefined) return null;
  return { limit, detail: `status ${verdict.status} (${verdict.reason}): score held at ${limit} or less` };
}
