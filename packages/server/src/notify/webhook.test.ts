import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newAlert, resolved } from '../engine/alerts.js';
import { webhookMessage, webhookTestMessage, type NotifiedAlert } from './webhook.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const context = { groupKey: 'g-1', sentAt: '2026-03-01T12:00:02.000Z' };

function alert(metricName: string, severity: 'critical' | 'warning' = 'warning') {
  return newAlert({ agentId: 'agent-1', metricName, severity, title: `${metricName} high`, message: `${metricName} is 95`, threshold: 80, value: 95, nowMs: T0 });
}

test('webhookMessage: version 1, the group key, every alert with its kind and fingerprint, and a summary', () => {
  const cpu = alert('cpu_usage_percent', 'critical');
  const mem = resolved(alert('memory_usage_percent'), T0 + 60_000);
  const items: NotifiedAlert[] = [
    { kind: 'fired', alert: cpu },
    { kind: 'resolved', alert: mem },
  ];
  const message = webhookMessage(items, context);
  assert.equal(message.version, 1);
  assert.equal(message.source, 'agentmon');
  assert.equal(message.group_key, 'g-1');
  assert.equal(message.sent_at, context.sentAt);
  assert.equal(message.test, false);
  assert.deepEqual(message.summary, { firing: 1, resolved: 1 });
  assert.deepEqual(message.alerts[0], {
    kind: 'fired',
    fingerprint: cpu.fingerprint,
    id: cpu.id,
    agent_id: 'agent-1',
    severity: 'critical',
    title: 'cpu_usage_percent high',
    message: 'cpu_usage_percent is 95',
    metric_name: 'cpu_usage_percent',
    threshold: 80,
    current_value: 95,
    created_at: '2026-03-01T12:00:00.000Z',
    resolved_at: null,
    is_active: true,
    acknowledged_at: null,
  });
  assert.equal(message.alerts[1]?.kind, 'resolved');
  assert.equal(message.alerts[1]?.is_active, false);
  assert.equal(message.alerts[1]?.resolved_at, '2026-03-01T12:01:00.000Z');
  // Bookkeeping that is not the receiver's business stays out.
  assert.equal('last_notified_at' in (message.alerts[0] as object), false);
  assert.deepEqual(JSON.parse(JSON.stringify(message)), message, 'plain JSON');
});

test('webhookMessage: repeats count as firing', () => {
  const message = webhookMessage([{ kind: 'repeat', alert: alert('error_rate') }], context);
  assert.deepEqual(message.summary, { firing: 1, resolved: 0 });
  assert.equal(message.alerts[0]?.kind, 'repeat');
});

test('webhookTestMessage: the same shape, no alerts, test true', () => {
  const message = webhookTestMessage(context);
  assert.equal(message.test, true);
  assert.deepEqual(message.alerts, []);
  assert.deepEqual(message.summary, { firing: 0, resolved: 0 });
  assert.equal(message.version, 1);
});
