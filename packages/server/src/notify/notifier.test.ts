import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SystemEvent } from '@agentmon/schema';
import { newAlert } from '../engine/alerts.js';
import type { AlertRecord, NotificationTarget } from '../storage/ports.js';
import { Notifier, isRetryable, mergeKind, type NotifierLog, type NotifierStore, type SendFn } from './notifier.js';
import type { WebhookMessage } from './webhook.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const SECRET_URL = 'https://hooks.example.com/services/T000/B000/very-secret-token';

/** The few store methods the notifier uses, in memory. */
function fakeMetadata(targets: NotificationTarget[] = []) {
  const alerts = new Map<string, AlertRecord>();
  const events: SystemEvent[] = [];
  const store = {
    listNotificationTargets: async () => targets,
    getAlert: async (id: string) => alerts.get(id) ?? null,
    updateAlert: async (a: AlertRecord) => void alerts.set(a.id, a),
    insertEvents: async (list: readonly SystemEvent[]) => void events.push(...list),
    getActiveAlerts: async () => [...alerts.values()].filter((a) => a.is_active),
    getIngestContexts: async () => new Map(),
  };
  return { metadata: store as unknown as NotifierStore, alerts, events };
}

function capturingLog() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const log: NotifierLog = {
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
  return { log, lines };
}

const alert = (metric: string) =>
  newAlert({ agentId: 'a1', metricName: metric, severity: 'warning', title: metric, message: metric, threshold: 1, value: 2, nowMs: T0 });

test('isRetryable: network errors, 5xx, 408 and 429 are retried; other 4xx are final', () => {
  for (const s of [null, 500, 502, 503, 408, 429]) assert.equal(isRetryable(s), true, String(s));
  for (const s of [400, 401, 403, 404, 410, 422]) assert.equal(isRetryable(s), false, String(s));
});

test('mergeKind: an alert new to receivers stays fired; a resolution always shows', () => {
  assert.equal(mergeKind('fired', 'escalated'), 'fired');
  assert.equal(mergeKind('fired', 'resolved'), 'resolved');
  assert.equal(mergeKind('escalated', 'repeat'), 'escalated');
  assert.equal(mergeKind('repeat', 'escalated'), 'escalated');
});

test('one alert changing twice within a group is sent once, in its latest state; close() flushes the open group', async () => {
  const { metadata } = fakeMetadata();
  const bodies: WebhookMessage[] = [];
  const send: SendFn = async (_url, body) => {
    bodies.push(body as WebhookMessage);
    return { status: 200 };
  };
  const notifier = new Notifier({ metadata, clock: () => T0, groupWaitMs: 60_000, staticTargets: [{ kind: 'webhook', url: 'http://x.test/h' }], send });
  const cpu = alert('cpu');
  notifier.alerts([{ kind: 'fired', alert: cpu }]);
  notifier.alerts([{ kind: 'escalated', alert: { ...cpu, severity: 'critical' } }]);
  assert.equal(bodies.length, 0, 'nothing is sent while the group waits');
  await notifier.close();
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0]?.alerts.length, 1);
  assert.equal(bodies[0]?.alerts[0]?.kind, 'fired');
  assert.equal(bodies[0]?.alerts[0]?.severity, 'critical');
  notifier.alerts([{ kind: 'fired', alert: alert('late') }]);
  assert.equal(bodies.length, 1, 'after close, transitions are dropped');
});

test('a 404 is final: one attempt, an error log and event naming the host but never the secret path', async () => {
  const { metadata, events } = fakeMetadata([
    { id: 't1', name: 'team hook', kind: 'slack', url: SECRET_URL, enabled: true, created_at: new Date(T0).toISOString() },
    { id: 't2', name: 'off', kind: 'webhook', url: 'http://disabled.test/', enabled: false, created_at: new Date(T0).toISOString() },
  ]);
  const { log, lines } = capturingLog();
  const urls: string[] = [];
  const send: SendFn = async (url) => {
    urls.push(url);
    return { status: 404 };
  };
  const notifier = new Notifier({ metadata, clock: () => T0, groupWaitMs: 0, retryBaseMs: 1, maxAttempts: 5, log, send });
  notifier.alerts([{ kind: 'fired', alert: alert('cpu') }]);
  await notifier.close();
  assert.deepEqual(urls, [SECRET_URL], 'one attempt, and disabled targets get nothing');
  assert.equal(events.length, 1);
  assert.equal(events[0]?.type, 'system_error');
  assert.equal(events[0]?.severity, 'error');
  assert.equal(events[0]?.data.target_id, 't1');
  assert.equal(events[0]?.data.host, 'hooks.example.com');
  assert.equal(events[0]?.data.last_status, 404);
  assert.equal(events[0]?.data.attempts, 1);
  assert.ok(lines.some((l) => l.level === 'error'));
  const everything = JSON.stringify({ lines, events });
  assert.ok(!everything.includes('very-secret-token'), 'the URL path never reaches logs or events');
});

test('network errors mentioning the URL are reported with the host only; a failing event write is logged, not thrown', async () => {
  const { metadata } = fakeMetadata();
  (metadata as { insertEvents: NotifierStore['insertEvents'] }).insertEvents = async () => {
    throw new Error('database is down');
  };
  const { log, lines } = capturingLog();
  const send: SendFn = async (url) => {
    throw new TypeError(`fetch failed for ${url}`);
  };
  const notifier = new Notifier({ metadata, clock: () => T0, groupWaitMs: 0, retryBaseMs: 1, maxAttempts: 2, staticTargets: [{ kind: 'webhook', url: SECRET_URL }], log, send });
  notifier.alerts([{ kind: 'fired', alert: alert('cpu') }]);
  await notifier.close();
  const failed = lines.find((l) => l.msg.startsWith('notification failed'));
  assert.ok(failed);
  assert.equal((failed.obj as { attempts: number }).attempts, 2);
  assert.equal((failed.obj as { error: string }).error, 'fetch failed for hooks.example.com');
  assert.ok(lines.some((l) => l.msg.startsWith('cannot record')));
  assert.ok(!JSON.stringify(lines).includes('very-secret-token'));
});

test('close() gives up on deliveries after its bounded wait', async () => {
  const { metadata, events } = fakeMetadata();
  const send: SendFn = (_url, _body, signal) =>
    new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
  const notifier = new Notifier({ metadata, groupWaitMs: 0, closeTimeoutMs: 50, staticTargets: [{ kind: 'webhook', url: 'http://x.test/' }], send });
  notifier.alerts([{ kind: 'fired', alert: alert('cpu') }]);
  const started = Date.now();
  await notifier.close();
  assert.ok(Date.now() - started < 1000);
  assert.equal(events.length, 0, 'abandoning at shutdown is not a delivery failure');
});
