import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';

eachBackend('Prometheus exposition', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await testApp(backend);
  });
  after(async () => {
    await t.close();
  });

  it('GET /metrics exposes every agent with its status, score and latest values; it needs the admin token', async () => {
    const { id } = await register(t, { name: 'prom "quoted"', environment: 'prod' });
    const sent = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(id) });
    assert.equal(sent.statusCode, 202);
    assert.equal((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
    const labels = `agent_id="${id}",name="prom \\"quoted\\"",environment="prod"`;
    assert.ok(res.body.includes(`agentmon_agent_up{${labels}} 1\n`), res.body);
    assert.ok(res.body.includes(`agentmon_agent_status{${labels},status="online"} 1\n`));
    assert.ok(res.body.includes(`agentmon_agent_cpu_usage_percent{${labels}} 42.5\n`));
    assert.ok(res.body.includes(`agentmon_agent_tokens_per_second{${labels}} 35.5\n`));
    assert.match(res.body, /^# TYPE agentmon_agent_health_score gauge$/m);
    assert.match(res.body, /^agentmon_active_alerts\{severity="critical"\} 0$/m);
    assert.match(res.body, /^agentmon_payloads_received_total 1$/m);
    // The series engine's backlog, on the embedded store only (PostgreSQL has none to tell).
    if (backend === 'sqlite') {
      assert.match(res.body, /^agentmon_series_head_payloads 1$/m);
      assert.match(res.body, /^agentmon_series_unmerged_blocks 0$/m);
    } else assert.doesNotMatch(res.body, /agentmon_series_/);
  });
});
