/**
 * GET /dashboard?trend_hours: the fleet trends cover the range asked for (the Overview's time-range
 * picker), the DashboardConfig's default otherwise; out-of-range values are refused by name.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';

eachBackend('dashboard trend range', (backend) => {
  let t: TestApp;

  const trends = async (qs: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/dashboard${qs}`, headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { performance_trends: Record<string, { timestamp: string; value: number | null }[]> }).performance_trends.cpu_usage_percent ?? [];
  };

  before(async () => {
    t = await testApp(backend);
    const a = await register(t);
    // One report three hours ago (CPU 10), one now (CPU 30).
    for (const [agoMs, cpu] of [
      [3 * 3_600_000, 10],
      [0, 30],
    ] as const) {
      const body = metricsBody(a.id);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/metrics',
        headers: bearer(ADMIN),
        payload: [{ ...body, timestamp: new Date(t.clock.now - agoMs).toISOString(), resource_metrics: { ...(body.resource_metrics as object), cpu_usage_percent: cpu } }],
      });
      assert.equal(res.statusCode, 202, res.body);
    }
  });
  after(() => t.close());

  it('covers the hours asked for, and the configured default without', async () => {
    assert.deepEqual((await trends('?trend_hours=1')).map((p) => p.value), [30]);
    assert.deepEqual((await trends('?trend_hours=6')).map((p) => p.value), [10, 30]);
    assert.deepEqual((await trends('')).map((p) => p.value), [10, 30], 'the default 24 h');
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/dashboard/config', headers: bearer(ADMIN), payload: { default_time_range_hours: 1 } });
    assert.equal(put.statusCode, 200);
    assert.deepEqual((await trends('')).map((p) => p.value), [30], 'the configured 1 h');
    assert.deepEqual((await trends('?trend_hours=168')).map((p) => p.value), [10, 30]);
  });

  it('refuses a range outside 1 to 168 hours, naming trend_hours', async () => {
    for (const v of ['0', '169', 'week']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/dashboard?trend_hours=${v}`, headers: bearer(ADMIN) });
      assert.equal(res.statusCode, 400, v);
      assert.ok((res.json() as { details: { path: string }[] }).details.some((d) => d.path.includes('trend_hours')), res.body);
    }
  });
});
