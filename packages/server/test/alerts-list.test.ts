/**
 * GET /alerts in the order people triage in (sort=severity: active first, then critical, warning,
 * info, newest first within each) and filtered to the alerts nobody acknowledged (what the
 * dashboard's nav badge counts), through HTTP on each backend.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';

interface AlertView {
  id: string;
  agent_id: string;
  severity: string;
  is_active: boolean;
  created_at: string;
  acknowledged_at: string | null;
}

eachBackend('alert list order and acknowledgement filter', (backend) => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  const alertOf: Record<string, string> = {};

  const list = async (qs: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/alerts?${qs}`, headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { items: AlertView[]; total: number };
  };
  /** CPU `cpu` % from agent `name` now, then the clock moves a minute on. */
  const cpu = async (name: string, value: number) => {
    const id = ids[name] as string;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: bearer(ADMIN),
      payload: [{ ...metricsBody(id), timestamp: new Date(t.clock.now).toISOString(), resource_metrics: { ...(metricsBody(id).resource_metrics as object), cpu_usage_percent: value } }],
    });
    assert.equal(res.statusCode, 202, res.body);
    t.clock.now += 60_000;
  };

  before(async () => {
    t = await testApp(backend);
    for (const name of ['old-critical', 'warning', 'new-critical', 'resolved-critical']) ids[name] = (await register(t, { name, host: name })).id;
    // Fired in this order, a minute apart; CPU threshold 80, critical from 90.
    await cpu('old-critical', 97);
    await cpu('resolved-critical', 97);
    await cpu('warning', 85);
    await cpu('new-critical', 96);
    for (const a of (await list('active=true')).items) alertOf[Object.keys(ids).find((k) => ids[k] === a.agent_id) as string] = a.id;
    const resolved = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${alertOf['resolved-critical']}/resolve`, headers: bearer(ADMIN) });
    assert.equal(resolved.statusCode, 200, resolved.body);
  });
  after(() => t.close());

  it('sort=severity lists active first, the most severe next, the newest first within a severity', async () => {
    const order = (await list('sort=severity')).items.map((a) => Object.keys(ids).find((k) => ids[k] === a.agent_id));
    assert.deepEqual(order, ['new-critical', 'old-critical', 'warning', 'resolved-critical']);
    // The default stays newest first.
    const newest = (await list('')).items.map((a) => a.created_at);
    assert.deepEqual(newest, [...newest].sort().reverse());
  });

  it('acknowledged=false leaves out the alerts someone acknowledged; true keeps only them', async () => {
    assert.equal((await list('active=true&acknowledged=false')).total, 3);
    const ack = await t.app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${alertOf['warning']}/ack`,
      headers: bearer(ADMIN),
      payload: { by: 'ana', comment: 'looking into it' },
    });
    assert.equal(ack.statusCode, 200, ack.body);
    const open = await list('active=true&acknowledged=false');
    assert.equal(open.total, 2);
    assert.ok(open.items.every((a) => a.acknowledged_at === null));
    const acked = await list('acknowledged=true');
    assert.deepEqual(acked.items.map((a) => a.id), [alertOf['warning']]);
  });

  it('refuses an unknown sort or a non-boolean acknowledged, naming the field', async () => {
    for (const [qs, field] of [
      ['sort=loudest', 'sort'],
      ['acknowledged=maybe', 'acknowledged'],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/alerts?${qs}`, headers: bearer(ADMIN) });
      assert.equal(res.statusCode, 400, qs);
      const body = res.json() as { error: string; details: { path: string }[] };
      assert.ok(body.details.some((d) => d.path.includes(field)), `${qs}: ${res.body}`);
    }
  });
});
