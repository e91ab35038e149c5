import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import { ADMIN, eachBackend, bearer, metricsBody, register, testApp, type TestApp } from './harness.js';

eachBackend('ingest API', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await testApp(backend);
  });
  after(async () => {
    await t.close();
  });

  const query = async (qs: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/metrics/query?${qs}`, headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  const range = 'start_time=2026-03-01T00:00:00Z&end_time=2026-03-02T00:00:00Z';

  it('stores one payload: 202 with counts, values queryable, agent online, last_seen moved', async () => {
    const a = await register(t, { name: 'ingest-1' });
    t.clock.now += 5000;
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${a.id}/metrics`,
      headers: bearer(a.key),
      payload: metricsBody(a.id, { timestamp: '2026-03-01T12:00:01Z', custom_metrics: { queue_depth: 7, label: 'blue', nested: { hits: 3 }, flag: true } }),
    });
    assert.equal(res.statusCode, 202, res.body);
    const receipt = res.json();
    assert.equal(receipt.accepted, 1);
    assert.equal(receipt.agents, 1);
    // series_points counts the values stored: every built-in the payload had, its score and its numeric custom metrics.
    const names = [...SERIES_METRIC_NAMES, 'custom.queue_depth', 'custom.nested.hits', 'custom.flag', 'custom.label'];
    const stored = (await query(`agent_ids=${a.id}&${range}&metric_names=${names.join(',')}`)).data[0] as Record<string, unknown>;
    const present = names.filter((n) => stored[n] !== null && stored[n] !== undefined);
    assert.ok(present.length > 20, `${present.length} values stored`);
    assert.equal(receipt.series_points, present.length);

    const q = await query(`agent_ids=${a.id}&${range}&metric_names=cpu_usage_percent,tokens_per_second,custom.queue_depth,custom.nested.hits,custom.label,gpu_usage_percent`);
    assert.equal(q.total_points, 1);
    assert.deepEqual(q.data[0], {
      agent_id: a.id,
      timestamp: '2026-03-01T12:00:01.000Z',
      cpu_usage_percent: 42.5,
      tokens_per_second: 35.5,
      'custom.queue_depth': 7,
      'custom.nested.hits': 3,
      'custom.label': null,
      gpu_usage_percent: null,
    });

    const info = (await t.app.inject({ method: 'GET', url: `/api/v1/agents/${a.id}`, headers: bearer(ADMIN) })).json();
    assert.equal(info.status, 'online');
    assert.equal(info.last_seen, new Date(t.clock.now).toISOString());
    assert.ok(info.health_score > 0.9, `score ${info.health_score}`);
    const changed = (await t.app.inject({ method: 'GET', url: `/api/v1/events?agent_id=${a.id}&type=agent_status_changed`, headers: bearer(ADMIN) })).json();
    assert.equal(changed.items.length, 1);
    assert.deepEqual(changed.items[0].data, { old_status: 'unknown', new_status: 'online', reason: 'ok' });
  });

  it('applies the seed defaults: performance fields absent, timestamp absent (server time)', async () => {
    const a = await register(t, { name: 'ingest-defaults' });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${a.id}/metrics`,
      headers: bearer(ADMIN),
      payload: {
        agent_id: a.id,
        resource_metrics: { cpu_usage_percent: 1, memory_usage_bytes: 1, memory_usage_percent: 1, disk_usage_bytes: 1 },
        performance_metrics: {},
      },
    });
    assert.equal(res.statusCode, 202, res.body);
    const q = await query(`agent_ids=${a.id}&${range}&metric_names=success_rate,error_rate,disk_io_read_bytes,tokens_processed`);
    assert.deepEqual(q.data, [
      { agent_id: a.id, timestamp: new Date(t.clock.now).toISOString(), success_rate: 1, error_rate: 0, disk_io_read_bytes: 0, tokens_processed: null },
    ]);
  });

  it('rejects a payload with bad fields: 400 naming each, nothing stored', async () => {
    const a = await register(t, { name: 'ingest-bad' });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${a.id}/metrics`,
      headers: bearer(ADMIN),
      payload: {
        agent_id: a.id,
        resource_metrics: { cpu_usage_percent: 101, memory_usage_bytes: -1, memory_usage_percent: '50', gpu_usage_percent: 100.5 },
        performance_metrics: { error_rate: 1.5, tasks_completed: 1.5 },
        ai_metrics: { model_accuracy: null, confidence_score: -0.1 },
        health_checks: { db: 'yes' },
        timestamp: 'yesterday',
      },
    });
    assert.equal(res.statusCode, 400);
    const paths = res.json().details.map((d: { path: string }) => d.path).sort();
    assert.deepEqual(paths, [
      '/body/ai_metrics/confidence_score',
      '/body/health_checks/db',
      '/body/performance_metrics/error_rate',
      '/body/performance_metrics/tasks_completed',
      '/body/resource_metrics/cpu_usage_percent',
      '/body/resource_metrics/disk_usage_bytes',
      '/body/resource_metrics/gpu_usage_percent',
      '/body/resource_metrics/memory_usage_bytes',
      '/body/resource_metrics/memory_usage_percent',
      '/body/timestamp',
    ]);
    const cpu = res.json().details.find((d: { path: string }) => d.path === '/body/resource_metrics/cpu_usage_percent');
    assert.equal(cpu.message, 'must be <= 100');
    assert.equal((await query(`agent_ids=${a.id}&${range}`)).total_points, 0);
    const info = (await t.app.inject({ method: 'GET', url: `/api/v1/agents/${a.id}`, headers: bearer(ADMIN) })).json();
    assert.equal(info.status, 'unknown');
  });

  it('refuses a body agent_id that differs from the path, and unknown agents with 404', async () => {
    const a = await register(t, { name: 'ingest-mismatch' });
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${a.id}/metrics`, headers: bearer(ADMIN), payload: metricsBody('someone-else') });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().details[0].path, '/body/agent_id');
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/agents/nobody/metrics', headers: bearer(ADMIN), payload: metricsBody('nobody') });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error, 'AGENT_NOT_FOUND');
  });

  it('concurrent batches naming the same agents step each agent one after the other: one status change and one breach event each, not one per request', async () => {
    const agents = [await register(t, { name: 'relay-a' }), await register(t, { name: 'relay-b' })];
    const batch = (i: number) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/metrics',
        headers: bearer(ADMIN),
        payload: agents.map((a) => {
          const body = metricsBody(a.id, { timestamp: new Date(t.clock.now - 30_000 + i * 1000).toISOString() });
          (body.resource_metrics as Record<string, unknown>).cpu_usage_percent = 95;
          return body;
        }),
      });
    const answers = await Promise.all([0, 1, 2, 3].map(batch));
    assert.deepEqual(answers.map((r) => r.statusCode), [202, 202, 202, 202]);
    for (const a of agents) {
      const events = ((await t.app.inject({ method: 'GET', url: `/api/v1/events?agent_id=${a.id}`, headers: bearer(ADMIN) })).json() as { items: { type: string }[] }).items;
      const kinds = events.map((e) => e.type).filter((k) => k !== 'agent_registered').sort();
      // Each request read the state the previous one wrote: unknown -> error once, the breach once.
      assert.deepEqual(kinds, ['agent_status_changed', 'metric_threshold_exceeded'], JSON.stringify(events));
    }
  });

  it('batch: all or nothing, errors name the index and the field', async () => {
    const a = await register(t, { name: 'batch-a' });
    const b = await register(t, { name: 'batch-b' });
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: bearer(ADMIN),
      payload: [
        metricsBody(a.id, { timestamp: '2026-03-01T10:00:00Z' }),
        metricsBody(b.id, { timestamp: '2026-03-01T10:00:00Z' }),
        metricsBody(a.id, { timestamp: '2026-03-01T10:01:00Z' }),
      ],
    });
    assert.equal(ok.statusCode, 202, ok.body);
    assert.equal(ok.json().accepted, 3);
    assert.equal(ok.json().agents, 2);

    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: bearer(ADMIN),
      payload: [
        metricsBody(a.id, { timestamp: '2026-03-01T10:02:00Z' }),
        metricsBody(b.id, { timestamp: '2026-03-01T10:02:00Z', resource_metrics: { cpu_usage_percent: 500 } }),
      ],
    });
    assert.equal(bad.statusCode, 400);
    const paths = bad.json().details.map((d: { path: string }) => d.path);
    assert.ok(paths.includes('/body/1/resource_metrics/cpu_usage_percent'), paths.join());
    assert.ok(paths.includes('/body/1/resource_metrics/memory_usage_bytes'), paths.join());

    const ghost = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: bearer(ADMIN),
      payload: [metricsBody(a.id, { timestamp: '2026-03-01T10:03:00Z' }), metricsBody('ghost', { timestamp: '2026-03-01T10:03:00Z' })],
    });
    assert.equal(ghost.statusCode, 404);
    assert.deepEqual(ghost.json().details, [{ path: '/body/1/agent_id', message: 'agent "ghost" is not registered' }]);

    const q = await query(`agent_ids=${a.id},${b.id}&${range}&metric_names=cpu_usage_percent`);
    assert.equal(q.total_points, 3, 'the refused batches stored nothing');

    const empty = await t.app.inject({ method: 'POST', url: '/api/v1/metrics', headers: bearer(ADMIN), payload: [] });
    assert.equal(empty.statusCode, 400);
    const tooMany = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: bearer(ADMIN),
      payload: Array.from({ length: 1001 }, () => metricsBody(a.id)),
    });
    assert.equal(tooMany.statusCode, 400);
    assert.match(tooMany.json().details[0].message, /1000/);
  });

  it('a batch of 1,000 payloads (about 600 KB, parsed in pieces) stores every value under its own agent and time', async () => {
    const agents = [await register(t, { name: 'big-a' }), await register(t, { name: 'big-b' }), await register(t, { name: 'big-c' }), await register(t, { name: 'big-d' })];
    const at = (step: number) => new Date(Date.parse('2026-03-01T06:00:00Z') + step * 10_000).toISOString();
    // Strings and nested objects that look like the boundary between two payloads.
    const decoy = (step: number) => ({ note: `},{"agent_id":"${agents[0]?.id}","step":${step}}`, deep: { list: [{ agent_id: 1 }, { agent_id: 2 }] }, step });
    const cpu = (a: number, step: number) => ((a * 250 + step) % 100) + 0.125;
    const payloads = Array.from({ length: 1000 }, (_, i) => {
      const a = i % 4;
      const step = Math.floor(i / 4);
      return metricsBody(agents[a]?.id ?? '', { timestamp: at(step), resource_metrics: { cpu_usage_percent: cpu(a, step), memory_usage_bytes: 1, memory_usage_percent: 1, disk_usage_bytes: 1 }, custom_metrics: decoy(step) });
    });
    const body = JSON.stringify(payloads);
    assert.ok(body.length > 400_000, `${body.length} bytes`);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/metrics', headers: { ...bearer(ADMIN), 'content-type': 'application/json' }, payload: body });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json().accepted, 1000);
    for (const [a, agent] of agents.entries()) {
      const q = await query(`agent_ids=${agent.id}&start_time=2026-03-01T05:00:00Z&end_time=2026-03-01T07:00:00Z&metric_names=cpu_usage_percent,custom.step,custom.deep.list`);
      assert.equal(q.total_points, 250, agent.id);
      q.data.forEach((row: Record<string, unknown>, step: number) => {
        assert.deepEqual(row, { agent_id: agent.id, timestamp: at(step), cpu_usage_percent: cpu(a, step), 'custom.step': step, 'custom.deep.list': null }, `${agent.id} step ${step}`);
      });
    }
  });

  it('heartbeat: 204, no body needed, updates last_seen', async () => {
    const a = await register(t, { name: 'hb' });
    t.clock.now += 60_000;
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${a.id}/heartbeat`, headers: bearer(a.key) });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    const withJsonType = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${a.id}/heartbeat`, headers: { ...bearer(a.key), 'content-type': 'application/json' }, payload: '' });
    assert.equal(withJsonType.statusCode, 204);
    const info = (await t.app.inject({ method: 'GET', url: `/api/v1/agents/${a.id}`, headers: bearer(ADMIN) })).json();
    assert.equal(info.last_seen, new Date(t.clock.now).toISOString());
    assert.equal(info.status, 'online');
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents/nobody/heartbeat', headers: bearer(ADMIN) })).statusCode, 404);
  });

  it('health: reports checks, HealthResponse shows them with score parts, failures raise an event once', async () => {
    const a = await register(t, { name: 'health-1' });
    const report = (checks: unknown) =>
      t.app.inject({ method: 'POST', url: `/api/v1/agents/${a.id}/health`, headers: bearer(a.key), payload: checks as Record<string, unknown> });
    const first = await report([
      { name: 'db', status: true, execution_time_ms: 3.5 },
      { name: 'llm_api', status: false, message: 'timeout after 30 s', execution_time_ms: 30000, timestamp: '2026-03-01T11:59:59Z' },
    ]);
    assert.equal(first.statusCode, 202, first.body);
    assert.deepEqual(first.json().failing, ['llm_api']);
    assert.equal(first.json().status, 'warning', 'a failing check is a warning alert');
    await report([{ name: 'llm_api', status: false, execution_time_ms: 1 }]);

    const res = await t.app.inject({ method: 'GET', url: `/api/v1/agents/${a.id}/health`, headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200);
    const health = res.json();
    assert.equal(health.agent_id, a.id);
    assert.equal(health.status, 'warning');
    assert.equal(health.status_reason, 'health_check:llm_api');
    assert.equal(health.last_updated, new Date(t.clock.now).toISOString());
    assert.deepEqual(health.checks.map((c: { name: string; status: boolean }) => [c.name, c.status]), [['db', true], ['llm_api', false]]);
    assert.equal(health.checks[0].message, null);
    assert.equal(health.checks[0].execution_time_ms, 3.5);
    assert.equal(health.checks[1].execution_time_ms, 1);
    assert.equal(health.recent_alerts.length, 1);
    assert.equal(health.recent_alerts[0].metric_name, 'health_check:llm_api');
    const checks = health.health_components.find((c: { name: string }) => c.name === 'checks');
    assert.equal(checks.value, 0.5);
    assert.equal(checks.weight, 0.3);
    assert.ok(health.health_score > 0 && health.health_score < 1);

    const failed = (await t.app.inject({ method: 'GET', url: `/api/v1/events?agent_id=${a.id}&type=health_check_failed`, headers: bearer(ADMIN) })).json();
    assert.equal(failed.items.length, 1, 'a check that keeps failing raises one event');
    assert.equal(failed.items[0].severity, 'warning');

    const bad = await report([{ name: 'db', status: 'ok' }, { status: true, execution_time_ms: -1 }]);
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json().details.map((d: { path: string }) => d.path).sort(), [
      '/body/0/execution_time_ms',
      '/body/0/status',
      '/body/1/execution_time_ms',
      '/body/1/name',
    ]);
    const dup = await report([{ name: 'db', status: true, execution_time_ms: 1 }, { name: 'db', status: false, execution_time_ms: 1 }]);
    assert.equal(dup.statusCode, 400);
    assert.equal(dup.json().details[0].path, '/body/1/name');
  });
});
