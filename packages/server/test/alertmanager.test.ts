import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from '../src/config.js';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp } from './harness.js';

/** A POST /api/v2/alerts body as Alertmanager checks it (api/v2 postableAlerts, model.Alert.Validate). */
function alertmanagerProblems(method: string, path: string, contentType: string, body: unknown): string[] {
  const problems: string[] = [];
  if (method !== 'POST') problems.push(`method ${method}`);
  if (path !== '/api/v2/alerts') problems.push(`path ${path}`);
  if (!contentType.startsWith('application/json')) problems.push(`content-type ${contentType}`);
  if (!Array.isArray(body)) return [...problems, 'body is not a list of alerts'];
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
  body.forEach((a: unknown, i) => {
    const alert = a as Record<string, unknown>;
    const allowed = new Set(['labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL']);
    for (const key of Object.keys(alert)) if (!allowed.has(key)) problems.push(`${i}: unknown field ${key}`);
    const labels = alert.labels as Record<string, unknown> | undefined;
    if (!labels || typeof labels !== 'object' || Object.keys(labels).length === 0) problems.push(`${i}: labels missing or empty`);
    for (const [name, value] of Object.entries(labels ?? {})) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) problems.push(`${i}: bad label name ${name}`);
      if (typeof value !== 'string' || value === '') problems.push(`${i}: label ${name} is not a non-empty string`);
    }
    for (const [name, value] of Object.entries((alert.annotations as Record<string, unknown> | undefined) ?? {})) {
      if (typeof value !== 'string') problems.push(`${i}: annotation ${name} is not a string`);
    }
    for (const field of ['startsAt', 'endsAt']) {
      if (typeof alert[field] !== 'string' || !rfc3339.test(alert[field] as string)) problems.push(`${i}: ${field} is not RFC 3339`);
    }
    if (typeof alert.startsAt === 'string' && typeof alert.endsAt === 'string' && Date.parse(alert.endsAt) < Date.parse(alert.startsAt)) {
      problems.push(`${i}: start time must be before end time`);
    }
  });
  return problems;
}

type PostableAlert = { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string };

/** An HTTP receiver that answers as Alertmanager does: 200 for a valid body, 400 with the problems otherwise. */
async function fakeAlertmanager() {
  const received: PostableAlert[][] = [];
  const refused: string[][] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const problems = alertmanagerProblems(req.method ?? '', req.url ?? '', req.headers['content-type'] ?? '', body);
      if (problems.length > 0) refused.push(problems);
      else received.push(body as PostableAlert[]);
      res.statusCode = problems.length > 0 ? 400 : 200;
      res.end(problems.join('; '));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    refused,
    async waitFor(n: number) {
      const deadline = Date.now() + 5000;
      while (received.length + refused.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} message(s), got ${received.length + refused.length}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

it('AGENTMON_ALERTMANAGER_URLS must name the alerts endpoint', () => {
  assert.throws(() => loadConfig({ AGENTMON_ALERTMANAGER_URLS: 'http://alertmanager:9093' }), (err: unknown) => err instanceof ConfigError && /AGENTMON_ALERTMANAGER_URLS.*\/api\/v2\/alerts/.test(err.message));
  assert.deepEqual(loadConfig({ AGENTMON_ALERTMANAGER_URLS: 'http://am:9093/api/v2/alerts' }).alertmanagerUrls, ['http://am:9093/api/v2/alerts']);
});

eachBackend('Alertmanager notification targets', (backend) => {
  it('an alert fires into Alertmanager with labels and endsAt two repeat intervals ahead, and resolves with endsAt at its resolution', async () => {
    const am = await fakeAlertmanager();
    const t = await testApp(backend, { notifyGroupWaitMs: 20, notifyRepeatIntervalMs: 3_600_000, notifyAllowedTargets: ['127.0.0.1'] });
    try {
      const url = `${am.base}/api/v2/alerts`;
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/notifications', headers: bearer(ADMIN), payload: { name: 'am', kind: 'alertmanager', url } });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.json().kind, 'alertmanager');

      // Testing the target sends an empty list: Alertmanager answers 200 and nobody is paged.
      const tested = await t.app.inject({ method: 'POST', url: `/api/v1/notifications/${created.json().id}/test`, headers: bearer(ADMIN) });
      assert.deepEqual(tested.json(), { ok: true, status: 200, error: null });
      await am.waitFor(1);
      assert.deepEqual(am.received[0], []);

      const agent = await register(t, { name: 'am-agent' });
      const cpu = (value: number) =>
        metricsBody(agent.id, { resource_metrics: { cpu_usage_percent: value, memory_usage_bytes: 1, memory_usage_percent: 10, disk_usage_bytes: 1 } });
      const firedAt = t.clock.now;
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/metrics`, headers: bearer(agent.key), payload: cpu(85) })).statusCode, 202);
      await am.waitFor(2);
      assert.deepEqual(am.refused, []);
      const fired = am.received[1] as PostableAlert[];
      assert.equal(fired.length, 1, JSON.stringify(fired));
      const alert = fired[0] as PostableAlert;
      assert.deepEqual(alert.labels, { alertname: 'cpu_usage_percent', agent_id: agent.id, severity: 'warning', source: 'agentmon' });
      assert.match(alert.annotations.summary ?? '', /CPU/);
      assert.equal(alert.annotations.current_value, '85');
      assert.equal(alert.annotations.threshold, '80');
      assert.equal(Date.parse(alert.startsAt), firedAt);
      assert.equal(Date.parse(alert.endsAt), firedAt + 2 * 3_600_000, 'firing: ends two repeat intervals ahead unless sent again');

      t.clock.now += 60_000;
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/metrics`, headers: bearer(agent.key), payload: cpu(10) })).statusCode, 202);
      await am.waitFor(3);
      assert.deepEqual(am.refused, []);
      const resolved = am.received[2] as PostableAlert[];
      // The alert ended at its resolution, under its severity and the other one it may have had.
      assert.deepEqual(resolved.map((a) => a.labels.severity).sort(), ['critical', 'warning']);
      for (const a of resolved) {
        assert.equal(a.labels.alertname, 'cpu_usage_percent');
        assert.equal(Date.parse(a.endsAt), t.clock.now);
      }
    } finally {
      await t.close();
      await am.close();
    }
  });

  it('an escalation ends the warning alert and fires the critical one in the same message', async () => {
    const am = await fakeAlertmanager();
    const t = await testApp(backend, { notifyGroupWaitMs: 20, notifyAllowedTargets: ['127.0.0.1'] });
    try {
      await t.app.inject({ method: 'POST', url: '/api/v1/notifications', headers: bearer(ADMIN), payload: { name: 'am', kind: 'alertmanager', url: `${am.base}/api/v2/alerts` } });
      const agent = await register(t, { name: 'am-escalates' });
      const cpu = (value: number) =>
        metricsBody(agent.id, { resource_metrics: { cpu_usage_percent: value, memory_usage_bytes: 1, memory_usage_percent: 10, disk_usage_bytes: 1 } });
      await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/metrics`, headers: bearer(agent.key), payload: cpu(85) });
      await am.waitFor(1);
      t.clock.now += 60_000;
      await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/metrics`, headers: bearer(agent.key), payload: cpu(99) });
      await am.waitFor(2);
      assert.deepEqual(am.refused, []);
      const escalated = am.received[1] as PostableAlert[];
      const critical = escalated.find((a) => a.labels.severity === 'critical');
      const warning = escalated.find((a) => a.labels.severity === 'warning');
      assert.ok(critical && Date.parse(critical.endsAt) > t.clock.now, 'critical fires');
      assert.ok(warning && Date.parse(warning.endsAt) === t.clock.now, 'warning ends now');
    } finally {
      await t.close();
      await am.close();
    }
  });

  it('a target whose URL is not the alerts endpoint is refused, naming the url', async () => {
    const t = await testApp(backend);
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/notifications',
        headers: bearer(ADMIN),
        payload: { name: 'am', kind: 'alertmanager', url: 'http://alertmanager:9093/' },
      });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json().details.map((d: { path: string }) => d.path), ['/body/url']);
      assert.match(res.json().details[0].message, /\/api\/v2\/alerts/);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/notifications', headers: bearer(ADMIN) })).json().items.length, 0);
    } finally {
      await t.close();
    }
  });
});
