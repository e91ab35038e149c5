/**
 * The time a payload may carry: up to ingestMaxFutureMs ahead of the server's clock and no older
 * than its agent's metrics retention. Before, one payload stamped a year ahead fired an alert that
 * never resolved: every real payload after it was "older" and skipped by evaluation.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A payload at `ts` whose CPU is `cpu` (a critical breach at 97: the threshold is 80). */
function hot(id: string, ts: string, cpu: number): Record<string, unknown> {
  const body = metricsBody(id, { timestamp: ts });
  (body.resource_metrics as Record<string, unknown>).cpu_usage_percent = cpu;
  return body;
}

eachBackend('payload time window', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await testApp(backend);
  });
  after(async () => t.close());

  const post = (id: string, key: string, body: unknown) =>
    t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(key), payload: body as Record<string, unknown> });

  it('refuses a payload from next year, naming its timestamp, and evaluation goes on with the real ones', async () => {
    const a = await register(t, { name: 'from-the-future' });
    const future = await post(a.id, a.key, hot(a.id, iso(t.clock.now + 365 * 86_400_000), 97));
    assert.equal(future.statusCode, 400, future.body);
    const body = future.json() as { error: string; details: { path: string; message: string }[] };
    assert.equal(body.error, 'VALIDATION_FAILED');
    assert.equal(body.details[0]?.path, '/body/timestamp');
    assert.match(body.details[0]?.message ?? '', /ahead of the server's clock/);
    // 9999-12-31 is refused too, and the far future changed nothing: no alert, a real payload is evaluated.
    assert.equal((await post(a.id, a.key, metricsBody(a.id, { timestamp: '9999-12-31T23:59:59Z' }))).statusCode, 400);
    const alerts = await t.app.inject({ method: 'GET', url: `/api/v1/alerts?agent_id=${a.id}&active=true`, headers: bearer(ADMIN) });
    assert.equal((alerts.json() as { total: number }).total, 0, 'the refused payload fired nothing');
    const real = await post(a.id, a.key, hot(a.id, iso(t.clock.now), 97));
    assert.equal(real.statusCode, 202);
    const fired = await t.app.inject({ method: 'GET', url: `/api/v1/alerts?agent_id=${a.id}&active=true`, headers: bearer(ADMIN) });
    assert.equal((fired.json() as { total: number }).total, 1, 'the real payload is evaluated and fires');
  });

  it('takes a payload a few minutes ahead (clock drift), refuses one past the limit', async () => {
    const a = await register(t, { name: 'drifting-clock' });
    assert.equal((await post(a.id, a.key, metricsBody(a.id, { timestamp: iso(t.clock.now + 4 * 60_000) }))).statusCode, 202);
    assert.equal((await post(a.id, a.key, metricsBody(a.id, { timestamp: iso(t.clock.now + 6 * 60_000) }))).statusCode, 400);
  });

  it("refuses a payload older than the agent's retention, and a whole batch with it, naming the item", async () => {
    const a = await register(t, { name: 'from-the-past' });
    const old = iso(t.clock.now - 31 * 86_400_000);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: bearer(ADMIN),
      payload: [metricsBody(a.id, { timestamp: iso(t.clock.now) }), metricsBody(a.id, { timestamp: old })],
    });
    assert.equal(res.statusCode, 400, res.body);
    const details = (res.json() as { details: { path: string; message: string }[] }).details;
    assert.deepEqual(details.map((d) => d.path), ['/body/1/timestamp']);
    assert.match(details[0]?.message ?? '', /older than the agent's metrics retention \(30 days\)/);
    const stored = await t.app.inject({
      method: 'GET',
      url: `/api/v1/metrics/query?agent_ids=${a.id}&start_time=${encodeURIComponent(iso(t.clock.now - 40 * 86_400_000))}&end_time=${encodeURIComponent(iso(t.clock.now + 60_000))}`,
      headers: bearer(ADMIN),
    });
    assert.equal((stored.json() as { data: unknown[] }).data.length, 0, 'all or nothing: the good payload of the batch was not stored either');
  });
});
