import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertSeverity } from '@agentmon/schema';
import { newAlert, resolved } from '../src/engine/alerts.js';
import { Notifier, type NotifierLog } from '../src/notify/notifier.js';
import type { SlackMessage } from '../src/notify/slack.js';
import type { WebhookMessage } from '../src/notify/webhook.js';
import type { ServerConfig } from '../src/config.js';
import type { AlertRecord } from '../src/storage/ports.js';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';

/** A real HTTP receiver on 127.0.0.1 that records every request and answers `statusFor(n)`. */
interface Receiver {
  url: string;
  requests: { path: string; body: unknown }[];
  /** Resolves once `n` requests arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

async function receiver(statusFor: (n: number) => number = () => 200): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = requests.length;
      requests.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      res.statusCode = statusFor(n);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async waitFor(n, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} request(s), got ${requests.length}`);
        await sleep(5);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` with a fresh app (so stored targets of one test never reach another) and closes it. */
async function withApp(backend: 'sqlite' | 'postgres', overrides: Partial<ServerConfig>, fn: (t: TestApp) => Promise<void>): Promise<void> {
  // The receivers listen on loopback, which notification targets may reach only when allowed.
  const t = await testApp(backend, { notifyAllowedTargets: ['127.0.0.1'], ...overrides });
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

function quietLog() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const log: NotifierLog = {
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
  return { log, lines };
}

/** Stores a real alert of a registered agent. */
async function storedAlert(
  t: TestApp,
  agentId: string,
  metricName: string,
  fields: { severity?: AlertSeverity; nowMs?: number; patch?: Partial<AlertRecord> } = {},
): Promise<AlertRecord> {
  const alert = newAlert({
    agentId,
    metricName,
    severity: fields.severity ?? 'warning',
    title: `${metricName} high`,
    message: `${metricName} is above its threshold`,
    threshold: 80,
    value: 95,
    nowMs: fields.nowMs ?? t.clock.now,
  });
  await t.stores.metadata.insertAlert(alert);
  if (!fields.patch) return alert;
  const patched = { ...alert, ...fields.patch };
  await t.stores.metadata.updateAlert(patched);
  return patched;
}

function notifierFor(t: TestApp, options: Partial<ConstructorParameters<typeof Notifier>[0]> = {}): Notifier {
  return new Notifier({
    metadata: t.stores.metadata,
    clock: () => t.clock.now,
    groupWaitMs: 50,
    retryBaseMs: 20,
    maxAttempts: 3,
    repeatIntervalMs: 60_000,
    log: quietLog().log,
    allowedTargets: ['127.0.0.1'],
    ...options,
  });
}

eachBackend('notifications', (backend) => {
  it('a burst of transitions within the group wait arrives as one message, and stamps last_notified_at', async () => {
    const rx = await receiver();
    try {
      await withApp(backend, {}, async (t) => {
        const agent = await register(t, { name: 'notify-burst' });
        const alerts = [
          await storedAlert(t, agent.id, 'cpu_usage_percent', { severity: 'critical' }),
          await storedAlert(t, agent.id, 'memory_usage_percent'),
          await storedAlert(t, agent.id, 'error_rate'),
        ];
        const notifier = notifierFor(t, { staticTargets: [{ kind: 'webhook', url: `${rx.url}/hook` }] });
        for (const alert of alerts) {
          assert.equal(notifier.alerts([{ kind: 'fired', alert }]), undefined);
          await sleep(10);
        }
        await rx.waitFor(1);
        await sleep(150);
        assert.equal(rx.requests.length, 1, 'one incident, one message');
        const message = rx.requests[0]?.body as WebhookMessage;
        assert.equal(rx.requests[0]?.path, '/hook');
        assert.equal(message.version, 1);
        assert.equal(message.source, 'agentmon');
        assert.equal(message.alerts.length, 3);
        assert.deepEqual(
          message.alerts.map((a) => a.fingerprint),
          alerts.map((a) => a.fingerprint),
        );
        assert.ok(message.alerts.every((a) => a.kind === 'fired' && a.is_active));
        assert.deepEqual(message.summary, { firing: 3, resolved: 0 });
        await notifier.close();
        for (const alert of alerts) {
          assert.equal((await t.stores.metadata.getAlert(alert.id))?.last_notified_at, new Date(t.clock.now).toISOString());
        }
      });
    } finally {
      await rx.close();
    }
  });

  it('retries a 500 and delivers the same message again; then last_notified_at is set', async () => {
    const rx = await receiver((n) => (n === 0 ? 500 : 200));
    try {
      await withApp(backend, {}, async (t) => {
        const agent = await register(t, { name: 'notify-retry' });
        const alert = await storedAlert(t, agent.id, 'cpu_usage_percent');
        const notifier = notifierFor(t, { staticTargets: [{ kind: 'webhook', url: rx.url }] });
        notifier.alerts([{ kind: 'fired', alert }]);
        await rx.waitFor(2);
        await notifier.close();
        assert.equal(rx.requests.length, 2);
        assert.deepEqual(rx.requests[1]?.body, rx.requests[0]?.body, 'a retry sends the very same message (same group_key)');
        assert.notEqual((await t.stores.metadata.getAlert(alert.id))?.last_notified_at, null);
        assert.equal((await t.stores.metadata.listEvents({ type: 'system_error', limit: 10 })).length, 0);
      });
    } finally {
      await rx.close();
    }
  });

  it('gives up after maxAttempts: a system_error event is stored, nothing throws, the secret path is not logged', async () => {
    const rx = await receiver(() => 503);
    try {
      await withApp(backend, {}, async (t) => {
        const agent = await register(t, { name: 'notify-fail' });
        const alert = await storedAlert(t, agent.id, 'cpu_usage_percent');
        const { log, lines } = quietLog();
        const target = { id: '0190a000-0000-7000-8000-000000000001', name: 'ops hook', kind: 'webhook' as const, url: `${rx.url}/services/s3cr3t-path`, enabled: true, created_at: new Date(t.clock.now).toISOString() };
        await t.stores.metadata.insertNotificationTarget(target);
        const notifier = notifierFor(t, { log });
        assert.doesNotThrow(() => notifier.alerts([{ kind: 'fired', alert }]));
        await rx.waitFor(3);
        await notifier.close();
        assert.equal(rx.requests.length, 3, 'exactly maxAttempts attempts');
        const events = await t.stores.metadata.listEvents({ type: 'system_error', limit: 10 });
        assert.equal(events.length, 1);
        const event = events[0];
        assert.equal(event?.severity, 'error');
        assert.equal(event?.data.target_id, target.id);
        assert.equal(event?.data.target_kind, 'webhook');
        assert.equal(event?.data.attempts, 3);
        assert.equal(event?.data.last_status, 503);
        assert.deepEqual(event?.data.fingerprints, [alert.fingerprint]);
        assert.equal((await t.stores.metadata.getAlert(alert.id))?.last_notified_at, null, 'not notified');
        assert.ok(lines.some((l) => l.level === 'error' && l.msg.startsWith('notification failed')));
        assert.ok(!JSON.stringify({ lines, events }).includes('s3cr3t-path'));
      });
    } finally {
      await rx.close();
    }
  });

  it('a slack target gets a Slack payload: text, blocks, and attachments coloured by severity', async () => {
    const rx = await receiver();
    try {
      await withApp(backend, {}, async (t) => {
        const agent = await register(t, { name: 'notify-slack' });
        const critical = await storedAlert(t, agent.id, 'cpu_usage_percent', { severity: 'critical' });
        const warning = await storedAlert(t, agent.id, 'memory_usage_percent');
        const notifier = notifierFor(t, { staticTargets: [{ kind: 'slack', url: `${rx.url}/services/T1/B1/x` }] });
        notifier.alerts([
          { kind: 'fired', alert: critical },
          { kind: 'fired', alert: warning },
        ]);
        await rx.waitFor(1);
        const first = rx.requests[0]?.body as SlackMessage;
        assert.equal(typeof first.text, 'string');
        assert.match(first.text, /2 firing/);
        assert.ok(Array.isArray(first.blocks) && first.blocks.length > 0);
        assert.deepEqual(
          first.attachments.map((a) => a.color),
          ['#d50000', '#ff9800'],
        );
        assert.ok(first.attachments.every((a) => Array.isArray(a.blocks) && typeof a.fallback === 'string'));

        notifier.alerts([{ kind: 'resolved', alert: resolved(critical, t.clock.now) }]);
        await rx.waitFor(2);
        const second = rx.requests[1]?.body as SlackMessage;
        assert.deepEqual(
          second.attachments.map((a) => a.color),
          ['#2eb67d'],
        );
        assert.match(second.text, /1 resolved/);
        await notifier.close();
      });
    } finally {
      await rx.close();
    }
  });

  it('repeat() re-sends an active unacknowledged alert not notified for the interval, and only that one', async () => {
    const rx = await receiver();
    try {
      await withApp(backend, {}, async (t) => {
        const agent = await register(t, { name: 'notify-repeat' });
        const now = t.clock.now;
        const iso = (ms: number) => new Date(ms).toISOString();
        const stale = await storedAlert(t, agent.id, 'cpu_usage_percent', { nowMs: now - 3_600_000, patch: { last_notified_at: iso(now - 120_000) } });
        await storedAlert(t, agent.id, 'memory_usage_percent', {
          nowMs: now - 3_600_000,
          patch: { last_notified_at: iso(now - 120_000), acknowledged_at: iso(now - 100_000), acknowledged_by: 'ops' },
        });
        await storedAlert(t, agent.id, 'error_rate', { nowMs: now - 3_600_000, patch: { last_notified_at: iso(now - 10_000) } });
        const neverNotified = await storedAlert(t, agent.id, 'average_response_time_ms', { nowMs: now - 90_000 });
        const young = await storedAlert(t, agent.id, 'custom.queue_depth', { nowMs: now - 5_000 });
        const notifier = notifierFor(t, { staticTargets: [{ kind: 'webhook', url: rx.url }] });

        assert.equal(await notifier.repeat(), 2);
        await rx.waitFor(1);
        await sleep(100);
        assert.equal(rx.requests.length, 1);
        const message = rx.requests[0]?.body as WebhookMessage;
        assert.deepEqual(new Set(message.alerts.map((a) => a.fingerprint)), new Set([stale.fingerprint, neverNotified.fingerprint]));
        assert.ok(message.alerts.every((a) => a.kind === 'repeat'));
        assert.equal(await notifier.repeat(), 0, 'nothing is due again right away');
        await notifier.close();
        assert.equal((await t.stores.metadata.getAlert(stale.id))?.last_notified_at, iso(now));
        assert.equal((await t.stores.metadata.getAlert(young.id))?.last_notified_at, null);
      });
    } finally {
      await rx.close();
    }
  });

  it('the app wires a notifier from the config: an ingest that fires an alert notifies the configured webhook', async () => {
    const rx = await receiver();
    try {
      await withApp(backend, { webhookUrls: [`${rx.url}/from-config`], notifyGroupWaitMs: 20 }, async (t) => {
        const agent = await register(t, { name: 'notify-wired' });
        const body = metricsBody(agent.id, { resource_metrics: { cpu_usage_percent: 99, memory_usage_bytes: 1, memory_usage_percent: 10, disk_usage_bytes: 1 } });
        const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/metrics`, headers: bearer(agent.key), payload: body });
        assert.ok(res.statusCode < 300, res.body);
        await rx.waitFor(1);
        const message = rx.requests[0]?.body as WebhookMessage;
        assert.equal(rx.requests[0]?.path, '/from-config');
        assert.ok(message.alerts.some((a) => a.kind === 'fired' && a.metric_name === 'cpu_usage_percent' && a.agent_id === agent.id));
        assert.equal(t.app.notifier.configTargets.length, 1);
      });
    } finally {
      await rx.close();
    }
  });

  it('routes: create, list (config targets too), test, and delete notification targets', async () => {
    const rx = await receiver();
    try {
      await withApp(backend, { slackWebhookUrls: [`${rx.url}/services/config-secret`] }, async (t) => {
        const url = '/api/v1/notifications';
        const headers = bearer(ADMIN);

        const created = await t.app.inject({ method: 'POST', url, headers, payload: { name: 'ops', kind: 'webhook', url: `${rx.url}/api-hook` } });
        assert.equal(created.statusCode, 201, created.body);
        const target = created.json();
        assert.equal(target.name, 'ops');
        assert.equal(target.kind, 'webhook');
        assert.equal(target.enabled, true);
        assert.equal(target.source, 'api');
        assert.equal(target.url, `${rx.url}/api-hook`);

        const badProtocol = await t.app.inject({ method: 'POST', url, headers, payload: { name: 'x', kind: 'webhook', url: 'ftp://example.com/x' } });
        assert.equal(badProtocol.statusCode, 400);
        assert.deepEqual(badProtocol.json().details.map((d: { path: string }) => d.path), ['/body/url']);
        const notUrl = await t.app.inject({ method: 'POST', url, headers, payload: { name: 'x', kind: 'webhook', url: 'not a url' } });
        assert.equal(notUrl.statusCode, 400);
        assert.deepEqual(notUrl.json().details.map((d: { path: string }) => d.path), ['/body/url']);
        const badKind = await t.app.inject({ method: 'POST', url, headers, payload: { kind: 'email', url: 'https://example.com/' } });
        assert.equal(badKind.statusCode, 400);
        const paths = badKind.json().details.map((d: { path: string }) => d.path);
        assert.ok(paths.includes('/body/name') && paths.includes('/body/kind'), JSON.stringify(paths));
        const noAuth = await t.app.inject({ method: 'GET', url });
        assert.equal(noAuth.statusCode, 401);

        const listed = await t.app.inject({ method: 'GET', url, headers });
        assert.equal(listed.statusCode, 200);
        const items = listed.json().items as { id: string; source: string; url: string; kind: string }[];
        assert.equal(items.length, 2);
        assert.equal(items[0]?.id, 'config-1');
        assert.equal(items[0]?.source, 'config');
        assert.equal(items[0]?.kind, 'slack');
        assert.ok(!items[0]?.url.includes('config-secret'), 'config URLs are masked');
        assert.equal(items[1]?.id, target.id);
        assert.equal(items[1]?.source, 'api');

        const tested = await t.app.inject({ method: 'POST', url: `${url}/${target.id}/test`, headers });
        assert.equal(tested.statusCode, 200, tested.body);
        assert.deepEqual(tested.json(), { ok: true, status: 200, error: null });
        await rx.waitFor(1);
        assert.equal(rx.requests[0]?.path, '/api-hook');
        assert.equal((rx.requests[0]?.body as WebhookMessage).test, true);
        const testedConfig = await t.app.inject({ method: 'POST', url: `${url}/config-1/test`, headers });
        assert.equal(testedConfig.json().ok, true);
        await rx.waitFor(2);
        assert.equal(rx.requests[1]?.path, '/services/config-secret');
        assert.equal(typeof (rx.requests[1]?.body as SlackMessage).text, 'string');

        const deadTarget = await t.app.inject({ method: 'POST', url, headers, payload: { name: 'dead', kind: 'webhook', url: 'http://127.0.0.1:1/x', enabled: false } });
        assert.equal(deadTarget.json().enabled, false);
        const failed = await t.app.inject({ method: 'POST', url: `${url}/${deadTarget.json().id}/test`, headers });
        assert.equal(failed.statusCode, 200);
        assert.equal(failed.json().ok, false);
        assert.equal(failed.json().status, null);
        assert.equal(typeof failed.json().error, 'string');

        assert.equal((await t.app.inject({ method: 'POST', url: `${url}/nope/test`, headers })).statusCode, 404);
        const readOnly = await t.app.inject({ method: 'DELETE', url: `${url}/config-1`, headers });
        assert.equal(readOnly.statusCode, 409);
        assert.equal(readOnly.json().error, 'NOTIFICATION_TARGET_READ_ONLY');
        const deleted = await t.app.inject({ method: 'DELETE', url: `${url}/${target.id}`, headers });
        assert.equal(deleted.statusCode, 204);
        assert.equal((await t.app.inject({ method: 'DELETE', url: `${url}/${target.id}`, headers })).statusCode, 404);
        const after = (await t.app.inject({ method: 'GET', url, headers })).json().items as { id: string }[];
        assert.deepEqual(
          after.map((i) => i.id),
          ['config-1', deadTarget.json().id],
        );
      });
    } finally {
      await rx.close();
    }
  });
});
