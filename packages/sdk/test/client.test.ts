import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AgentMetrics } from '@agentmon/schema';
import { AgentmonClient, AgentmonError, parseRetryAfter } from '../src/index.js';
import { ADMIN, REGISTRATION, freePort, startTestServer, type TestServer } from './server.js';

const agent = (over: Record<string, unknown> = {}) => ({
  name: 'client-test',
  type: 'llm_agent' as const,
  version: '1.0.0',
  deployment_type: 'docker' as const,
  host: 'host-1',
  environment: 'test',
  tags: ['a'],
  ...over,
});

const metrics = (agentId: string, cpu = 40): AgentMetrics => ({
  agent_id: agentId,
  resource_metrics: { cpu_usage_percent: cpu, memory_usage_bytes: 1000, memory_usage_percent: 10, disk_usage_bytes: 5000 },
  performance_metrics: { tasks_completed: 3, tasks_failed: 0 },
  ai_metrics: { tokens_processed: 100 },
  custom_metrics: { queue_depth: 2 },
});

describe('AgentmonClient against a real server', () => {
  let t: TestServer;
  let admin: AgentmonClient;
  before(async () => {
    // The notification target below is on loopback, which targets may reach only when allowed.
    t = await startTestServer({ notifyAllowedTargets: ['127.0.0.1'] });
    admin = new AgentmonClient({ url: t.url, token: ADMIN });
  });
  after(async () => {
    await t?.dispose();
  });

  it('registers, lists, shows, updates and deregisters agents', async () => {
    const reg = await new AgentmonClient({ url: `${t.url}/api/v1/`, token: REGISTRATION }).registerAgent(agent());
    assert.equal(reg.status, 'registered');
    assert.match(reg.api_key, /^amk\./);
    assert.equal(reg.config.metrics_interval_seconds, 60);
    const again = await admin.registerAgent(agent());
    assert.equal(again.agent_id, reg.agent_id, 'registration is idempotent on name+environment+host');
    const page = await admin.listAgents({ type: 'llm_agent', sort: '-name', page_size: 10 });
    assert.equal(page.total, 1);
    assert.equal(page.items[0]?.id, reg.agent_id);
    const detail = await admin.getAgent(reg.agent_id);
    assert.equal(detail.name, 'client-test');
    const updated = await admin.updateAgent(reg.agent_id, { tags: ['b', 'b', 'c'] });
    assert.deepEqual(updated.tags, ['b', 'c']);
    await admin.deleteAgent(reg.agent_id, { purge: true });
    await assert.rejects(admin.getAgent(reg.agent_id), (err: unknown) => {
      assert.ok(err instanceof AgentmonError);
      assert.equal(err.status, 404);
      assert.equal(err.code, 'AGENT_NOT_FOUND');
      assert.equal(err.retryable, false);
      assert.equal(err.details[0]?.path, '/params/id');
      return true;
    });
  });

  it('ingests as the agent: metrics one and batched, heartbeat, health; and queries them back', async () => {
    const reg = await admin.registerAgent(agent({ name: 'ingest-test' }));
    const me = admin.withToken(reg.api_key);
    const one = await me.sendMetrics(reg.agent_id, { ...metrics(reg.agent_id), timestamp: new Date(Date.now() - 2000).toISOString() });
    assert.equal(one.accepted, 1);
    assert.equal(one.config?.metrics_interval_seconds, 60);
    const batch = await me.sendMetricsBatch([metrics(reg.agent_id), metrics(reg.agent_id)]);
    assert.equal(batch.accepted, 2);
    await me.heartbeat(reg.agent_id);
    const receipt = await me.reportHealth(reg.agent_id, [{ name: 'db', status: false, message: 'down', execution_time_ms: 3.5 }]);
    assert.deepEqual(receipt.failing, ['db']);
    const health = await me.getHealth(reg.agent_id);
    assert.equal(health.checks[0]?.execution_time_ms, 3.5);
    assert.ok(health.last_heartbeat);
    const q = await admin.queryMetrics({
      agent_ids: [reg.agent_id],
      start_time: new Date(Date.now() - 60_000).toISOString(),
      end_time: new Date(Date.now() + 1000).toISOString(),
      metric_names: ['tasks_completed', 'custom.queue_depth'],
      aggregation: 'sum',
    });
    assert.equal(q.data[0]?.tasks_completed, 9);
    assert.equal(q.data[0]?.['custom.queue_depth'], 6);
    // An agent key is for its own ingest routes only.
    await assert.rejects(me.listAgents(), (err: unknown) => err instanceof AgentmonError && err.status === 403 && err.code === 'FORBIDDEN');
  });

  it('reads and changes config; lists alerts and events; acknowledges and resolves an alert', async () => {
    const reg = await admin.registerAgent(agent({ name: 'alert-test' }));
    const patched = await admin.patchConfig(reg.agent_id, { cpu_threshold: 50 });
    assert.equal(patched.cpu_threshold, 50);
    assert.equal(patched.metrics_interval_seconds, 60);
    const put = await admin.putConfig(reg.agent_id, { cpu_threshold: 60 });
    assert.equal(put.cpu_threshold, 60);
    assert.equal((await admin.getConfig(reg.agent_id)).cpu_threshold, 60);
    await admin.withToken(reg.api_key).sendMetrics(reg.agent_id, metrics(reg.agent_id, 95));
    const alerts = await admin.listAlerts({ agent_id: reg.agent_id, active: true });
    assert.equal(alerts.total, 1);
    const alert = alerts.items[0];
    assert.ok(alert);
    assert.equal(alert.metric_name, 'cpu_usage_percent');
    assert.equal((await admin.getAlert(alert.id)).id, alert.id);
    const acked = await admin.acknowledgeAlert(alert.id, { by: 'tester', comment: 'looking' });
    assert.equal(acked.acknowledged_by, 'tester');
    const resolved = await admin.resolveAlert(alert.id);
    assert.equal(resolved.is_active, false);
    const events = await admin.listEvents({ agent_id: reg.agent_id, limit: 50 });
    assert.ok(events.items.some((e) => e.type === 'metric_threshold_exceeded'));
    assert.ok(events.items.some((e) => e.type === 'agent_registered'));
  });

  it('manages notification targets', async () => {
    const created = await admin.createNotificationTarget({ name: 'hook', kind: 'webhook', url: 'http://127.0.0.1:9/hook', enabled: false });
    assert.equal(created.source, 'api');
    assert.ok((await admin.listNotificationTargets()).items.some((x) => x.id === created.id));
    const test = await admin.testNotificationTarget(created.id);
    assert.equal(test.ok, false);
    await admin.deleteNotificationTarget(created.id);
    await assert.rejects(admin.deleteNotificationTarget(created.id), (err: unknown) => err instanceof AgentmonError && err.status === 404);
  });

  it('reads the dashboard and its config, and gets a stream token', async () => {
    const dashboard = await admin.getDashboard();
    assert.equal(typeof (dashboard.summary as { agents_total?: unknown }).agents_total, 'number');
    assert.ok(Array.isArray(dashboard.agents));
    const config = await admin.getDashboardConfig();
    const changed = await admin.putDashboardConfig({ ...config, refresh_interval_seconds: 10 });
    assert.equal(changed.refresh_interval_seconds, 10);
    const stream = await admin.createStreamToken();
    assert.ok(stream.token.length > 0);
    assert.equal(admin.streamUrl(stream.token), `${t.url}/api/v1/events/stream?token=${encodeURIComponent(stream.token)}`);
  });

  it('sets and reads prices and budgets, says who a token is, and lists failed spans', async () => {
    const price = await admin.setPrice({ model: 'house-model-1', input_usd_per_million: 2, output_usd_per_million: 6, as_of: '2026-11-30' });
    assert.equal(price.source, 'api');
    const table = await admin.getPrices();
    assert.deepEqual(
      table.prices.find((p) => p.model === 'house-model-1'),
      { model: 'house-model-1', input_usd_per_million: 2, output_usd_per_million: 6, as_of: '2026-11-30', source: 'api' },
    );
    const budget = await admin.createBudget({ name: 'fleet daily', period: 'day', limit_usd: 25 });
    assert.equal(budget.spent_usd, 0);
    assert.equal(budget.state, 'ok');
    assert.deepEqual((await admin.listBudgets()).budgets.map((b) => b.id), [budget.id]);
    await admin.deleteBudget(budget.id);
    assert.deepEqual((await admin.listBudgets()).budgets, []);
    assert.deepEqual(await admin.whoami(), { role: 'admin' });
    const reg = await admin.registerAgent(agent({ name: 'spans-agent' }));
    assert.deepEqual((await admin.getFailedSpans(reg.agent_id)).items, []);
    const trends = await admin.getDashboard({ trend_hours: 6 });
    assert.ok(trends.performance_trends);
  });

  it('cancels a call on its signal, tells onError about failures, and names the fields of a refusal', async () => {
    const heard: AgentmonError[] = [];
    const client = new AgentmonClient({ url: t.url, token: ADMIN, onError: (e) => heard.push(e) });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client.listAgents({}, { signal: controller.signal }), (err: unknown) => (err as Error).name === 'AbortError');
    assert.equal(heard.length, 0, 'a cancelled call is not a failure');
    await assert.rejects(client.createBudget({ name: '', period: 'day', limit_usd: -1 }), (err: unknown) => {
      assert.ok(err instanceof AgentmonError);
      assert.equal(err.status, 400);
      const fields = err.fieldErrors();
      assert.ok(fields.name && fields.limit_usd, JSON.stringify(fields));
      return true;
    });
    await assert.rejects(new AgentmonClient({ url: t.url, token: 'nope-nope-nope-nope', onError: (e) => heard.push(e) }).whoami());
    assert.deepEqual(
      heard.map((e) => [e.status, e.code]),
      [
        [400, 'VALIDATION_FAILED'],
        [401, 'UNAUTHORIZED'],
      ],
    );
  });

  it('answers the probes and names bad tokens', async () => {
    assert.equal(await admin.healthz(), true);
    assert.equal((await admin.readyz()).status, 'ready');
    await assert.rejects(new AgentmonClient({ url: t.url, token: 'nope-nope-nope-nope' }).listAgents(), (err: unknown) => {
      assert.ok(err instanceof AgentmonError);
      assert.equal(err.status, 401);
      assert.equal(err.code, 'UNAUTHORIZED');
      return true;
    });
  });
});

describe('AgentmonClient failures without a server answer', () => {
  it('gives status 0 and NETWORK_ERROR when nothing listens, TIMEOUT when the answer is late', async () => {
    const port = await freePort();
    const client = new AgentmonClient({ url: `http://127.0.0.1:${port}`, token: ADMIN });
    await assert.rejects(client.listAgents(), (err: unknown) => {
      assert.ok(err instanceof AgentmonError);
      assert.equal(err.status, 0);
      assert.equal(err.code, 'NETWORK_ERROR');
      assert.equal(err.retryable, true);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
    const slow = createServer(() => undefined);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const address = slow.address();
    try {
      const late = new AgentmonClient({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, timeoutMs: 100 });
      await assert.rejects(late.listAgents(), (err: unknown) => err instanceof AgentmonError && err.code === 'TIMEOUT' && err.status === 0);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });

  it('reads Retry-After and a non-JSON error answer', async () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(parseRetryAfter(null), null);
    const proxy = createServer((_, res) => {
      res.writeHead(503, { 'content-type': 'text/html', 'retry-after': '2' });
      res.end('<h1>bad gateway</h1>');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    try {
      const client = new AgentmonClient({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
      await assert.rejects(client.listAgents(), (err: unknown) => {
        assert.ok(err instanceof AgentmonError);
        assert.equal(err.code, 'HTTP_503');
        assert.equal(err.retryAfterMs, 2000);
        assert.equal(err.retryable, true);
        return true;
      });
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it('refuses a URL that is not http(s)', () => {
    assert.throws(() => new AgentmonClient({ url: 'ftp://x' }), TypeError);
    assert.throws(() => new AgentmonClient({ url: 'not a url' }), TypeError);
  });
});
