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

  it('an offline agent keeps its up, status and score series, and no longer exports its latest values as current', async () => {
    const { id } = await register(t, { name: 'goes-silent', environment: 'prod' });
    const { id: other } = await register(t, { name: 'keeps-reporting', environment: 'prod' });
    for (const agent of [id, other]) {
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/metrics`, headers: bearer(ADMIN), payload: metricsBody(agent) })).statusCode, 202);
    }
    const labels = `agent_id="${id}",name="goes-silent",environment="prod"`;
    const scrape = async () => (await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(ADMIN) })).body;
    assert.ok((await scrape()).includes(`agentmon_agent_cpu_usage_percent{${labels}} 42.5\n`));

    // Silent past 3 x 60 s while the other agent keeps reporting.
    t.clock.now += 4 * 60_000;
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${other}/metrics`, headers: bearer(ADMIN), payload: metricsBody(other) });
    await t.app.sweeper.tick();
    const body = await scrape();
    assert.ok(body.includes(`agentmon_agent_up{${labels}} 0\n`), body);
    assert.ok(body.includes(`agentmon_agent_status{${labels},status="offline"} 1\n`));
    const score = body.split('\n').find((l) => l.startsWith(`agentmon_agent_health_score{${labels}} `));
    assert.ok(score && Number(score.split(' ')[1]) < 0.3, `offline scores under 0.3: ${score}`);
    for (const metric of ['cpu_usage_percent', 'memory_usage_percent', 'error_rate', 'average_response_time_ms', 'throughput_per_second', 'tokens_per_second']) {
      assert.ok(!body.includes(`agentmon_agent_${metric}{${labels}}`), `${metric} of an offline agent`);
    }
    assert.ok(body.includes(`agentmon_agent_cpu_usage_percent{agent_id="${other}",name="keeps-reporting",environment="prod"} 42.5\n`), 'a reporting agent still exports');
  });
});
