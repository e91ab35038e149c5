import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';

/** A payload with the given cpu (and other values calm). */
const cpuAt = (id: string, cpu: number, extra: Record<string, unknown> = {}) =>
  metricsBody(id, {
    resource_metrics: { cpu_usage_percent: cpu, memory_usage_bytes: 1, memory_usage_percent: 20, disk_usage_bytes: 1 },
    performance_metrics: { error_rate: 0, average_response_time_ms: 100 },
    ...extra,
  });

eachBackend('monitoring engine through HTTP', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await testApp(backend);
  });
  after(async () => {
    await t.close();
  });

  const get = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    return res.json();
  };
  const send = async (id: string, body: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: body });
    assert.equal(res.statusCode, 202, res.body);
  };
  const agent = (id: string) => get(`/api/v1/agents/${id}`);
  const activeAlerts = async (id: string) => (await get(`/api/v1/alerts?agent_id=${id}&active=true`)).items;

  it('a breach fires one alert, a repeat updates it, a value back under the recovery level resolves it', async () => {
    const { id } = await register(t, { name: 'breacher' });
    await send(id, cpuAt(id, 50));
    assert.equal((await agent(id)).status, 'online');

    t.clock.now += 10_000;
    await send(id, cpuAt(id, 85));
    let alerts = await activeAlerts(id);
    assert.equal(alerts.length, 1);
    const [alert] = alerts;
    assert.equal(alert.metric_name, 'cpu_usage_percent');
    assert.equal(alert.severity, 'warning');
    assert.equal(alert.threshold, 80);
    assert.equal(alert.current_value, 85);
    assert.equal(alert.is_active, true);
    assert.equal(alert.resolved_at, null);
    assert.match(alert.fingerprint, /^[0-9a-f]{16}$/);
    let info = await agent(id);
    assert.equal(info.status, 'warning');
    assert.equal(info.status_reason, 'threshold:cpu_usage_percent');
    const exceeded = (await get(`/api/v1/events?agent_id=${id}&type=metric_threshold_exceeded`)).items;
    assert.equal(exceeded.length, 1);
    assert.equal(exceeded[0].data.metric, 'cpu_usage_percent');
    assert.equal(exceeded[0].data.threshold, 80);
    assert.equal(exceeded[0].data.value, 85);

    t.clock.now += 10_000;
    await send(id, cpuAt(id, 95));
    alerts = await activeAlerts(id);
    assert.equal(alerts.length, 1, 'a repeat never duplicates');
    assert.equal(alerts[0].id, alert.id);
    assert.equal(alerts[0].current_value, 95);
    assert.equal(alerts[0].severity, 'critical', 'over the critical level (90 for an 80 % threshold)');
    assert.equal((await agent(id)).status, 'error');

    t.clock.now += 10_000;
    await send(id, cpuAt(id, 75));
    const cooling = await activeAlerts(id);
    assert.equal(cooling.length, 1, 'between the recovery level (72) and the threshold it keeps firing');
    assert.equal(cooling[0].severity, 'warning');

    t.clock.now += 10_000;
    await send(id, cpuAt(id, 40));
    assert.equal((await activeAlerts(id)).length, 0);
    const history = (await get(`/api/v1/alerts?agent_id=${id}`)).items;
    assert.equal(history.length, 1);
    assert.equal(history[0].is_active, false);
    assert.equal(history[0].resolved_at, new Date(t.clock.now).toISOString());
    info = await agent(id);
    assert.equal(info.status, 'online');
    const changes = (await get(`/api/v1/events?agent_id=${id}&type=agent_status_changed`)).items.map(
      (e: { data: { old_status: string; new_status: string; reason: string } }) => `${e.data.old_status}>${e.data.new_status}:${e.data.reason}`,
    );
    assert.deepEqual(changes.reverse(), [
      'unknown>online:ok',
      'online>warning:threshold:cpu_usage_percent',
      'warning>error:threshold:cpu_usage_percent',
      'error>warning:threshold:cpu_usage_percent',
      'warning>online:ok',
    ]);
  });

  it('custom thresholds alert on custom.<key> metrics', async () => {
    const { id } = await register(t, { name: 'custom-breacher' });
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${id}/config`, headers: bearer(ADMIN), payload: { custom_thresholds: { 'custom.queue_depth': 100 } } });
    assert.equal(patch.statusCode, 200);
    await send(id, cpuAt(id, 10, { custom_metrics: { queue_depth: 150 } }));
    const alerts = await activeAlerts(id);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].metric_name, 'custom.queue_depth');
    assert.equal(alerts[0].current_value, 150);
  });

  it('silence turns an agent OFFLINE with a no_data alert within one sweep; data turns it back', async () => {
    const { id } = await register(t, { name: 'goes-quiet' });
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/heartbeat`, headers: bearer(ADMIN) });
    assert.equal((await agent(id)).status, 'online');

    t.clock.now += 3 * 60_000; // exactly 3 x max(60 s, 30 s): late, not yet offline
    await t.app.sweeper.tick();
    const late = await agent(id);
    assert.equal(late.status, 'warning');
    assert.equal(late.status_reason, 'health_score');
    assert.equal(late.health_components.find((c: { name: string }) => c.name === 'freshness').value, 0.5);

    t.clock.now += 1000;
    const report = await t.app.sweeper.tick();
    assert.equal(report.skipped, false);
    const info = await agent(id);
    assert.equal(info.status, 'offline');
    assert.equal(info.status_reason, 'no_heartbeat');
    const alerts = await activeAlerts(id);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].metric_name, 'no_data');
    assert.equal(alerts[0].severity, 'critical');

    t.clock.now += 1000;
    await send(id, cpuAt(id, 10));
    assert.equal((await agent(id)).status, 'online');
    assert.equal((await activeAlerts(id)).length, 0);
  });

  it('maintenance silences alerts and offline detection, and ends when set back', async () => {
    const { id } = await register(t, { name: 'in-maintenance' });
    await send(id, cpuAt(id, 10));
    const m = await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${id}`, headers: bearer(ADMIN), payload: { status: 'maintenance' } });
    assert.equal(m.json().status, 'maintenance');
    await send(id, cpuAt(id, 99));
    assert.equal((await activeAlerts(id)).length, 0, 'no alert fires in maintenance');
    t.clock.now += 60 * 60_000;
    await t.app.sweeper.tick();
    assert.equal((await agent(id)).status, 'maintenance', 'no offline detection in maintenance');
    assert.equal((await activeAlerts(id)).length, 0);

    const back = await t.app.inject({ method: 'PATCH', url: `/api/v1/agents/${id}`, headers: bearer(ADMIN), payload: { status: 'online' } });
    assert.equal(back.statusCode, 200);
    assert.equal(back.json().status, 'offline', 'silent for an hour: derived as offline once maintenance ends');
    assert.equal(back.json().status_reason, 'no_heartbeat');
  });

  it('a failing health check raises HEALTH_CHECK_FAILED and an alert that resolves when it passes', async () => {
    const { id, key } = await register(t, { name: 'checked' });
    const report = (status: boolean) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/agents/${id}/health`,
        headers: bearer(key),
        payload: [{ name: 'vector_db', status, execution_time_ms: 12, message: status ? null : 'connection refused' }] as unknown as Record<string, unknown>,
      });
    assert.equal((await report(false)).statusCode, 202);
    await report(false);
    const alerts = await activeAlerts(id);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].metric_name, 'health_check:vector_db');
    assert.equal((await agent(id)).status_reason, 'health_check:vector_db');
    const failed = (await get(`/api/v1/events?agent_id=${id}&type=health_check_failed`)).items;
    assert.equal(failed.length, 1);
    const health = await get(`/api/v1/agents/${id}/health`);
    assert.equal(health.recent_alerts[0].id, alerts[0].id);
    await report(true);
    assert.equal((await activeAlerts(id)).length, 0);
  });

  it("the agent's own alert strings become alerts and resolve when no longer reported", async () => {
    const { id } = await register(t, { name: 'self-reporting' });
    await send(id, cpuAt(id, 10, { alerts: ['rate limited by upstream LLM API'] }));
    const alerts = await activeAlerts(id);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].title, 'rate limited by upstream LLM API');
    await send(id, cpuAt(id, 10, { alerts: [] }));
    assert.equal((await activeAlerts(id)).length, 0);
  });

  it('acknowledge keeps the alert active; resolve by hand is idempotent', async () => {
    const { id } = await register(t, { name: 'acked' });
    await send(id, cpuAt(id, 85));
    const [alert] = await activeAlerts(id);
    const ack = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${alert.id}/ack`, headers: bearer(ADMIN), payload: { by: 'ana', comment: 'looking' } });
    assert.equal(ack.statusCode, 200, ack.body);
    assert.equal(ack.json().acknowledged_by, 'ana');
    assert.equal(ack.json().ack_comment, 'looking');
    assert.equal(ack.json().is_active, true);
    const badAck = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${alert.id}/ack`, headers: bearer(ADMIN), payload: {} });
    assert.equal(badAck.statusCode, 400);
    assert.equal(badAck.json().details[0].path, '/body/by');

    const first = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${alert.id}/resolve`, headers: bearer(ADMIN) });
    assert.equal(first.statusCode, 200);
    assert.equal(first.json().is_active, false);
    const second = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${alert.id}/resolve`, headers: bearer(ADMIN) });
    assert.equal(second.statusCode, 200);
    assert.equal(second.json().resolved_at, first.json().resolved_at);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/alerts/nope/resolve', headers: bearer(ADMIN) })).statusCode, 404);
    assert.equal((await agent(id)).status, 'online');
  });

  it('alerts list filters by active, severity, agent and time, and pages', async () => {
    const all = await get('/api/v1/alerts?page_size=200');
    assert.ok(all.total >= 5);
    const critical = await get('/api/v1/alerts?severity=critical');
    assert.ok(critical.items.every((a: { severity: string }) => a.severity === 'critical'));
    const page = await get('/api/v1/alerts?page=2&page_size=2');
    assert.equal(page.items.length, 2);
    assert.equal(page.total, all.total);
    const future = await get('/api/v1/alerts?since=2100-01-01T00:00:00Z');
    assert.equal(future.total, 0);
  });

  it('retention deletes metrics older than metrics_retention_days on a sweep', async () => {
    const { id } = await register(t, { name: 'old-data' });
    // Both within the 30 days when sent (older ones are refused); two days later the first is not.
    const old = new Date(t.clock.now - 29 * 86_400_000).toISOString();
    const recent = new Date(t.clock.now - 86_400_000).toISOString();
    await send(id, cpuAt(id, 10, { timestamp: old }));
    await send(id, cpuAt(id, 20, { timestamp: recent }));
    const count = async () =>
      (await get(`/api/v1/metrics/query?agent_ids=${id}&start_time=2000-01-01T00:00:00Z&end_time=2100-01-01T00:00:00Z&metric_names=cpu_usage_percent`)).total_points;
    assert.equal(await count(), 2);
    t.clock.now += 2 * 86_400_000 + t.config.retentionIntervalMs;
    const report = await t.app.sweeper.tick();
    assert.ok(report.retention, 'retention runs once its interval has passed');
    assert.equal(report.retention.metrics, 1);
    assert.equal(await count(), 1);
  });
});
