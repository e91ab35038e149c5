/**
 * Status: what an agent's data, alerts and score say about it, with the reason.
 *
 * maintenance (set by a person) > unknown (no data yet) > offline (silent for offlineFactor x the
 * longer of its metrics and health-check intervals) > error (a critical alert, or score < 0.3) >
 * warning (a warning alert, or score < 0.6) > online.
 */
import type { AgentStatus, MonitoringConfig } from '@agentmon/schema';
import type { AlertRecord } from '../storage/ports.js';
import { AGENT_ALERT_PREFIX, HEALTH_CHECK_PREFIX, NO_DATA } from './alerts.js';
import { expectedIntervalMs } from './health.js';

/** Below this score an agent with no alert is in error. */
export const ERROR_SCORE = 0.3;
/** Below this score an agent with no alert is in warning. */
export const WARNING_SCORE = 0.6;

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
  return `threshold:${name}`;
}

const RANK = { critical: 3, warning: 2, info: 1 } as const;

type StatusAlert = Pick<AlertRecord, 'severity' | 'metric_name' | 'created_at'>;

/** Orders alerts worst first: severity, then the oldest. */
const worseFirst = (a: StatusAlert, b: StatusAlert) => RANK[b.severity] - RANK[a.severity] || a.created_at.localeCompare(b.created_at);

/** Decides an agent's status. */
export function deriveStatus(input: {
  current: AgentStatus;
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
    if (a.metric_name === NO_DATA) continue;
    if (worst === undefined || worseFirst(a, worst) < 0) worst = a;
  }
  if (worst?.severity === 'critical') return { status: 'error', reason: alertReason(worst) };
  if (input.score < ERROR_SCORE) return { status: 'error', reason: 'health_score' };
  if (worst?.severity === 'warning') return { status: 'warning', reason: alertReason(worst) };
  if (input.score < WARNING_SCORE) return { status: 'warning', reason: 'health_score' };
  return { status: 'online', reason: 'ok' };
}
