import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ADMIN, REGISTRATION, bearer, eachBackend, metricsBody, register, sample, testApp, type TestApp } from './harness.js';

const SCRAPE = 'test-scrape-token-0123456789';

/** Debian's prometheus package puts promtool in /usr/bin; CI installs it. */
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p)) ?? null;

eachBackend('Prometheus exposition', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await testApp(backend, { scrapeToken: SCRAPE });
  });
  after(async () => {
    await t.close();
  });

  const scrape = async (token = SCRAPE) => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(token) });
    assert.equal(res.statusCode, 200, res.body);
    return res.body;
  };

  it('names each agent once in agentmon_agent_info; its other series carry only agent_id, in base units, with counters for what accumulates', async () => {
    const { id } = await register(t, { name: 'prom "quoted"', environment: 'prod', type: 'llm_agent', version: '2.1.0', host: 'h-1' });
    for (let i = 0; i < 2; i++) {
      const body = metricsBody(id, { timestamp: new Date(t.clock.now - (1 - i) * 1000).toISOString() });
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: body })).statusCode, 202);
    }
    // A refused payload and a request no route matches, for agentmon's own HTTP figures.
    const refused = metricsBody(id, { resource_metrics: { cpu_usage_percent: 250, memory_usage_bytes: 1, memory_usage_percent: 1, disk_usage_bytes: 1 } });
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: refused })).statusCode, 400);
    assert.equal((await t.app.inject({ method: 'GET', url: '/no/such/route' })).statusCode, 404);
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(SCRAPE) });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
    const body = res.body;
    const a = `{agent_id="${id}"}`;
    assert.equal(
      sample(body, `agentmon_agent_info{agent_id="${id}",name="prom \\"quoted\\"",type="llm_agent",version="2.1.0",environment="prod",deployment_type="kubernetes",host="h-1"}`),
      1,
      body,
    );
    // Descriptive labels appear on the info series only.
    for (const line of body.split('\n').filter((l) => l.includes(id) && !l.startsWith('agentmon_agent_info'))) {
      assert.doesNotMatch(line, /name=|environment=|version=/, line);
    }
    assert.equal(sample(body, `agentmon_agent_up${a}`), 1);
    assert.equal(sample(body, `agentmon_agent_status{agent_id="${id}",status="online"}`), 1);
    assert.equal(sample(body, `agentmon_agent_status{agent_id="${id}",status="offline"}`), 0);
    // Base units: percent to 0-1 ratios, milliseconds to seconds, bytes as bytes.
    assert.equal(sample(body, `agentmon_agent_cpu_usage_ratio${a}`), 0.425);
    assert.equal(sample(body, `agentmon_agent_memory_usage_ratio${a}`), 0.55);
    assert.equal(sample(body, `agentmon_agent_memory_usage_bytes${a}`), 512_000_000);
    assert.equal(sample(body, `agentmon_agent_response_time_seconds${a}`), 0.25);
    assert.equal(sample(body, `agentmon_agent_model_inference_time_seconds${a}`), 0.18);
    assert.equal(sample(body, `agentmon_agent_error_ratio${a}`), 0.01);
    assert.equal(sample(body, `agentmon_agent_last_seen_timestamp_seconds${a}`), t.clock.now / 1000);
    // Per-interval figures summed into counters: two payloads of 10 completed, 1 failed, 1200 tokens.
    assert.match(body, /^# TYPE agentmon_agent_tasks_total counter$/m);
    assert.equal(sample(body, `agentmon_agent_tasks_total{agent_id="${id}",outcome="completed"}`), 20);
    assert.equal(sample(body, `agentmon_agent_tasks_total{agent_id="${id}",outcome="failed"}`), 2);
    assert.equal(sample(body, `agentmon_agent_tokens_total${a}`), 2400);
    // No percent or millisecond names are left.
    assert.doesNotMatch(body, /_percent|_ms[{ ]|_per_second/);
    assert.equal(sample(body, 'agentmon_active_alerts{severity="critical"}'), 0);
    assert.equal(sample(body, 'agentmon_agents{status="online"}'), 1);
    assert.equal(sample(body, 'agentmon_payloads_received_total'), 2);
    assert.ok((sample(body, 'agentmon_series_values_received_total') ?? 0) > 2);
    // agentmon's own HTTP traffic, by route template and status.
    const ingest = 'method="POST",route="/api/v1/agents/:id/metrics"';
    assert.equal(sample(body, `agentmon_http_requests_total{${ingest},status="202"}`), 2);
    assert.equal(sample(body, `agentmon_http_requests_total{${ingest},status="400"}`), 1);
    assert.equal(sample(body, 'agentmon_http_requests_total{method="GET",route="unmatched",status="404"}'), 1);
    assert.equal(sample(body, `agentmon_http_request_duration_seconds_count{${ingest}}`), 3);
    assert.equal(sample(body, `agentmon_http_request_duration_seconds_bucket{${ingest},le="+Inf"}`), 3);
    assert.match(body, /^# TYPE agentmon_http_request_duration_seconds histogram$/m);
    // agentmon's own process.
    assert.ok((sample(body, 'process_resident_memory_bytes') ?? 0) > 1_000_000, 'resident memory');
    assert.ok((sample(body, 'process_cpu_seconds_total') ?? 0) > 0, 'cpu seconds');
    assert.ok((sample(body, 'process_start_time_seconds') ?? 0) > 1.7e9, 'start time');
    assert.match(body, /^agentmon_build_info\{version="[^"]+",nodejs_version="v\d+/m);
    // The series engine's backlog, on the embedded store only (PostgreSQL has none to tell).
    if (backend === 'sqlite') {
      assert.equal(sample(body, 'agentmon_series_head_payloads'), 2);
      assert.equal(sample(body, 'agentmon_series_unmerged_blocks'), 0);
    } else assert.doesNotMatch(body, /agentmon_series_head/);
  });

  it('promtool check metrics finds nothing to say about the live exposition', { skip: PROMTOOL ? false : 'promtool is not installed (Debian package prometheus)' }, async () => {
    const { id } = await register(t, { name: 'lint-me', environment: 'prod' });
    const usage = [{ model: 'gpt-4o', input_tokens: 1_000_000, output_tokens: 100_000 }];
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(id, { custom_metrics: { x: 1 }, model_usage: usage }) });
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(id, { model_usage: usage }) });
    const body = await scrape();
    // Tokens and spend by model are counters: two payloads of 1 M in, 100 k out at $2.50 / $10 per million.
    assert.equal(sample(body, `agentmon_agent_model_tokens_total{agent_id="${id}",model="gpt-4o",type="input"}`), 2_000_000);
    assert.equal(sample(body, `agentmon_agent_model_tokens_total{agent_id="${id}",model="gpt-4o",type="output"}`), 200_000);
    assert.equal(sample(body, `agentmon_agent_model_cost_usd_total{agent_id="${id}",model="gpt-4o"}`), 7);
    const run = spawnSync(PROMTOOL as string, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    assert.equal(`${run.stdout}${run.stderr}`.trim(), '', 'promtool output');
    assert.equal(run.status, 0);
    // promtool does complain about what it should: the check can fail.
    const bad = spawnSync(PROMTOOL as string, ['check', 'metrics'], { input: '# HELP agentmon_x_ms x\n# TYPE agentmon_x_ms counter\nagentmon_x_ms 1\n', encoding: 'utf8' });
    assert.notEqual(bad.status, 0, 'promtool refuses a bad exposition');
  });

  it('the scrape token reads /metrics and nothing else; no token is 401, the registration token 403', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer('not-a-token-at-all-0000') })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(REGISTRATION) })).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(ADMIN) })).statusCode, 200);
    for (const [method, url] of [['GET', '/api/v1/agents'], ['GET', '/api/v1/dashboard'], ['POST', '/api/v1/agents'], ['POST', '/v1/metrics']] as const) {
      const res = await t.app.inject({ method, url, headers: bearer(SCRAPE), ...(method === 'POST' ? { payload: {} } : {}) });
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.match(res.json().message, /scrape token only works for GET \/metrics/);
    }
  });

  it('an offline agent keeps its info, up, status and score series, and no longer exports its latest values as current', async () => {
    const { id } = await register(t, { name: 'goes-silent', environment: 'prod' });
    const { id: other } = await register(t, { name: 'keeps-reporting', environment: 'prod' });
    for (const agent of [id, other]) {
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/metrics`, headers: bearer(ADMIN), payload: metricsBody(agent) })).statusCode, 202);
    }
    const a = `{agent_id="${id}"}`;
    assert.equal(sample(await scrape(), `agentmon_agent_cpu_usage_ratio${a}`), 0.425);

    // Silent past 3 x 60 s while the other agent keeps reporting.
    t.clock.now += 4 * 60_000;
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${other}/metrics`, headers: bearer(ADMIN), payload: metricsBody(other) });
    await t.app.sweeper.tick();
    const body = await scrape();
    assert.equal(sample(body, `agentmon_agent_up${a}`), 0, body);
    assert.equal(sample(body, `agentmon_agent_status{agent_id="${id}",status="offline"}`), 1);
    assert.ok(body.includes(`agentmon_agent_info{agent_id="${id}",name="goes-silent"`));
    const score = sample(body, `agentmon_agent_health_score${a}`);
    assert.ok(score !== undefined && score < 0.3, `offline scores under 0.3: ${score}`);
    for (const metric of ['cpu_usage_ratio', 'memory_usage_ratio', 'memory_usage_bytes', 'error_ratio', 'response_time_seconds']) {
      assert.equal(sample(body, `agentmon_agent_${metric}${a}`), undefined, `${metric} of an offline agent`);
    }
    // Its counters stay: what it did is still true.
    assert.equal(sample(body, `agentmon_agent_tokens_total${a}`), 1200);
    assert.equal(sample(body, `agentmon_agent_cpu_usage_ratio{agent_id="${other}"}`), 0.425, 'a reporting agent still exports');
  });

  it('a deregistered agent leaves the exposition', async () => {
    const { id } = await register(t, { name: 'short-lived' });
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(id) });
    assert.ok((await scrape()).includes(`agent_id="${id}"`));
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/agents/${id}`, headers: bearer(ADMIN) })).statusCode, 204);
    assert.ok(!(await scrape()).includes(`agent_id="${id}"`));
  });
});
