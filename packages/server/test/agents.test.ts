import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, eachBackend, REGISTRATION, agentBody, bearer, metricsBody, register, testApp, type TestApp } from './harness.js';

eachBackend('agents API', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await testApp(backend);
  });
  after(async () => {
    await t.close();
  });

  const post = (payload: unknown, token = ADMIN) =>
    t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: bearer(token), payload: payload as Record<string, unknown> });

  it('registers an agent: 201 with RegisterResponse, api_key and default config, and an event', async () => {
    const res = await post(agentBody({ name: 'reg-1', description: 'first', port: 8000, config: { model: 'gpt-4o' }, metadata: { team: 'ml' } }));
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.equal(typeof body.agent_id, 'string');
    assert.match(body.agent_id, /^[0-9a-f-]{36}$/);
    assert.equal(body.status, 'registered');
    assert.match(body.message, /registered/);
    assert.match(body.api_key, /^amk\./);
    assert.equal(body.monitoring_endpoints.metrics, `/api/v1/agents/${body.agent_id}/metrics`);
    assert.equal(body.monitoring_endpoints.heartbeat, `/api/v1/agents/${body.agent_id}/heartbeat`);
    assert.deepEqual(body.config, {
      agent_id: body.agent_id,
      metrics_interval_seconds: 60,
      health_check_interval_seconds: 30,
      enable_resource_monitoring: true,
      enable_performance_monitoring: true,
      enable_ai_monitoring: false,
      cpu_threshold: 80,
      memory_threshold: 85,
      error_rate_threshold: 0.05,
      response_time_threshold_ms: 5000,
      custom_thresholds: {},
      metrics_retention_days: 30,
      logs_retention_days: 7,
      critical_thresholds: {},
      alert_pending_seconds: 0,
      alert_keep_firing_seconds: 0,
      alert_recovery_ratio: 0.9,
    });

    const info = (await t.app.inject({ method: 'GET', url: `/api/v1/agents/${body.agent_id}`, headers: bearer(ADMIN) })).json();
    assert.equal(info.name, 'reg-1');
    assert.equal(info.type, 'chatbot');
    assert.equal(info.description, 'first');
    assert.equal(info.port, 8000);
    assert.deepEqual(info.config, { model: 'gpt-4o' });
    assert.deepEqual(info.metadata, { team: 'ml' });
    assert.deepEqual(info.tags, ['support', 'gpt']);
    assert.equal(info.status, 'unknown');
    assert.equal(info.registered_at, '2026-03-01T12:00:00.000Z');
    assert.equal(info.health_score, 0);

    const events = (await t.app.inject({ method: 'GET', url: `/api/v1/events?agent_id=${body.agent_id}`, headers: bearer(ADMIN) })).json();
    assert.equal(events.items.length, 1);
    assert.equal(events.items[0].type, 'agent_registered');
  });

  it('registering again with the same name+environment+host answers 200, same id, new key, updated fields', async () => {
    const first = (await post(agentBody({ name: 'reg-2', version: '1.0.0' }))).json();
    const again = await post(agentBody({ name: 'reg-2', version: '2.0.0', tags: ['new'], metadata: { a: 1 } }));
    assert.equal(again.statusCode, 200);
    const body = again.json();
    assert.equal(body.agent_id, first.agent_id);
    assert.equal(body.status, 'updated');
    assert.notEqual(body.api_key, first.api_key);
    const info = (await t.app.inject({ method: 'GET', url: `/api/v1/agents/${first.agent_id}`, headers: bearer(ADMIN) })).json();
    assert.equal(info.version, '2.0.0');
    assert.deepEqual(info.tags, ['new']);
    assert.deepEqual(info.metadata, { a: 1 });
    // The old key no longer works; the new one does.
    const old = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${first.agent_id}/heartbeat`, headers: bearer(first.api_key) });
    assert.equal(old.statusCode, 401);
    const fresh = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${first.agent_id}/heartbeat`, headers: bearer(body.api_key) });
    assert.equal(fresh.statusCode, 204);
  });

  it('registration with a given id is idempotent on that id', async () => {
    const id = 'agent-given-id-1';
    const a = await post(agentBody({ id, name: 'reg-3' }));
    assert.equal(a.statusCode, 201);
    assert.equal(a.json().agent_id, id);
    const b = await post(agentBody({ id, name: 'reg-3-renamed', host: 'other-host' }));
    assert.equal(b.statusCode, 200);
    assert.equal(b.json().agent_id, id);
    const info = (await t.app.inject({ method: 'GET', url: `/api/v1/agents/${id}`, headers: bearer(ADMIN) })).json();
    assert.equal(info.name, 'reg-3-renamed');
    assert.equal(info.host, 'other-host');
  });

  it('the registration token creates agents and re-registers one that shows its key or is gone, but takes none over', async () => {
    const victim = await post(agentBody({ id: 'reg-victim', name: 'victim', host: 'victim-host' }), REGISTRATION);
    assert.equal(victim.statusCode, 201, victim.body);
    const key = victim.json().api_key as string;
    const takeover = await post(agentBody({ id: 'reg-victim', name: 'attacker', host: 'attacker-host' }), REGISTRATION);
    assert.equal(takeover.statusCode, 409, takeover.body);
    assert.equal(takeover.json().error, 'AGENT_EXISTS');
    assert.deepEqual(takeover.json().details.map((d: { path: string }) => d.path), ['/body/id']);
    // Nothing changed: the agent keeps its identity and its key still works.
    const info = (await t.app.inject({ method: 'GET', url: '/api/v1/agents/reg-victim', headers: bearer(ADMIN) })).json();
    assert.equal(info.name, 'victim');
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents/reg-victim/heartbeat', headers: bearer(key) })).statusCode, 204);
    // The agent restarting with its key (same name+environment+host, with or without its id) registers again.
    const restarted = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: { ...bearer(REGISTRATION), 'x-agent-key': key },
      payload: agentBody({ id: 'reg-victim', name: 'victim', host: 'victim-host' }),
    });
    assert.equal(restarted.statusCode, 200, restarted.body);
    const current = restarted.json().api_key as string;
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents/reg-victim/heartbeat', headers: bearer(current) })).statusCode, 204);
    // Without its key, while it reports (heartbeat just now, offline after 3 x the 60 s metrics interval): refused, the key still works.
    for (const shown of [undefined, key]) {
      const inUse = await t.app.inject({
        method: 'POST',
        url: '/api/v1/agents',
        headers: { ...bearer(REGISTRATION), ...(shown ? { 'x-agent-key': shown } : {}) },
        payload: agentBody({ name: 'victim', host: 'victim-host' }),
      });
      assert.equal(inUse.statusCode, 409, inUse.body);
      assert.equal(inUse.json().error, 'AGENT_IN_USE');
      assert.deepEqual(inUse.json().details.map((d: { path: string }) => d.path), ['/headers/x-agent-key']);
      assert.equal(inUse.headers['retry-after'], '180');
      assert.match(inUse.json().message, /victim \(reg-victim\) is reporting/);
    }
    t.clock.now += 60_000;
    const later = await post(agentBody({ name: 'victim', host: 'victim-host' }), REGISTRATION);
    assert.equal(later.statusCode, 409);
    assert.equal(later.headers['retry-after'], '120');
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents/reg-victim/heartbeat', headers: bearer(current) })).statusCode, 204);
    // Once silent past its offline threshold, its process is gone: the restart registers without the key.
    t.clock.now += 180_001;
    const byIdentity = await post(agentBody({ name: 'victim', host: 'victim-host' }), REGISTRATION);
    assert.equal(byIdentity.statusCode, 200, byIdentity.body);
    assert.equal(byIdentity.json().agent_id, 'reg-victim');
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents/reg-victim/heartbeat', headers: bearer(current) })).statusCode, 401);
    // The admin token still may move an agent to another identity.
    const byAdmin = await post(agentBody({ id: 'reg-victim', name: 'renamed-by-admin', host: 'victim-host' }));
    assert.equal(byAdmin.statusCode, 200, byAdmin.body);
  });

  it('a given id that clashes with another agent of the same name+environment+host is a 409', async () => {
    await post(agentBody({ name: 'reg-4' }));
    const res = await post(agentBody({ name: 'reg-4', id: 'some-other-id' }));
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error, 'AGENT_CONFLICT');
  });

  it('accepts a pydantic-style payload: nulls for Optional fields, naive timestamps, status unknown', async () => {
    const res = await post({
      id: '4a0e3c3e-9d7e-4a8f-9f5e-2f3c9b1d2e7a',
      name: 'pydantic-agent',
      type: 'llm_agent',
      version: '0.1',
      description: null,
      deployment_type: 'docker',
      host: 'c0ffee',
      port: null,
      environment: 'dev',
      config: {},
      tags: [],
      registered_at: '2026-03-01T11:59:00.123456',
      last_seen: '2026-03-01T11:59:00.123456',
      status: 'unknown',
      metadata: {},
    });
    assert.equal(res.statusCode, 201, res.body);
    const info = (await t.app.inject({ method: 'GET', url: '/api/v1/agents/4a0e3c3e-9d7e-4a8f-9f5e-2f3c9b1d2e7a', headers: bearer(ADMIN) })).json();
    assert.equal(info.description, null);
    assert.equal(info.port, null);
    assert.equal(info.last_seen, '2026-03-01T11:59:00.123Z');
  });

  it('rejects bad registrations with 400 naming every bad field, and stores nothing', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/v1/agents?page_size=200', headers: bearer(ADMIN) })).json().total;
    const res = await post({ name: '', type: 'robot', version: '1', deployment_type: 'mainframe', host: 'h', port: 70000, tags: 'x' });
    assert.equal(res.statusCode, 400);
    const body = res.json();
    assert.equal(body.error, 'VALIDATION_FAILED');
    const paths = body.details.map((d: { path: string }) => d.path).sort();
    assert.deepEqual(paths, ['/body/deployment_type', '/body/environment', '/body/name', '/body/port', '/body/tags', '/body/type']);
    const type = body.details.find((d: { path: string }) => d.path === '/body/type');
    assert.match(type.message, /llm_agent, ml_model, chatbot, api_agent, workflow_agent, custom/);
    assert.equal(body.details.find((d: { path: string }) => d.path === '/body/environment').message, 'is required');
    const afterTotal = (await t.app.inject({ method: 'GET', url: '/api/v1/agents?page_size=200', headers: bearer(ADMIN) })).json().total;
    assert.equal(afterTotal, before);
  });

  it('rejects malformed JSON and wrong content types', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: { ...bearer(ADMIN), 'content-type': 'application/json' }, payload: '{"name": ' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error, 'INVALID_JSON');
    const text = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: { ...bearer(ADMIN), 'content-type': 'application/xml' }, payload: '<agent/>' });
    assert.equal(text.statusCode, 415);
  });

  it('auth: no token 401, wrong token 401, registration token may only register, agent key 403 elsewhere', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/agents' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.equal(none.json().error, 'UNAUTHORIZED');
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/agents', headers: bearer('nope-nope-nope') })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/agents', headers: { authorization: 'Basic abc' } })).statusCode, 401);

    const viaRegistration = await post(agentBody({ name: 'reg-token-agent' }), REGISTRATION);
    assert.equal(viaRegistration.statusCode, 201);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/agents', headers: bearer(REGISTRATION) })).statusCode, 403);

    const a = await register(t, { name: 'auth-a' });
    const b = await register(t, { name: 'auth-b' });
    const own = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${a.id}/metrics`, headers: bearer(a.key), payload: metricsBody(a.id) });
    assert.equal(own.statusCode, 202);
    const other = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${b.id}/metrics`, headers: bearer(a.key), payload: metricsBody(b.id) });
    assert.equal(other.statusCode, 403);
    const batchOther = await t.app.inject({ method: 'POST', url: '/api/v1/metrics', headers: bearer(a.key), payload: [metricsBody(a.id), metricsBody(b.id)] });
    assert.equal(batchOther.statusCode, 403);
    assert.equal(batchOther.json().details[0].path, '/body/1/agent_id');
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/agents/${a.id}`, headers: bearer(a.key) })).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/agents', headers: bearer(a.key) })).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: bearer(a.key), payload: agentBody({ name: 'x' }) })).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/agents/${a.id}/health`, headers: bearer(a.key) })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/agents/${b.id}/health`, headers: bearer(a.key) })).statusCode, 403);
    // A key-shaped token for an agent that does not exist is simply invalid.
    const forged = `amk.${Buffer.from('ghost').toString('base64url')}.${'A'.repeat(43)}`;
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents/ghost/heartbeat', headers: bearer(forged) })).statusCode, 401);
  });

  it('lists agents with filters, sort and pages', async () => {
    const list = await testApp(backend);
    try {
      const ids: Record<string, string> = {};
      for (const [name, type, environment, tags] of [
        ['alpha', 'llm_agent', 'prod', ['gpu']],
        ['beta', 'ml_model', 'prod', []],
        ['gamma', 'chatbot', 'staging', ['gpu', 'eu']],
        ['delta_1%', 'chatbot', 'dev', []],
      ] as const) {
        ids[name] = (await register(list, { name, type, environment, tags })).id;
      }
      await list.app.inject({ method: 'POST', url: `/api/v1/agents/${ids.beta}/metrics`, headers: bearer(ADMIN), payload: metricsBody(ids.beta as string) });
      const get = async (qs: string) => {
        const res = await list.app.inject({ method: 'GET', url: `/api/v1/agents?${qs}`, headers: bearer(ADMIN) });
        assert.equal(res.statusCode, 200, res.body);
        return res.json();
      };
      const all = await get('');
      assert.equal(all.total, 4);
      assert.equal(all.page, 1);
      assert.equal(all.page_size, 50);
      assert.deepEqual(all.items.map((a: { name: string }) => a.name), ['alpha', 'beta', 'delta_1%', 'gamma']);
      for (const item of all.items) {
        assert.deepEqual(Object.keys(item).filter((k) => ['id', 'name', 'type', 'status', 'last_seen', 'environment', 'health_score'].includes(k)).length, 7);
        assert.ok(item.health_score >= 0 && item.health_score <= 1);
      }
      assert.deepEqual((await get('type=chatbot')).items.map((a: { name: string }) => a.name), ['delta_1%', 'gamma']);
      assert.deepEqual((await get('environment=prod')).items.map((a: { name: string }) => a.name), ['alpha', 'beta']);
      assert.deepEqual((await get('tag=gpu')).items.map((a: { name: string }) => a.name), ['alpha', 'gamma']);
      assert.deepEqual((await get('q=ALP')).items.map((a: { name: string }) => a.name), ['alpha']);
      assert.deepEqual((await get('q=1%25')).items.map((a: { name: string }) => a.name), ['delta_1%']);
      assert.deepEqual((await get('status=online')).items.map((a: { name: string }) => a.name), ['beta']);
      assert.deepEqual((await get('sort=-name')).items.map((a: { name: string }) => a.name), ['gamma', 'delta_1%', 'beta', 'alpha']);
      assert.equal((await get('sort=-health_score')).items[0].name, 'beta');
      const page2 = await get('page=2&page_size=3');
      assert.equal(page2.total, 4);
      assert.deepEqual(page2.items.map((a: { name: string }) => a.name), ['gamma']);

      // sort=status is worst first, not alphabetical: gamma critical (error), alpha warning, delta
      // never reported (unknown), beta online.
      const cpu = (id: string, value: number) =>
        list.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(id, { resource_metrics: { cpu_usage_percent: value, memory_usage_bytes: 1, memory_usage_percent: 20, disk_usage_bytes: 1 } }) });
      assert.equal((await cpu(ids.gamma as string, 95)).statusCode, 202);
      assert.equal((await cpu(ids.alpha as string, 85)).statusCode, 202);
      // GET /agents/:id names the numeric custom metrics of the latest payload, for the charts.
      const withCustom = await list.app.inject({
        method: 'POST',
        url: `/api/v1/agents/${ids.beta}/metrics`,
        headers: bearer(ADMIN),
        payload: metricsBody(ids.beta as string, { custom_metrics: { cost_usd: 0.25, llm: { latency_ms: 120 }, label: 'x' } }),
      });
      assert.equal(withCustom.statusCode, 202);
      const detail = (await list.app.inject({ method: 'GET', url: `/api/v1/agents/${ids.beta}`, headers: bearer(ADMIN) })).json();
      assert.deepEqual(detail.custom_metric_names, ['cost_usd', 'llm.latency_ms']);
      const byStatus = (await get('sort=status')).items.map((a: { name: string; status: string }) => `${a.name}:${a.status}`);
      assert.deepEqual(byStatus, ['gamma:error', 'alpha:warning', 'delta_1%:unknown', 'beta:online']);
      assert.deepEqual((await get('sort=-status')).items.map((a: { name: string }) => a.name), ['beta', 'delta_1%', 'alpha', 'gamma']);
      for (const [qs, path] of [
        ['page_size=201', '/query/page_size'],
        ['page=0', '/query/page'],
        ['status=sleepy', '/query/status'],
        ['sort=colour', '/query/sort'],
      ]) {
        const res = await list.app.inject({ method: 'GET', url: `/api/v1/agents?${qs}`, headers: bearer(ADMIN) });
        assert.equal(res.statusCode, 400, qs);
        assert.equal(res.json().details[0].path, path);
      }
    } finally {
      await list.close();
    }
  });

  it('PATCH updates fields, sets and ends maintenance, refuses derived statuses and unknown fields', async () => {
    const a = await register(t, { name: 'patch-me' });
    const url = `/api/v1/agents/${a.id}`;
    const res = await t.app.inject({ method: 'PATCH', url, headers: bearer(ADMIN), payload: { tags: ['x', 'y'], description: 'hello', metadata: { k: 'v' } } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().tags, ['x', 'y']);
    assert.equal(res.json().description, 'hello');
    const cleared = await t.app.inject({ method: 'PATCH', url, headers: bearer(ADMIN), payload: { description: null } });
    assert.equal(cleared.json().description, null);
    assert.deepEqual(cleared.json().tags, ['x', 'y']);

    const m = await t.app.inject({ method: 'PATCH', url, headers: bearer(ADMIN), payload: { status: 'maintenance' } });
    assert.equal(m.json().status, 'maintenance');
    assert.equal(m.json().status_reason, 'maintenance');
    const back = await t.app.inject({ method: 'PATCH', url, headers: bearer(ADMIN), payload: { status: 'online' } });
    assert.equal(back.json().status, 'unknown');
    const events = (await t.app.inject({ method: 'GET', url: `/api/v1/events?agent_id=${a.id}&type=agent_status_changed`, headers: bearer(ADMIN) })).json();
    assert.deepEqual(events.items.map((e: { data: { new_status: string } }) => e.data.new_status), ['unknown', 'maintenance']);

    const derived = await t.app.inject({ method: 'PATCH', url, headers: bearer(ADMIN), payload: { status: 'error' } });
    assert.equal(derived.statusCode, 400);
    assert.equal(derived.json().details[0].path, '/body/status');
    const unknownField = await t.app.inject({ method: 'PATCH', url, headers: bearer(ADMIN), payload: { colour: 'red' } });
    assert.equal(unknownField.statusCode, 400);
    assert.equal(unknownField.json().details[0].path, '/body/colour');
    const empty = await t.app.inject({ method: 'PATCH', url, headers: bearer(ADMIN), payload: {} });
    assert.equal(empty.statusCode, 400);
    const missing = await t.app.inject({ method: 'PATCH', url: '/api/v1/agents/nobody', headers: bearer(ADMIN), payload: { tags: [] } });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error, 'AGENT_NOT_FOUND');
  });

  it('DELETE deregisters: event, metadata gone, metrics kept unless purge=true', async () => {
    const keep = await register(t, { name: 'del-keep' });
    const purge = await register(t, { name: 'del-purge' });
    for (const a of [keep, purge]) {
      const r = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${a.id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(a.id, { timestamp: '2026-03-01T11:00:00Z' }) });
      assert.equal(r.statusCode, 202);
    }
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/agents/${keep.id}`, headers: bearer(ADMIN) })).statusCode, 204);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/agents/${purge.id}?purge=true`, headers: bearer(ADMIN) })).statusCode, 204);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/agents/${keep.id}`, headers: bearer(ADMIN) })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/agents/${keep.id}`, headers: bearer(ADMIN) })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/agents/${keep.id}/config`, headers: bearer(ADMIN) })).statusCode, 404);
    // The deleted agent's key died with it.
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/agents/${keep.id}/heartbeat`, headers: bearer(keep.key) })).statusCode, 401);

    const query = async (id: string) =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/metrics/query?agent_ids=${id}&start_time=2026-03-01T10:00:00Z&end_time=2026-03-01T12:00:00Z&metric_names=cpu_usage_percent`, headers: bearer(ADMIN) })).json();
    assert.equal((await query(keep.id)).total_points, 1);
    assert.equal((await query(purge.id)).total_points, 0);

    const events = (await t.app.inject({ method: 'GET', url: '/api/v1/events?type=agent_deregistered', headers: bearer(ADMIN) })).json();
    const ids = events.items.map((e: { data: { agent_id: string } }) => e.data.agent_id);
    assert.ok(ids.includes(keep.id) && ids.includes(purge.id));
    assert.equal(events.items.find((e: { data: { agent_id: string } }) => e.data.agent_id === purge.id).data.purged, true);
  });
});
