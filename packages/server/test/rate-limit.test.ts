/**
 * Per-token rate limits: each agent's api_key and the registration token get their own budget;
 * past it a request is refused with 429 RATE_LIMITED and Retry-After, before it does anything,
 * while other agents and the admin token go on. Rates are tiny so no request can refill a bucket.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, REGISTRATION, agentBody, bearer, metricsBody, register, testApp } from './harness.js';

describe('rate limits per token', () => {
  it('refuses a token past its budget with 429 + Retry-After; other tokens go on', async () => {
    const t = await testApp('sqlite', { rateLimitAgentPerSecond: 0.01, rateLimitRegistrationPerSecond: 0.01 });
    try {
      const a = await register(t, { name: 'limited-a' });
      const b = await register(t, { name: 'limited-b' });
      const beat = (id: string, key: string) => t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/heartbeat`, headers: bearer(key) });
      assert.equal((await beat(a.id, a.key)).statusCode, 204);
      const refused = await beat(a.id, a.key);
      assert.equal(refused.statusCode, 429, refused.body);
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      const body = refused.json() as { error: string; message: string; details: { path: string }[] };
      assert.equal(body.error, 'RATE_LIMITED');
      assert.match(body.message, /rateLimitAgentPerSecond/);
      assert.equal(body.details[0]?.path, '/headers/authorization');
      // A refused payload changes nothing.
      const payload = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${a.id}/metrics`, headers: bearer(a.key), payload: metricsBody(a.id) });
      assert.equal(payload.statusCode, 429);
      const health = (await t.app.inject({ method: 'GET', url: `/api/v1/agents/${a.id}/health`, headers: bearer(ADMIN) })).json() as { last_metrics: string | null };
      assert.equal(health.last_metrics, null, 'no payload was taken');
      // Another agent has its own budget; the admin token has none.
      assert.equal((await beat(b.id, b.key)).statusCode, 204);
      for (let i = 0; i < 5; i++) assert.equal((await beat(a.id, ADMIN)).statusCode, 204);

      const viaRegistration = (name: string) => t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: bearer(REGISTRATION), payload: agentBody({ name }) });
      assert.equal((await viaRegistration('by-token-1')).statusCode, 201);
      const second = await viaRegistration('by-token-2');
      assert.equal(second.statusCode, 429);
      assert.match(second.json().message, /rateLimitRegistrationPerSecond/);
      const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/agents?q=by-token', headers: bearer(ADMIN) })).json() as { total: number };
      assert.equal(listed.total, 1, 'the refused registration made no agent');
    } finally {
      await t.close();
    }
  });
});
