/**
 * Agents addressed the way people type them: GET /agents/resolve and the `agent` filter of /alerts
 * and /events take an id, an unambiguous id prefix or a name (unique within an environment); an
 * ambiguous one answers 409 listing the candidates, an unknown one 404, and neither changes anything.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';

interface ErrorAnswer {
  error: string;
  message: string;
  details: { path: string; message: string }[];
}

eachBackend('agents by name or id prefix', (backend) => {
  let t: TestApp;
  let solo: string;
  let twinProd: string;
  let twinStaging: string;

  const get = (url: string) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: bearer(ADMIN) });
  const resolve = async (qs: string) => get(`/agents/resolve?${qs}`);

  before(async () => {
    t = await testApp(backend);
    solo = (await register(t, { name: 'my-agent', host: 'h1' })).id;
    twinProd = (await register(t, { name: 'twin', host: 'h2', environment: 'production' })).id;
    twinStaging = (await register(t, { name: 'twin', host: 'h3', environment: 'staging' })).id;
    // Two alerts on my-agent, one on a twin: CPU past its threshold.
    for (const id of [solo, twinProd]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/metrics',
        headers: bearer(ADMIN),
        payload: [{ ...metricsBody(id), resource_metrics: { ...(metricsBody(id).resource_metrics as object), cpu_usage_percent: 97 } }],
      });
      assert.equal(res.statusCode, 202, res.body);
    }
  });
  after(() => t.close());

  it('resolves an exact id, a name, and an id prefix, saying how it matched', async () => {
    for (const [qs, id, how] of [
      [`q=${solo}`, solo, 'id'],
      ['q=my-agent', solo, 'name'],
      [`q=${solo.slice(0, 8)}`, solo, 'id_prefix'],
      [`q=${solo.slice(0, 8).toUpperCase()}`, solo, 'id_prefix'],
      ['q=twin&environment=staging', twinStaging, 'name'],
    ] as const) {
      const res = await resolve(qs);
      assert.equal(res.statusCode, 200, `${qs}: ${res.body}`);
      const body = res.json() as { agent: { id: string; name: string; environment: string }; matched_by: string };
      assert.equal(body.agent.id, id, qs);
      assert.equal(body.matched_by, how, qs);
    }
  });

  it('answers 409 with every candidate for a name two environments share, 404 for no match', async () => {
    const res = await resolve('q=twin');
    assert.equal(res.statusCode, 409, res.body);
    const body = res.json() as ErrorAnswer;
    assert.equal(body.error, 'AGENT_AMBIGUOUS');
    assert.deepEqual(
      body.details.map((d) => d.path),
      ['/querystring/q', '/querystring/q'],
    );
    const listed = body.details.map((d) => d.message).join('\n');
    assert.ok(listed.includes(twinProd) && listed.includes('production'), listed);
    assert.ok(listed.includes(twinStaging) && listed.includes('staging'), listed);

    const none = await resolve('q=nobody-by-this-name');
    assert.equal(none.statusCode, 404);
    assert.equal((none.json() as ErrorAnswer).details[0]?.path, '/querystring/q');
    // A wildcard is no wildcard: % and _ match themselves only.
    assert.equal((await resolve('q=%25')).statusCode, 404);
    assert.equal((await resolve('q=_')).statusCode, 404);
    const empty = await resolve('q=');
    assert.equal(empty.statusCode, 400);
    assert.ok((empty.json() as ErrorAnswer).details.some((d) => d.path.includes('q')));
  });

  it('filters alerts and events by a name or prefix as by the id', async () => {
    const byId = (await get(`/alerts?agent_id=${solo}`)).json() as { items: { id: string; agent_id: string }[]; total: number };
    assert.ok(byId.total > 0);
    for (const ref of ['my-agent', solo.slice(0, 6)]) {
      const res = await get(`/alerts?agent=${encodeURIComponent(ref)}`);
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json() as { items: { id: string }[]; total: number };
      assert.deepEqual(page.items.map((a) => a.id), byId.items.map((a) => a.id), ref);
      const events = (await get(`/events?agent=${encodeURIComponent(ref)}`)).json() as { items: { agent_id: string }[] };
      assert.ok(events.items.length > 0);
      assert.ok(events.items.every((e) => e.agent_id === solo), ref);
    }
    // agent and agent_id together must agree.
    assert.equal(((await get(`/alerts?agent=my-agent&agent_id=${twinProd}`)).json() as { total: number }).total, 0);

    for (const url of ['/alerts?agent=twin', '/events?agent=twin']) {
      const res = await get(url);
      assert.equal(res.statusCode, 409, url);
      assert.ok((res.json() as ErrorAnswer).details.every((d) => d.path === '/querystring/agent'));
    }
    const unknown = await get('/events?agent=ghost');
    assert.equal(unknown.statusCode, 404);
    assert.equal((unknown.json() as ErrorAnswer).details[0]?.path, '/querystring/agent');
  });
});
