import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStream } from './sse.js';
import { buildApp } from '../src/app.js';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';

eachBackend('dashboard and live stream', (backend) => {
  let t: TestApp;
  let base: string;
  before(async () => {
    t = await testApp(backend);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    await t.close();
  });

  it('GET /dashboard answers DashboardData with summary, agents, system metrics, active alerts and trends', async () => {
    const a = await register(t, { name: 'dash-a', type: 'llm_agent', environment: 'production' });
    const b = await register(t, { name: 'dash-b', type: 'ml_model', environment: 'staging' });
    for (const [id, cpu, tps] of [[a.id, 95, 40], [b.id, 20, 10]] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/agents/${id}/metrics`,
        headers: bearer(ADMIN),
        payload: metricsBody(id, {
          timestamp: new Date(t.clock.now - 60_000).toISOString(),
          resource_metrics: { cpu_usage_percent: cpu, memory_usage_bytes: 1, memory_usage_percent: 30, disk_usage_bytes: 1 },
          performance_metrics: { tasks_completed: 90, tasks_failed: 10, throughput_per_second: 2, error_rate: 0.01 },
          ai_metrics: { tokens_per_second: tps },
        }),
      });
      assert.equal(res.statusCode, 202);
    }
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200, res.body);
    const d = res.json();
    assert.equal(d.summary.agents_total, 2);
    assert.deepEqual(d.summary.agents_by_status, { online: 1, offline: 0, warning: 0, error: 1, maintenance: 0, unknown: 0 });
    assert.equal(d.summary.agents_by_type.llm_agent, 1);
    assert.equal(d.summary.agents_by_type.chatbot, 0);
    assert.deepEqual(d.summary.agents_by_environment, { production: 1, staging: 1 });
    assert.equal(d.summary.active_alerts_total, 1);
    assert.equal(d.summary.active_alerts_by_severity.critical, 1);
    assert.equal(d.summary.fleet.tasks_completed, 180);
    assert.equal(d.summary.fleet.tasks_failed, 20);
    assert.equal(d.summary.fleet.error_rate, 0.1);
    assert.equal(d.summary.fleet.tokens_per_second, 50);
    assert.equal(d.summary.fleet.throughput_per_second, 4);
    assert.equal(d.agents.length, 2);
    assert.equal(d.agents[0].name, 'dash-a', 'worst first');
    assert.deepEqual(Object.keys(d.agents[0]).sort(), ['environment', 'health_score', 'id', 'last_seen', 'name', 'status', 'type']);
    assert.equal(d.active_alerts[0].agent_id, a.id);
    assert.equal(d.system_metrics.storage, backend);
    assert.equal(d.system_metrics.points_stored, 2);
    assert.equal(d.system_metrics.payloads_received, 2);
    assert.ok(d.system_metrics.ingest_rate_per_second > 0);
    for (const metric of ['cpu_usage_percent', 'memory_usage_percent', 'average_response_time_ms', 'error_rate', 'throughput_per_second', 'tokens_per_second']) {
      assert.ok(Array.isArray(d.performance_trends[metric]), metric);
    }
    const cpu = d.performance_trends.cpu_usage_percent;
    assert.equal(cpu.length, 1);
    assert.equal(cpu[0].value, (95 + 20) / 2);
    assert.equal(d.timestamp, new Date(t.clock.now).toISOString());
  });

  it('dashboard config: defaults, bounds, kept across a restart', async () => {
    const got = await t.app.inject({ method: 'GET', url: '/api/v1/dashboard/config', headers: bearer(ADMIN) });
    assert.deepEqual(got.json(), { refresh_interval_seconds: 30, default_time_range_hours: 24, max_agents_per_page: 50, enable_real_time_updates: true, chart_types: ['line', 'bar', 'gauge'] });
    const bad = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/dashboard/config',
      headers: bearer(ADMIN),
      payload: { refresh_interval_seconds: 4, default_time_range_hours: 169, max_agents_per_page: 201 },
    });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json().details.map((d: { path: string }) => d.path).sort(), [
      '/body/default_time_range_hours',
      '/body/max_agents_per_page',
      '/body/refresh_interval_seconds',
    ]);
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/dashboard/config', headers: bearer(ADMIN), payload: { refresh_interval_seconds: 10, chart_types: ['line'] } });
    assert.equal(put.statusCode, 200);
    assert.equal(put.json().refresh_interval_seconds, 10);
    const again = await buildApp(t.config, { metadata: t.stores.metadata, series: t.stores.series, adminToken: ADMIN, logger: false });
    try {
      const reread = await again.inject({ method: 'GET', url: '/api/v1/dashboard/config', headers: bearer(ADMIN) });
      assert.equal(reread.json().refresh_interval_seconds, 10);
      assert.deepEqual(reread.json().chart_types, ['line']);
    } finally {
      await again.close();
    }
  });

  it('the stream sends metrics ticks, status changes, alerts and events, with ids and resume', async () => {
    const tokenRes = await t.app.inject({ method: 'POST', url: '/api/v1/events/stream-token', headers: bearer(ADMIN) });
    assert.equal(tokenRes.statusCode, 200);
    const { token } = tokenRes.json();
    const denied = openStream(`${base}/api/v1/events/stream?token=st.1.${'A'.repeat(43)}`);
    assert.equal(await denied.ready, 401);
    denied.close();

    const stream = openStream(`${base}/api/v1/events/stream?token=${encodeURIComponent(token)}`);
    assert.equal(await stream.ready, 200);
    const { id } = await register(t, { name: 'streamed' });
    const registered = await stream.waitFor((m) => m.event === 'system_event' && m.data.type === 'agent_registered' && m.data.agent_id === id, 'registration event');
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(id, { resource_metrics: { cpu_usage_percent: 88, memory_usage_bytes: 1, memory_usage_percent: 10, disk_usage_bytes: 1 } }) });
    assert.equal(res.statusCode, 202);
    const tick = await stream.waitFor((m) => m.event === 'metrics' && m.data.agent_id === id, 'metrics tick');
    assert.equal(tick.data.cpu_usage_percent, 88);
    assert.equal(tick.data.status, 'warning');
    const status = await stream.waitFor((m) => m.event === 'status' && m.data.agent_id === id && m.data.status === 'warning', 'status change');
    assert.equal(status.data.previous_status, 'unknown');
    const alert = await stream.waitFor((m) => m.event === 'alert' && (m.data.alert as { agent_id: string }).agent_id === id, 'alert');
    assert.equal(alert.data.kind, 'fired');
    assert.ok(registered.id < tick.id, 'ids increase');
    stream.close();

    // Resume: a client that saw the registration gets what came after it.
    const resumed = openStream(`${base}/api/v1/events/stream`, { ...bearer(ADMIN), 'last-event-id': String(registered.id) });
    assert.equal(await resumed.ready, 200);
    const replayed = await resumed.waitFor((m) => m.event === 'alert', 'replayed alert');
    assert.equal(replayed.id, alert.id);
    assert.ok(resumed.messages.every((m) => m.id > registered.id));
    resumed.close();

    const none = openStream(`${base}/api/v1/events/stream`);
    assert.equal(await none.ready, 401);
    none.close();
  });

  it('a batch gives one metrics tick per agent: its newest payload, stamped with that payload’s time', async () => {
    const tokenRes = await t.app.inject({ method: 'POST', url: '/api/v1/events/stream-token', headers: bearer(ADMIN) });
    const stream = openStream(`${base}/api/v1/events/stream?token=${encodeURIComponent(tokenRes.json().token as string)}`);
    assert.equal(await stream.ready, 200);
    const a = await register(t, { name: 'ticked-a' });
    const b = await register(t, { name: 'ticked-b' });
    const at = (ms: number) => new Date(t.clock.now - ms).toISOString();
    const resource = (cpu: number) => ({ cpu_usage_percent: cpu, memory_usage_bytes: 1, memory_usage_percent: 10, disk_usage_bytes: 1 });
    // The newest payload of `a` is not the last one listed; `b` has two payloads of one millisecond (the later listed wins).
    const batch = [
      metricsBody(a.id, { timestamp: at(2_000), resource_metrics: resource(11) }),
      metricsBody(b.id, { timestamp: at(1_500), resource_metrics: resource(21) }),
      metricsBody(a.id, { timestamp: at(1_000), resource_metrics: resource(12) }),
      metricsBody(b.id, { timestamp: at(1_500), resource_metrics: resource(22) }),
      metricsBody(a.id, { timestamp: at(3_000), resource_metrics: resource(13) }),
    ];
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/metrics', headers: bearer(ADMIN), payload: batch });
    assert.equal(res.statusCode, 202);
    const tickA = await stream.waitFor((m) => m.event === 'metrics' && m.data.agent_id === a.id, 'tick of a');
    const tickB = await stream.waitFor((m) => m.event === 'metrics' && m.data.agent_id === b.id, 'tick of b');
    assert.equal(tickA.data.cpu_usage_percent, 12);
    assert.equal(tickA.data.timestamp, at(1_000));
    assert.equal(tickB.data.cpu_usage_percent, 22);
    assert.equal(tickB.data.timestamp, at(1_500));
    assert.equal(stream.messages.filter((m) => m.event === 'metrics' && (m.data.agent_id === a.id || m.data.agent_id === b.id)).length, 2);
    stream.close();
  });
});
