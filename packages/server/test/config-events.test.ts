import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, eachBackend, bearer, register, testApp, type TestApp } from './harness.js';

eachBackend('config and events API', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await testApp(backend);
  });
  after(async () => {
    await t.close();
  });

  it('GET, PATCH and PUT a MonitoringConfig; PATCH keeps what it does not name', async () => {
    const a = await register(t, { name: 'cfg-1' });
    const url = `/api/v1/agents/${a.id}/config`;
    const got = await t.app.inject({ method: 'GET', url, headers: bearer(ADMIN) });
    assert.equal(got.statusCode, 200);
    assert.equal(got.json().cpu_threshold, 80);

    const patched = await t.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(ADMIN),
      payload: { cpu_threshold: 90, custom_thresholds: { 'custom.queue_depth': 100, tokens_per_second: 5 } },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const afterPatch = patched.json();
    assert.equal(afterPatch.cpu_threshold, 90);
    assert.deepEqual(afterPatch.custom_thresholds, { 'custom.queue_depth': 100, tokens_per_second: 5 });

    const second = await t.app.inject({ method: 'PATCH', url, headers: bearer(ADMIN), payload: { metrics_interval_seconds: 15 } });
    assert.equal(second.json().cpu_threshold, 90, 'a PATCH of one field keeps the others');
    assert.equal(second.json().metrics_interval_seconds, 15);
    assert.deepEqual(second.json().custom_thresholds, { 'custom.queue_depth': 100, tokens_per_second: 5 });

    const put = await t.app.inject({ method: 'PUT', url, headers: bearer(ADMIN), payload: { agent_id: a.id, memory_threshold: 70 } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().memory_threshold, 70);
    assert.equal(put.json().cpu_threshold, 80, 'PUT replaces: absent fields take the defaults');
    assert.equal(put.json().metrics_interval_seconds, 60);
    assert.deepEqual(put.json().custom_thresholds, {});
    const reread = (await t.app.inject({ method: 'GET', url, headers: bearer(ADMIN) })).json();
    assert.deepEqual(reread, put.json());
  });

  it("enforces the seed's bounds, names each bad field and changes nothing", async () => {
    const a = await register(t, { name: 'cfg-2' });
    const url = `/api/v1/agents/${a.id}/config`;
    const res = await t.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(ADMIN),
      payload: {
        metrics_interval_seconds: 0,
        health_check_interval_seconds: 301,
        cpu_threshold: 100.5,
        error_rate_threshold: 2,
        metrics_retention_days: 366,
        logs_retention_days: 91,
        response_time_threshold_ms: -1,
        enable_ai_monitoring: 'yes',
      },
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json().details.map((d: { path: string }) => d.path).sort(), [
      '/body/cpu_threshold',
      '/body/enable_ai_monitoring',
      '/body/error_rate_threshold',
      '/body/health_check_interval_seconds',
      '/body/logs_retention_days',
      '/body/metrics_interval_seconds',
      '/body/metrics_retention_days',
      '/body/response_time_threshold_ms',
    ]);
    const edges = await t.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(ADMIN),
      payload: { metrics_interval_seconds: 3600, health_check_interval_seconds: 5, metrics_retention_days: 365, logs_retention_days: 1 },
    });
    assert.equal(edges.statusCode, 200, edges.body);

    const names = await t.app.inject({ method: 'PATCH', url, headers: bearer(ADMIN), payload: { custom_thresholds: { not_a_metric: 1 } } });
    assert.equal(names.statusCode, 400);
    assert.equal(names.json().details[0].path, '/body/custom_thresholds/not_a_metric');
    const other = await t.app.inject({ method: 'PUT', url, headers: bearer(ADMIN), payload: { agent_id: 'someone-else' } });
    assert.equal(other.statusCode, 400);
    assert.equal(other.json().details[0].path, '/body/agent_id');
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/agents/nobody/config', headers: bearer(ADMIN) });
    assert.equal(missing.statusCode, 404);
    const current = (await t.app.inject({ method: 'GET', url, headers: bearer(ADMIN) })).json();
    assert.equal(current.cpu_threshold, 80);
    assert.equal(current.metrics_interval_seconds, 3600);
  });

  it('events: newest first, filtered by type, agent, severity, since, until and limit', async () => {
    const ev = await testApp(backend);
    try {
      const a = await register(ev, { name: 'ev-a' });
      ev.clock.now += 60_000;
      const b = await register(ev, { name: 'ev-b' });
      ev.clock.now += 60_000;
      await ev.app.inject({
        method: 'POST',
        url: `/api/v1/agents/${a.id}/health`,
        headers: bearer(ADMIN),
        payload: [{ name: 'db', status: false, execution_time_ms: 1 }] as unknown as Record<string, unknown>,
      });
      const list = async (qs: string) => {
        const res = await ev.app.inject({ method: 'GET', url: `/api/v1/events?${qs}`, headers: bearer(ADMIN) });
        assert.equal(res.statusCode, 200, res.body);
        return res.json().items as { type: string; agent_id: string | null; timestamp: string; severity: string; source: string; id: string; message: string; data: unknown }[];
      };
      const all = await list('');
      assert.deepEqual(all.map((e) => e.type), ['agent_status_changed', 'health_check_failed', 'agent_registered', 'agent_registered']);
      for (const e of all) {
        assert.equal(e.source, 'monitor_system');
        assert.match(e.id, /^[0-9a-f-]{36}$/);
        assert.equal(typeof e.message, 'string');
      }
      assert.deepEqual((await list('type=agent_registered')).map((e) => e.agent_id), [b.id, a.id]);
      assert.deepEqual((await list(`agent_id=${b.id}`)).map((e) => e.type), ['agent_registered']);
      assert.deepEqual((await list('severity=warning')).map((e) => e.type), ['agent_status_changed', 'health_check_failed']);
      assert.equal((await list('limit=1')).length, 1);
      assert.deepEqual((await list('since=2026-03-01T12:01:00Z')).map((e) => e.type), ['agent_status_changed', 'health_check_failed', 'agent_registered']);
      assert.deepEqual((await list('until=2026-03-01T12:01:00Z')).map((e) => e.type), ['agent_registered']);
      for (const [qs, path] of [
        ['type=party', '/query/type'],
        ['severity=loud', '/query/severity'],
        ['limit=0', '/query/limit'],
        ['limit=1001', '/query/limit'],
        ['since=tomorrow', '/query/since'],
      ]) {
        const res = await ev.app.inject({ method: 'GET', url: `/api/v1/events?${qs}`, headers: bearer(ADMIN) });
        assert.equal(res.statusCode, 400, qs);
        assert.equal(res.json().details[0].path, path, qs);
      }
    } finally {
      await ev.close();
    }
  });

  it('alerts list: empty at first, paged shape, filters validated', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/alerts?active=true', headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { items: [], total: 0, page: 1, page_size: 50 });
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/alerts?severity=meh', headers: bearer(ADMIN) });
    assert.equal(bad.statusCode, 400);
  });
});
