import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_STATUSES, defaultMonitoringConfig, type AgentStatus, type AlertSeverity } from '@agentmon/schema';
import { ERROR_SCORE, SCORE_HYSTERESIS, WARNING_SCORE, alertReason, deriveStatus, offlineAfterMs, statusCap } from './status.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const S = 1000;
const OFFLINE = 180 * S;

type A = { severity: AlertSeverity; metric_name: string | null; created_at: string };
const alert = (severity: AlertSeverity, metric_name: string | null, atMs = T0): A => ({ severity, metric_name, created_at: new Date(atMs).toISOString() });

function derive(over: Partial<Parameters<typeof deriveStatus>[0]> = {}) {
  return deriveStatus({ current: 'online', lastDataAtMs: T0, nowMs: T0 + 10 * S, offlineAfterMs: OFFLINE, activeAlerts: [], score: 1, ...over });
}

describe('offlineAfterMs', () => {
  it('is factor × max(metrics, health-check interval)', () => {
    const config = defaultMonitoringConfig('a');
    assert.equal(offlineAfterMs(config, 3), 180 * S);
    assert.equal(offlineAfterMs(config, 5), 300 * S);
    assert.equal(offlineAfterMs({ metrics_interval_seconds: 10, health_check_interval_seconds: 120 }, 3), 360 * S);
    assert.equal(offlineAfterMs({ metrics_interval_seconds: 300, health_check_interval_seconds: 30 }, 2), 600 * S);
  });
});

describe('alertReason', () => {
  it('names the rule: threshold:<metric>, health_check:<name>, agent_alert, no_heartbeat', () => {
    assert.equal(alertReason({ metric_name: 'cpu_usage_percent' }), 'threshold:cpu_usage_percent');
    assert.equal(alertReason({ metric_name: 'custom.queue_depth' }), 'threshold:custom.queue_depth');
    assert.equal(alertReason({ metric_name: 'health_check:db' }), 'health_check:db');
    assert.equal(alertReason({ metric_name: 'agent_alert:disk full' }), 'agent_alert');
    assert.equal(alertReason({ metric_name: 'no_data' }), 'no_heartbeat');
  });
});

describe('deriveStatus', () => {
  it('the score levels are 0.3 and 0.6', () => {
    assert.equal(ERROR_SCORE, 0.3);
    assert.equal(WARNING_SCORE, 0.6);
  });

  it('maintenance wins over everything, with reason maintenance', () => {
    const cases = [
      derive({ current: 'maintenance' }),
      derive({ current: 'maintenance', lastDataAtMs: null }),
      derive({ current: 'maintenance', nowMs: T0 + 10 * OFFLINE }),
      derive({ current: 'maintenance', activeAlerts: [alert('critical', 'cpu_usage_percent')], score: 0 }),
    ];
    for (const v of cases) assert.deepEqual(v, { status: 'maintenance', reason: 'maintenance' });
  });

  it('unknown until the first data, whatever the current status', () => {
    for (const current of AGENT_STATUSES.filter((s: AgentStatus) => s !== 'maintenance')) {
      assert.deepEqual(derive({ current, lastDataAtMs: null, score: 0 }), { status: 'unknown', reason: 'no_data' }, current);
    }
  });

  it('offline strictly after offlineAfterMs of silence, with reason no_heartbeat, over any alert', () => {
    assert.deepEqual(derive({ nowMs: T0 + OFFLINE }), { status: 'online', reason: 'ok' }, 'exactly at the limit is not yet offline');
    assert.deepEqual(derive({ nowMs: T0 + OFFLINE + 1 }), { status: 'offline', reason: 'no_heartbeat' });
    assert.deepEqual(derive({ nowMs: T0 + OFFLINE + 1, activeAlerts: [alert('critical', 'cpu_usage_percent')], score: 0 }), { status: 'offline', reason: 'no_heartbeat' });
  });

  it('error on a critical alert, warning on a warning alert, with the alert as the reason', () => {
    assert.deepEqual(derive({ activeAlerts: [alert('critical', 'cpu_usage_percent')] }), { status: 'error', reason: 'threshold:cpu_usage_percent' });
    assert.deepEqual(derive({ activeAlerts: [alert('warning', 'memory_usage_percent')] }), { status: 'warning', reason: 'threshold:memory_usage_percent' });
    assert.deepEqual(derive({ activeAlerts: [alert('warning', 'health_check:db')] }), { status: 'warning', reason: 'health_check:db' });
    assert.deepEqual(derive({ activeAlerts: [alert('warning', 'agent_alert:x')] }), { status: 'warning', reason: 'agent_alert' });
  });

  it('the worst alert gives the reason; among equals the oldest', () => {
    const v = derive({ activeAlerts: [alert('warning', 'cpu_usage_percent', T0 - 5 * S), alert('critical', 'error_rate', T0), alert('critical', 'memory_usage_percent', T0 - S)] });
    assert.deepEqual(v, { status: 'error', reason: 'threshold:memory_usage_percent' });
    const w = derive({ activeAlerts: [alert('warning', 'b', T0), alert('warning', 'a', T0 - S)] });
    assert.deepEqual(w, { status: 'warning', reason: 'threshold:a' });
  });

  it('error under a score of 0.3, warning under 0.6, online otherwise (reason health_score / ok)', () => {
    assert.deepEqual(derive({ score: 0.2999 }), { status: 'error', reason: 'health_score' });
    assert.deepEqual(derive({ score: 0.3 }), { status: 'warning', reason: 'health_score' });
    assert.deepEqual(derive({ score: 0.5999 }), { status: 'warning', reason: 'health_score' });
    assert.deepEqual(derive({ score: 0.6 }), { status: 'online', reason: 'ok' });
    assert.deepEqual(derive({ score: 1 }), { status: 'online', reason: 'ok' });
  });

  it('a critical alert beats a low score; a very low score beats a warning alert', () => {
    assert.deepEqual(derive({ score: 0.1, activeAlerts: [alert('critical', 'error_rate')] }), { status: 'error', reason: 'threshold:error_rate' });
    assert.deepEqual(derive({ score: 0.1, activeAlerts: [alert('warning', 'error_rate')] }), { status: 'error', reason: 'health_score' });
    assert.deepEqual(derive({ score: 0.5, activeAlerts: [alert('warning', 'error_rate')] }), { status: 'warning', reason: 'threshold:error_rate' });
  });

  it('a no_data alert and info alerts do not change a fresh agent’s status', () => {
    assert.deepEqual(derive({ activeAlerts: [alert('critical', 'no_data')] }), { status: 'online', reason: 'ok' });
    assert.deepEqual(derive({ activeAlerts: [alert('info', 'custom.x')] }), { status: 'online', reason: 'ok' });
  });

  it('a status the score caused lasts until the score is 0.1 above the level that caused it', () => {
    assert.equal(SCORE_HYSTERESIS, 0.1);
    const held = (current: AgentStatus, score: number) => derive({ current, currentReason: 'health_score', score });
    assert.deepEqual(held('error', 0.3999), { status: 'error', reason: 'health_score' });
    assert.deepEqual(held('error', 0.4), { status: 'warning', reason: 'health_score' });
    assert.deepEqual(held('error', 0.6999), { status: 'warning', reason: 'health_score' });
    assert.deepEqual(held('error', 0.7), { status: 'online', reason: 'ok' });
    assert.deepEqual(held('warning', 0.6999), { status: 'warning', reason: 'health_score' });
    assert.deepEqual(held('warning', 0.7), { status: 'online', reason: 'ok' });
    assert.deepEqual(held('warning', 0.3), { status: 'warning', reason: 'health_score' }, 'entering error still takes a score under 0.3');
    // A status an alert caused gives the score no head start.
    assert.deepEqual(derive({ current: 'error', currentReason: 'threshold:cpu_usage_percent', score: 0.35 }), { status: 'warning', reason: 'health_score' });
    assert.deepEqual(derive({ current: 'warning', currentReason: 'health_check:db', score: 0.65 }), { status: 'online', reason: 'ok' });
  });

  it('statusCap holds error and offline under 0.3 and warning under 0.6, and says why', () => {
    assert.deepEqual(statusCap({ status: 'error', reason: 'threshold:cpu_usage_percent' }), { limit: 0.29, detail: 'status error (threshold:cpu_usage_percent): score held at 0.29 or less' });
    assert.equal(statusCap({ status: 'offline', reason: 'no_heartbeat' })?.limit, 0.29);
    assert.equal(statusCap({ status: 'warning', reason: 'health_check:db' })?.limit, 0.59);
    for (const status of ['online', 'unknown', 'maintenance'] as const) assert.equal(statusCap({ status, reason: 'x' }), null, status);
  });

  it('does not depend on the current status (other than maintenance) when no score caused it', () => {
    for (const current of ['unknown', 'online', 'offline', 'warning', 'error'] as const) {
      assert.deepEqual(derive({ current }), { status: 'online', reason: 'ok' }, current);
      assert.deepEqual(derive({ current, activeAlerts: [alert('warning', 'error_rate')] }), { status: 'warning', reason: 'threshold:error_rate' }, current);
    }
  });
});
