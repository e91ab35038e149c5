import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, bearer, eachBackend, register, testApp, type TestApp } from './harness.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

eachBackend('unknown query parameters', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await testApp(backend);
  });
  after(async () => {
    await t.close();
  });

  const agentCount = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/agents', headers: bearer(ADMIN) })).json().total as number;

  it('every route of the API document refuses one with a 400 naming it', async () => {
    const doc = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase() as Method, url: path.replace(/\{[^}]+\}/g, 'x') })),
    );
    // The API, the OTLP receiver and the probes are all in the document.
    for (const expected of ['GET /api/v1/metrics/query', 'POST /api/v1/agents', 'GET /metrics', 'POST /v1/metrics', 'GET /healthz', 'GET /api/v1/events/stream']) {
      assert.ok(routes.some((r) => `${r.method} ${r.url}` === expected), `${expected} is documented`);
    }
    for (const route of routes) {
      const res = await t.app.inject({ method: route.method, url: `${route.url}?not_a_param=1`, headers: bearer(ADMIN) });
      assert.equal(res.statusCode, 400, `${route.method} ${route.url}: ${res.body}`);
      const body = res.json() as { error: string; message: string; details: { path: string; message: string }[] };
      assert.equal(body.error, 'VALIDATION_FAILED', `${route.method} ${route.url}`);
      assert.deepEqual(body.details.map((d) => d.path), ['/query/not_a_param'], `${route.method} ${route.url}: ${res.body}`);
      assert.match(body.message, /unknown query parameter not_a_param/);
    }
  });

  it('a refused request changes nothing, and the parameters a route declares still work', async () => {
    const before = await agentCount();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents?dry_run=true',
      headers: bearer(ADMIN),
      payload: { name: 'qp-bot', type: 'chatbot', version: '1', deployment_type: 'local', host: 'h', environment: 'staging' },
    });
    assert.equal(created.statusCode, 400, created.body);
    assert.equal(await agentCount(), before);

    const { id } = await register(t, { name: 'qp-kept', environment: 'staging' });
    const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/agents/${id}?purge=true&force=true`, headers: bearer(ADMIN) });
    assert.equal(removed.statusCode, 400, removed.body);
    assert.deepEqual(removed.json().details.map((d: { path: string }) => d.path), ['/query/force']);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/agents/${id}`, headers: bearer(ADMIN) })).statusCode, 200);

    await register(t, { name: 'qp-prod', environment: 'production' });
    const filtered = await t.app.inject({ method: 'GET', url: '/api/v1/agents?environment=staging&page_size=10', headers: bearer(ADMIN) });
    assert.equal(filtered.statusCode, 200, filtered.body);
    assert.deepEqual(filtered.json().items.map((a: { name: string }) => a.name), ['qp-kept']);
  });

  it('the web dashboard and /docs, which browsers load with their own query strings, are not checked', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/docs/json?cache=1' })).statusCode, 200);
    assert.notEqual((await t.app.inject({ method: 'GET', url: '/?utm_source=x' })).statusCode, 400);
  });

  it('without a token the answer is still 401: the check comes after authentication', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/agents?not_a_param=1' });
    assert.equal(res.statusCode, 401);
  });
});
