/**
 * Viewer tokens: people who only look may read everything but notification targets (their URLs
 * hold secrets) and follow the live stream; every change is a 403 that changes nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config.js';
import { ADMIN, bearer, metricsBody, register, testApp } from './harness.js';

const VIEWER = 'test-viewer-token-0123456789';

describe('viewer tokens', () => {
  it('read every page and the stream, change nothing, and cannot read notification targets', async () => {
    const t = await testApp('sqlite', { viewerTokens: [VIEWER] });
    try {
      const a = await register(t, { name: 'watched' });
      const fired = await t.app.inject({
        method: 'POST',
        url: `/api/v1/agents/${a.id}/metrics`,
        headers: bearer(a.key),
        payload: metricsBody(a.id, { resource_metrics: { cpu_usage_percent: 97, memory_usage_bytes: 1, memory_usage_percent: 10, disk_usage_bytes: 1 } }),
      });
      assert.equal(fired.statusCode, 202);
      const as = (token: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
        t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(token), ...(payload ? { payload } : {}) });

      assert.deepEqual((await as(VIEWER, 'GET', '/whoami')).json(), { role: 'viewer' });
      assert.deepEqual((await as(ADMIN, 'GET', '/whoami')).json(), { role: 'admin' });
      for (const url of ['/agents', `/agents/${a.id}`, `/agents/${a.id}/health`, `/agents/${a.id}/config`, '/alerts', '/events', '/dashboard', '/dashboard/config']) {
        const res = await as(VIEWER, 'GET', url);
        assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      }
      const token = await as(VIEWER, 'POST', '/events/stream-token');
      assert.equal(token.statusCode, 200, token.body);
      // A metrics query in a body is a read too.
      const query = await as(VIEWER, 'POST', '/metrics/query', {
        agent_ids: [a.id],
        start_time: '2026-03-01T11:00:00Z',
        end_time: '2026-03-01T13:00:00Z',
        metric_names: ['cpu_usage_percent'],
      });
      assert.equal(query.statusCode, 200, query.body);
      assert.deepEqual(
        (query.json() as { data: { cpu_usage_percent: number }[] }).data.map((r) => r.cpu_usage_percent),
        [97],
      );

      const alertId = ((await as(ADMIN, 'GET', '/alerts?active=true')).json() as { items: { id: string }[] }).items[0]?.id as string;
      assert.ok(alertId);
      const refused: [Parameters<typeof as>[1], string, Record<string, unknown>?][] = [
        ['POST', '/agents', { name: 'x', type: 'chatbot', version: '1', deployment_type: 'local', host: 'h', environment: 'production' }],
        ['PATCH', `/agents/${a.id}`, { name: 'renamed' }],
        ['DELETE', `/agents/${a.id}`],
        ['PUT', '/dashboard/config', { refresh_interval_seconds: 10 }],
        ['PATCH', `/agents/${a.id}/config`, { metrics_interval_seconds: 5 }],
        ['POST', `/alerts/${alertId}/ack`, { by: 'viewer' }],
        ['POST', `/alerts/${alertId}/resolve`],
        ['POST', '/notifications', { name: 'n', kind: 'webhook', url: 'https://93.184.215.14/' }],
        ['POST', `/agents/${a.id}/metrics`, metricsBody(a.id)],
      ];
      for (const [method, url, payload] of refused) {
        const res = await as(VIEWER, method, url, payload);
        assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
        assert.equal(res.json().error, 'FORBIDDEN');
        assert.match(res.json().message, /viewer token is read-only/);
      }
      const targets = await as(VIEWER, 'GET', '/notifications');
      assert.equal(targets.statusCode, 403);
      assert.match(targets.json().message, /holds secrets/);
      // Nothing changed.
      const agent = (await as(ADMIN, 'GET', `/agents/${a.id}`)).json() as { name: string };
      assert.equal(agent.name, 'watched');
      const alert = (await as(ADMIN, 'GET', `/alerts/${alertId}`)).json() as { acknowledged_at: string | null; is_active: boolean };
      assert.equal(alert.acknowledged_at, null);
      assert.equal(alert.is_active, true);
    } finally {
      await t.close();
    }
  });

  it('are set as a comma-separated list, each at least 16 characters', () => {
    assert.deepEqual(loadConfig({ AGENTMON_VIEWER_TOKENS: `${VIEWER}, another-viewer-token-000` }).viewerTokens, [VIEWER, 'another-viewer-token-000']);
    assert.throws(() => loadConfig({ AGENTMON_VIEWER_TOKENS: `${VIEWER},short` }), /AGENTMON_VIEWER_TOKENS \(token 2\) must be at least 16 characters/);
  });
});
